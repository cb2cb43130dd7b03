import type { ApplyOutcome, ClusterView } from './cluster-view.js';
import { readEnvelope } from '../contract/envelope.js';
import type { HistorySink, ViewChange } from './types.js';

/**
 * The aggregator's one path from a received message to the history: parse, fold into the view
 * at once (so the API sees it), keep the view's changes and the message's acknowledgement
 * pending, and commit them in one history transaction per batch; only then acknowledge.
 *
 * Invariant: a message is acknowledged only after its changes (and every change before them)
 * are committed. If the process dies in between, the message is redelivered; the view rebuilt
 * from the history does not know it, so it is folded again and recorded. If the commit fails,
 * the batch stays pending and is retried (nothing is acknowledged meanwhile, so the stream
 * keeps it); a pending list past `maxPending` gives up its oldest changes (counted), since a
 * core-NATS subscription cannot be paused.
 *
 * Synchronous apart from the callbacks: the view and node:sqlite are synchronous, so folds
 * and commits from several subscriptions interleave only between messages.
 */

export interface FolderOptions {
  readonly view: ClusterView;
  readonly history: HistorySink;
  /** Called after a fold or expiry that changed the view (the live stream coalesces it). */
  readonly onChange?: () => void;
  /** Told of every fold's and expiry's changes, with its `now` (the cluster rules run on them). */
  readonly onChanges?: (changes: readonly ViewChange[], now: number) => void;
  /** Messages (and expiries) held uncommitted at most; default 100,000. */
  readonly maxPending?: number;
  /** Nodes tracked in the per-node log-in counts; default 10,000. */
  readonly maxNodes?: number;
}

export interface FolderStats {
  /** Messages handed to fold(), any outcome. */
  readonly received: number;
  /** Not JSON, or not a CloudEvent: acknowledged and dropped. */
  readonly unparseable: number;
  readonly outcomes: Readonly<Record<ApplyOutcome, number>>;
  /** Transactions committed, and failed. */
  readonly commits: number;
  readonly commitErrors: number;
  /** Changes given up because the pending list was full while commits kept failing. */
  readonly changesDropped: number;
  readonly acks: number;
  readonly pending: number;
}

type Ack = () => void;

const OUTCOMES: readonly ApplyOutcome[] = ['applied', 'duplicate', 'beyond-horizon', 'invalid', 'ignored'];

export class Folder {
  private readonly maxPending: number;
  private readonly maxNodes: number;
  /** One entry per message or expiry not yet committed; acks run in order after the commit. */
  private held: { readonly changes: readonly ViewChange[]; readonly ack: Ack | null }[] = [];
  private received = 0;
  private unparseable = 0;
  private readonly outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<ApplyOutcome, number>;
  private commits = 0;
  private commitErrors = 0;
  private changesDropped = 0;
  private ackCount = 0;
  private lastError: unknown = null;
  private readonly loginsByNode = new Map<string, number>();
  private readonly alertCounts = new Map<
    string,
    { rule: string; severity: string; status: string; n: number }
  >();

  constructor(private readonly options: FolderOptions) {
    this.maxPending = options.maxPending ?? 100_000;
    this.maxNodes = options.maxNodes ?? 10_000;
  }

  /** Messages folded and not yet committed. */
  get pending(): number {
    return this.held.length;
  }

  /** The last commit error while commits are failing; null once one succeeds. */
  get failing(): unknown {
    return this.lastError;
  }

  /**
   * Folds one message (the raw bytes of a CloudEvent) at `now`. `ack` runs once the history
   * holds what it changed; pass null for messages that need none (core NATS, status).
   * `subject`: where it was received, checked against what the message names.
   */
  fold(
    data: Uint8Array | string,
    now: number,
    ack: Ack | null,
    subject?: string,
  ): ApplyOutcome | 'unparseable' {
    this.received += 1;
    const input = readEnvelope(parseJson(data));
    if (input === null) {
      this.unparseable += 1;
      this.hold([], ack);
      return 'unparseable';
    }
    const result = this.options.view.apply(input, now, subject);
    this.outcomes[result.outcome] += 1;
    this.count(result.changes);
    this.hold(result.changes, ack);
    if (result.changes.length > 0) this.options.onChanges?.(result.changes, now);
    if (result.outcome === 'applied') this.options.onChange?.();
    return result.outcome;
  }

  /** The view's own expiry (a timer): its changes are committed like a message's. */
  expire(now: number): number {
    const changes = this.options.view.expire(now);
    if (changes.length > 0) {
      this.hold(changes, null);
      this.options.onChanges?.(changes, now);
      this.options.onChange?.();
    }
    return changes.length;
  }

  /**
   * Commits every pending change in one transaction, then acknowledges the messages. Returns
   * false (and keeps everything pending) when the history refused.
   */
  commit(): boolean {
    if (this.held.length === 0) return true;
    const changes =
      this.held.length === 1 ? (this.held[0]?.changes ?? []) : this.held.flatMap((h) => h.changes);
    try {
      this.options.history.record(changes);
    } catch (error) {
      this.commitErrors += 1;
      this.lastError = error;
      return false;
    }
    this.commits += 1;
    this.lastError = null;
    const held = this.held;
    this.held = [];
    for (const { ack } of held) {
      if (ack === null) continue;
      this.ackCount += 1;
      try {
        ack();
      } catch {
        // The connection is gone: the server redelivers, and the view counts it as a duplicate.
      }
    }
    return true;
  }

  stats(): FolderStats {
    return {
      received: this.received,
      unparseable: this.unparseable,
      outcomes: { ...this.outcomes },
      commits: this.commits,
      commitErrors: this.commitErrors,
      changesDropped: this.changesDropped,
      acks: this.ackCount,
      pending: this.held.length,
    };
  }

  /** Sessions opened per sidecar node since start (log-ins the aggregator counted). */
  loginsPerNode(): ReadonlyMap<string, number> {
    return this.loginsByNode;
  }

  /** Alert notices folded since start, per rule, severity and status. */
  alertsCounted(): { rule: string; severity: string; status: string; n: number }[] {
    return [...this.alertCounts.values()];
  }

  private hold(changes: readonly ViewChange[], ack: Ack | null): void {
    this.held.push({ changes, ack });
    // Commits have been failing for long (only a core subscription can get here: the JetStream
    // loop waits for a commit before it takes more). The oldest is given up unacknowledged.
    while (this.held.length > this.maxPending) {
      const oldest = this.held.shift();
      this.changesDropped += oldest?.changes.length ?? 0;
    }
  }

  private count(changes: readonly ViewChange[]): void {
    for (const c of changes) {
      if (c.kind === 'session.opened') {
        const n = this.loginsByNode.get(c.node);
        if (n !== undefined || this.loginsByNode.size < this.maxNodes)
          this.loginsByNode.set(c.node, (n ?? 0) + 1);
      } else if (c.kind === 'alert') {
        const key = `${c.rule}\u0000${c.severity}\u0000${c.status}`;
        const entry = this.alertCounts.get(key);
        if (entry !== undefined) entry.n += 1;
        else if (this.alertCounts.size < this.maxNodes)
          this.alertCounts.set(key, { rule: c.rule, severity: c.severity, status: c.status, n: 1 });
      }
    }
  }
}

const decoder = new TextDecoder();

function parseJson(data: Uint8Array | string): unknown {
  try {
    return JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch {
    return null;
  }
}
