import type { DatabaseSync } from 'node:sqlite';
import type { AlertingConfig } from '../../config/alerting-schema.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { ReadFile } from '../../publish/nats-connection.js';
import type { AlertRecord } from '../types.js';
import { DeliveryStore } from './delivery-store.js';
import { ReceiverLoop, type ReceiverHealth, type SendCounters } from './dispatcher.js';
import { type AdmissionCounters, Forwarding } from './forwarding.js';
import { Redactor } from './secrets.js';
import { buildSenders } from './senders.js';

/**
 * Alert receivers, composed: the durable queues (in the history database), the intake side
 * (Forwarding, inside the history's transactions) and one sending loop per receiver. The
 * aggregator creates it only when `alerting.receivers` is not empty.
 */

export interface AlertDeliveryOptions {
  readonly config: AlertingConfig;
  /** The history's connection: the queues are written in its transactions. */
  readonly db: DatabaseSync;
  readonly clock: Clock;
  readonly log: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: ReadFile | undefined;
  readonly clusterHost: string;
  readonly hostname: string;
}

export interface ReceiverStats extends ReceiverHealth, AdmissionCounters, SendCounters {
  readonly pending: number;
  /** Age of the oldest pending notice, ms; null when none is pending. */
  readonly oldestPendingAgeMs: number | null;
}

export interface AlertDeliveryStats {
  readonly unrouted: number;
  readonly receivers: readonly ReceiverStats[];
}

/** Finished rows are kept a day (for the API and the resolved-follows-firing checks), then pruned. */
const KEEP_FINISHED_MS = 24 * 3_600_000;

export type AlertDeliveryResult =
  | { readonly ok: true; readonly delivery: AlertDelivery }
  | { readonly ok: false; readonly problems: readonly string[] };

export class AlertDelivery {
  private constructor(
    private readonly options: AlertDeliveryOptions,
    private readonly store: DeliveryStore,
    private readonly forwarding: Forwarding,
    private readonly loops: ReadonlyMap<string, ReceiverLoop>,
  ) {}

  static async create(options: AlertDeliveryOptions): Promise<AlertDeliveryResult> {
    const redactor = new Redactor();
    const built = await buildSenders(options.config.receivers, {
      env: options.env,
      readFile: options.readFile,
      redactor,
      clusterHost: options.clusterHost,
      hostname: options.hostname,
    });
    if (!built.ok) return { ok: false, problems: built.problems.map((p) => redactor.scrub(p)) };
    const store = new DeliveryStore(options.db);
    const loops = new Map<string, ReceiverLoop>();
    for (const sender of built.senders)
      loops.set(sender.spec.name, new ReceiverLoop(sender, store, options.clock, options.log, redactor));
    const limitLoggedAt = new Map<string, number>();
    const { log, clock } = options;
    const forwarding = new Forwarding(
      options.config.receivers,
      options.config.routes,
      options.clusterHost,
      store,
      () => clock.now(),
      (receiver) => loops.get(receiver)?.wake(),
      (receiver, why, notice) => {
        const fields = { receiver, notice: notice.id, rule: notice.rule };
        if (why === 'queue-full')
          log.error(fields, 'alert delivery: the receiver queue is full (maxQueue); notice dropped');
        else if (why === 'stale')
          log.warn(fields, 'alert delivery: a firing notice after its resolved one is not forwarded');
        else {
          const spec = options.config.receivers.find((r) => r.name === receiver);
          const now = clock.now();
          const last = limitLoggedAt.get(receiver);
          if (spec !== undefined && (last === undefined || now - last >= spec.rateLimit.perMs)) {
            limitLoggedAt.set(receiver, now);
            log.warn(
              { ...fields, max: spec.rateLimit.max, perMs: spec.rateLimit.perMs },
              'alert delivery: rate limit reached; notices over it are dropped (counted) until the window frees a place',
            );
          }
        }
      },
    );
    return { ok: true, delivery: new AlertDelivery(options, store, forwarding, loops) };
  }

  /** For HistoryStore.onFirstRecord: runs inside the history's transaction. */
  onRecorded(notice: AlertRecord): void {
    this.forwarding.onRecorded(notice);
  }

  start(): void {
    const now = this.options.clock.now();
    this.forwarding.restore();
    for (const receiver of this.store.receiversWithPending()) {
      if (this.loops.has(receiver)) continue;
      const n = this.store.giveUpAll(receiver, now, 'the receiver is no longer configured');
      this.options.log.warn(
        { receiver, notices: n },
        'alert delivery: notices queued for a receiver no longer configured are given up',
      );
    }
    for (const loop of this.loops.values()) loop.start();
    this.options.log.info({ receivers: [...this.loops.keys()] }, 'alert receivers started');
  }

  /** Waits for attempts in flight until `deadline` (epoch ms) at most. */
  async stop(deadline: number): Promise<void> {
    await Promise.all([...this.loops.values()].map((l) => l.stop(deadline)));
  }

  prune(now: number): number {
    return this.store.prune(now - KEEP_FINISHED_MS);
  }

  stats(): AlertDeliveryStats {
    const now = this.options.clock.now();
    const receivers: ReceiverStats[] = [];
    for (const [name, loop] of this.loops) {
      const queue = this.store.queueState(name);
      const admission = this.forwarding.countersOf(name);
      receivers.push({
        ...loop.health(),
        ...admission,
        ...loop.counters,
        pending: queue.pending,
        oldestPendingAgeMs: queue.oldestQueuedAt === null ? null : Math.max(0, now - queue.oldestQueuedAt),
      });
    }
    return { unrouted: this.forwarding.unrouted, receivers };
  }

  /** Receivers whose oldest notice failed and waits for a retry. */
  retrying(): string[] {
    return [...this.loops.values()].filter((l) => l.health().state === 'retrying').map((l) => l.name);
  }
}
