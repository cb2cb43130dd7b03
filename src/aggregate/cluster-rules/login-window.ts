/**
 * Log-ins in a sliding window, for the whole cluster and per sidecar node: the `clusterLogins`
 * and `nodeLogins` facts. Fed with the view's `session.opened` changes (each is one log-in,
 * recorded once per session however often its start is redelivered).
 *
 * Counted by **event time** (the session's start), not by arrival: an aggregator catching up a
 * backlog after a restart must not see the backlog as a storm. A start in the future (a sidecar
 * clock ahead) counts as now; one older than the horizon can no longer fall in any window and is
 * only counted as `tooOld`.
 *
 * Each series is a ring of fixed size (horizon / bucket + 2 buckets) indexed by bucket number,
 * so memory is bounded by the rules' longest window whatever the rate, and a late start within
 * the horizon lands in its own bucket (rings, unlike the sidecar's append-only series, take
 * buckets out of order). Nodes are bounded by `maxNodes`: the least recently counted node's
 * ring is dropped and counted in `evictedNodes`.
 */

export interface LoginWindowOptions {
  /** The longest window any rule asks for. */
  readonly horizonMs: number;
  /** Default 10 s, as the sidecar's windows: a window counts whole buckets that overlap it. */
  readonly bucketMs?: number;
  /** Default 1,000. */
  readonly maxNodes?: number;
}

export interface LoginWindowStats {
  readonly counted: number;
  readonly tooOld: number;
  readonly evictedNodes: number;
  readonly nodes: number;
}

export const LOGIN_WINDOW_DEFAULTS = { bucketMs: 10_000, maxNodes: 1000 } as const;

/** A series: counts per bucket, in slot `bucket mod size`, with the bucket each slot holds now. */
class Ring {
  readonly buckets: Float64Array;
  readonly counts: Float64Array;

  constructor(readonly size: number) {
    this.buckets = new Float64Array(size).fill(-Infinity);
    this.counts = new Float64Array(size);
  }

  /** False when the slot already holds a newer bucket: this one has left the ring. */
  add(bucket: number): boolean {
    const slot = mod(bucket, this.size);
    const held = this.buckets[slot] ?? -Infinity;
    if (held > bucket) return false;
    if (held < bucket) {
      this.buckets[slot] = bucket;
      this.counts[slot] = 0;
    }
    this.counts[slot] = (this.counts[slot] ?? 0) + 1;
    return true;
  }

  /** Sum of buckets first..last (at most `size` of them). */
  sum(first: number, last: number): number {
    let total = 0;
    for (let bucket = Math.max(first, last - this.size + 1); bucket <= last; bucket++) {
      const slot = mod(bucket, this.size);
      if (this.buckets[slot] === bucket) total += this.counts[slot] ?? 0;
    }
    return total;
  }

  /** A copy in a ring of another size, keeping the buckets that still fit. */
  resized(size: number): Ring {
    const next = new Ring(size);
    const order = [...this.buckets.keys()].sort((a, b) => (this.buckets[a] ?? 0) - (this.buckets[b] ?? 0));
    for (const slot of order) {
      const bucket = this.buckets[slot] ?? -Infinity;
      if (bucket === -Infinity) continue;
      const to = mod(bucket, size);
      if ((next.buckets[to] ?? -Infinity) > bucket) continue;
      next.buckets[to] = bucket;
      next.counts[to] = this.counts[slot] ?? 0;
    }
    return next;
  }
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

export class LoginWindow {
  private readonly bucketMs: number;
  private readonly maxNodes: number;
  private horizonMs: number;
  private size: number;
  private cluster: Ring;
  /** Least recently counted first (re-inserted on every log-in). */
  private readonly perNode = new Map<string, Ring>();
  private counted = 0;
  private tooOld = 0;
  private evictedNodes = 0;

  constructor(options: LoginWindowOptions) {
    this.bucketMs = options.bucketMs ?? LOGIN_WINDOW_DEFAULTS.bucketMs;
    this.maxNodes = options.maxNodes ?? LOGIN_WINDOW_DEFAULTS.maxNodes;
    if (!(this.bucketMs > 0) || !(this.maxNodes >= 1)) {
      throw new RangeError('LoginWindow: bucketMs and maxNodes must be positive');
    }
    this.horizonMs = Math.max(options.horizonMs, this.bucketMs);
    this.size = this.sizeFor(this.horizonMs);
    this.cluster = new Ring(this.size);
  }

  /** One log-in on `node` that started at `start`, seen at `now`. */
  add(node: string, start: number, now: number): void {
    const at = Math.min(start, now);
    if (at < now - this.horizonMs) {
      this.tooOld += 1;
      return;
    }
    const bucket = Math.floor(at / this.bucketMs);
    if (!this.cluster.add(bucket)) {
      this.tooOld += 1;
      return;
    }
    this.counted += 1;
    let ring = this.perNode.get(node);
    if (ring === undefined) {
      while (this.perNode.size >= this.maxNodes) {
        const oldest = this.perNode.keys().next();
        if (oldest.done === true) break;
        this.perNode.delete(oldest.value);
        this.evictedNodes += 1;
      }
      ring = new Ring(this.size);
    } else {
      this.perNode.delete(node);
    }
    this.perNode.set(node, ring);
    ring.add(bucket);
  }

  /** Log-ins in the last `windowMs` (clamped to the horizon), cluster-wide or on one node. */
  count(windowMs: number, now: number, node?: string): number {
    const ring = node === undefined ? this.cluster : this.perNode.get(node);
    if (ring === undefined) return 0;
    const window = Math.min(windowMs, this.horizonMs);
    return ring.sum(Math.floor((now - window) / this.bucketMs), Math.floor(now / this.bucketMs));
  }

  /** After a rule reload: keep counting as far back as the new longest window needs. */
  setHorizon(horizonMs: number): void {
    const next = Math.max(horizonMs, this.bucketMs);
    const size = this.sizeFor(next);
    this.horizonMs = next;
    if (size === this.size) return;
    this.size = size;
    this.cluster = this.cluster.resized(size);
    for (const [node, ring] of this.perNode) this.perNode.set(node, ring.resized(size));
  }

  stats(): LoginWindowStats {
    return {
      counted: this.counted,
      tooOld: this.tooOld,
      evictedNodes: this.evictedNodes,
      nodes: this.perNode.size,
    };
  }

  private sizeFor(horizonMs: number): number {
    // Two more than the window spans: a window counts the partial buckets at both of its ends.
    return Math.ceil(horizonMs / this.bucketMs) + 2;
  }
}
