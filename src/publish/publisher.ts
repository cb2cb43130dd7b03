import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';

/** What the sidecar's publishers have in common, for status, metrics and wiring. */

export type NatsState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/**
 * `jetstream`: into streams, each record confirmed by a PubAck (exactly once within the
 * duplicate window). `core`: core NATS, a batch confirmed by a flush round trip (at least once).
 * `unknown`: not connected yet, so not known.
 */
export type PublishMode = 'jetstream' | 'core' | 'unknown';

export interface Publisher extends Lifecycle {
  readonly state: NatsState;
  readonly mode: PublishMode;
}

/** Publisher figures for metrics (the shared StageCounters keep `published` and `publishErrors`). */
export interface PublisherStats {
  /** PubAcks received for records confirmed (duplicates included). */
  acks: number;
  /** PubAcks that said the stream already had the record (a re-send dropped by its Nats-Msg-Id). */
  duplicates: number;
  /** Times publishing started again from the first unconfirmed record after an error or a lost connection. */
  retries: number;
  /** Records sent and not yet confirmed. */
  inFlight: number;
  /** Epoch ms when NATS last confirmed records (PubAck, or flush round trip in core mode); null before. */
  lastAckAt: number | null;
  /** Epoch ms of the last retry (see `retries`); null before. After lastAckAt: NATS confirms nothing. */
  lastRetryAt: number | null;
}

/** Publishing starts again from the first unconfirmed record: counted, and when (for `stalled`). */
export function countRetry(stats: PublisherStats, now = Date.now()): void {
  stats.retries++;
  stats.lastRetryAt = now;
}

export function createPublisherStats(): PublisherStats {
  return { acks: 0, duplicates: 0, retries: 0, inFlight: 0, lastAckAt: null, lastRetryAt: null };
}

/**
 * One sleeper (a publisher's pump) woken by whatever comes first: `wake()`, the given promise
 * settling, or the timeout. Unlike `Promise.race` against a long-lived promise, nothing is left
 * attached to anything once the sleep is over.
 */
export class Wakeup {
  private current: (() => void) | undefined;

  until(work: Promise<unknown> | undefined, ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        if (this.current === done) this.current = undefined;
        resolve();
      };
      this.current = done;
      if (ms !== undefined) timer = setTimeout(done, Math.max(0, ms));
      work?.then(done, done);
    });
  }

  wake(): void {
    this.current?.();
  }
}

/**
 * Progress of a large backlog being published after NATS came back (or at start): at most every
 * `intervalMs` `draining backlog: N left, R records/s`, and one line when it is done.
 */
export class BacklogProgress {
  private draining:
    | { startedAt: number; startDepth: number; lastAt: number; lastPublished: number; published: number }
    | undefined;

  constructor(
    private readonly log: Logger,
    private readonly threshold = 10_000,
    private readonly intervalMs = 5_000,
  ) {}

  /** After a (re)connect: start reporting if the backlog is large. */
  begin(depth: number, now: number): void {
    if (depth <= this.threshold) {
      this.draining = undefined;
      return;
    }
    this.draining = { startedAt: now, startDepth: depth, lastAt: now, lastPublished: 0, published: 0 };
    this.log.info({ backlog: depth }, `publishing a backlog of ${depth} records`);
  }

  /** After records were confirmed. */
  confirmed(count: number, depth: number, now: number): void {
    const d = this.draining;
    if (d === undefined) return;
    d.published += count;
    if (depth === 0) {
      const seconds = (now - d.startedAt) / 1000;
      const rate = seconds > 0 ? Math.round(d.published / seconds) : d.published;
      this.log.info(
        { published: d.published, seconds: Math.round(seconds * 10) / 10, recordsPerSecond: rate },
        `backlog drained: ${d.published} records in ${seconds.toFixed(1)} s (${rate} records/s)`,
      );
      this.draining = undefined;
      return;
    }
    if (now - d.lastAt < this.intervalMs) return;
    const rate = Math.round(((d.published - d.lastPublished) * 1000) / (now - d.lastAt));
    d.lastAt = now;
    d.lastPublished = d.published;
    this.log.info(
      { left: depth, recordsPerSecond: rate },
      `draining backlog: ${depth} left, ${rate} records/s`,
    );
  }
}
