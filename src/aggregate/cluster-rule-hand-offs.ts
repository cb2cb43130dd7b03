import { BoundedQueue } from '../core/bounded-queue.js';
import type { ClusterDecision, ClusterRules, ClusterViewReader } from './cluster-rules/index.js';
import type { ViewChange } from './types.js';

/**
 * The two hand-offs between the cluster view and NATS for the aggregator's cluster rules:
 *
 * - ClusterRuleFeed: the view's changes → `rules.onChanges`. While one evaluation runs, the
 *   changes of later folds are gathered and evaluated together in the next call (a backlog
 *   of thousands of messages is a few evaluations, not thousands queued). Bounded: changes
 *   past `maxPendingChanges` are given up and counted.
 * - AlertOutbox: decisions → NATS, one at a time in order. A failed publish stays at the head
 *   and is tried again after `retryMs` (the message id makes a re-send a duplicate, which
 *   JetStream drops). Bounded: a decision arriving when the queue is full is refused and
 *   counted.
 *
 * Neither reads a clock: `now` comes with the changes, and the retry is a timer given in.
 */

export interface ClusterRuleFeedOptions {
  readonly rules: ClusterRules;
  readonly view: ClusterViewReader;
  /** Where the decisions go (the outbox). */
  readonly decided: (decisions: readonly ClusterDecision[]) => void;
  /** An evaluation threw (a bug or a fact failing): counted; the caller logs it. */
  readonly failed: (error: unknown) => void;
  /** Changes held while an evaluation runs; default 100,000. */
  readonly maxPendingChanges?: number;
}

export interface ClusterRuleFeedStats {
  readonly evaluations: number;
  readonly failures: number;
  readonly changesDropped: number;
  readonly pendingChanges: number;
}

export class ClusterRuleFeed {
  private pending: ViewChange[] = [];
  private pendingNow = 0;
  private running: Promise<void> | null = null;
  private evaluations = 0;
  private failures = 0;
  private changesDropped = 0;
  private readonly max: number;

  constructor(private readonly options: ClusterRuleFeedOptions) {
    this.max = options.maxPendingChanges ?? 100_000;
  }

  /** After a fold or an expiry, with the changes it made; alert notices alone need no evaluation. */
  add(changes: readonly ViewChange[], now: number): void {
    let relevant = 0;
    for (const c of changes) if (c.kind !== 'alert') relevant += 1;
    if (relevant === 0) return;
    if (this.pending.length + relevant > this.max) {
      this.changesDropped += relevant;
      return;
    }
    for (const c of changes) if (c.kind !== 'alert') this.pending.push(c);
    this.pendingNow = Math.max(this.pendingNow, now);
    this.running ??= this.drain();
  }

  /** The timer's evaluation (silence, windows, schedules); queued behind a running one by the rules. */
  async tick(now: number): Promise<void> {
    try {
      this.evaluations += 1;
      this.options.decided(await this.options.rules.tick(this.options.view, now));
    } catch (error) {
      this.failures += 1;
      this.options.failed(error);
    }
  }

  /** Resolves once every change handed in so far has been evaluated. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  stats(): ClusterRuleFeedStats {
    return {
      evaluations: this.evaluations,
      failures: this.failures,
      changesDropped: this.changesDropped,
      pendingChanges: this.pending.length,
    };
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        const now = this.pendingNow;
        this.pending = [];
        try {
          this.evaluations += 1;
          this.options.decided(await this.options.rules.onChanges(batch, this.options.view, now));
        } catch (error) {
          this.failures += 1;
          this.options.failed(error);
        }
      }
    } finally {
      this.running = null;
    }
  }
}

export interface AlertOutboxOptions {
  /** Publishes one decision; rejects when it could not (not connected, no stream, timeout). */
  readonly send: (decision: ClusterDecision) => Promise<void>;
  /** A publish failed (counted; the caller logs, at most now and then). */
  readonly failed?: (error: unknown, decision: ClusterDecision) => void;
  /** Decisions held at most; default 10,000. */
  readonly capacity?: number;
  /** Pause before trying a failed publish again; default 1 s. */
  readonly retryMs?: number;
  /** The retry timer (tests pass their own); default an unref'd setTimeout. */
  readonly schedule?: (run: () => void, ms: number) => { cancel(): void };
}

export interface AlertOutboxStats {
  readonly published: Readonly<Record<'firing' | 'resolved', number>>;
  readonly errors: number;
  readonly dropped: number;
  readonly queued: number;
}

const defaultSchedule = (run: () => void, ms: number): { cancel(): void } => {
  const t = setTimeout(run, ms);
  t.unref();
  return { cancel: () => clearTimeout(t) };
};

export class AlertOutbox {
  private readonly queue: BoundedQueue<ClusterDecision>;
  private sending: Promise<void> | null = null;
  private retry: { cancel(): void } | null = null;
  private stopped = false;
  private readonly published = { firing: 0, resolved: 0 };
  private errors = 0;
  private dropped = 0;

  constructor(private readonly options: AlertOutboxOptions) {
    this.queue = new BoundedQueue(options.capacity ?? 10_000);
  }

  enqueue(decisions: readonly ClusterDecision[]): void {
    for (const d of decisions) if (!this.queue.push(d)) this.dropped += 1;
    this.kick();
  }

  /** Tries the queue now (e.g. once NATS is connected again) unless a send runs. */
  kick(): void {
    if (this.stopped || this.sending !== null || this.queue.length === 0) return;
    this.retry?.cancel();
    this.retry = null;
    this.sending = this.drain();
  }

  /** Stops retrying; waits for a send in progress. What is still queued is lost (counted as dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.retry?.cancel();
    this.retry = null;
    if (this.sending !== null) await this.sending;
    this.dropped += this.queue.length;
    while (this.queue.shift() !== undefined) {
      // emptied
    }
  }

  /** Resolves once the queue is empty or a publish failed (tests). */
  async settled(): Promise<void> {
    while (this.sending !== null) await this.sending;
  }

  stats(): AlertOutboxStats {
    return {
      published: { ...this.published },
      errors: this.errors,
      dropped: this.dropped,
      queued: this.queue.length,
    };
  }

  /** A method, so that the check after an await is not narrowed away. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const [head] = this.queue.peek(1);
        if (head === undefined || this.stopped) return;
        try {
          await this.options.send(head);
        } catch (error) {
          this.errors += 1;
          this.options.failed?.(error, head);
          if (!this.isStopped()) {
            const schedule = this.options.schedule ?? defaultSchedule;
            this.retry = schedule(() => {
              this.retry = null;
              this.kick();
            }, this.options.retryMs ?? 1_000);
          }
          return;
        }
        this.queue.shift();
        this.published[head.status] += 1;
      }
    } finally {
      this.sending = null;
    }
  }
}
