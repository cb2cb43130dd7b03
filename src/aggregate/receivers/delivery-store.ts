import type { DatabaseSync } from 'node:sqlite';
import { rowsChanged, statement, type Statement } from '../sqlite.js';
import type { AlertRecord } from '../types.js';

/**
 * The durable per-receiver queues of alert notices, in the history database (table
 * `deliveries`). Rows are written by enqueue() inside the history's own transaction, so a notice
 * recorded in the history is queued for its receivers, or neither happened: there is no moment
 * where the aggregator has acknowledged a notice to NATS but not queued it.
 *
 * (receiver, notice id) is unique: the same notice read twice (a redelivery, a replayed stream)
 * is queued once. A row's state: pending → sent | given-up; `limited` rows (dropped by the rate
 * limit) are kept only so that the episode's resolved notice is dropped with its firing one.
 */

export type DeliveryState = 'pending' | 'sent' | 'given-up' | 'limited';

export interface PendingDelivery {
  readonly seq: number;
  readonly receiver: string;
  readonly notice: AlertRecord;
  readonly queuedAt: number;
  readonly attempts: number;
  readonly nextAt: number;
}

export interface ReceiverQueueState {
  readonly pending: number;
  /** queued_at of the oldest pending notice, or null. */
  readonly oldestQueuedAt: number | null;
}

type Row = Record<string, unknown>;

export class DeliveryStore {
  private readonly s: Record<
    | 'insert'
    | 'head'
    | 'sent'
    | 'retry'
    | 'giveUp'
    | 'pendingCount'
    | 'firingStates'
    | 'resolvedExists'
    | 'recentAccepted'
    | 'prune'
    | 'orphans'
    | 'queueState'
    | 'giveUpAll',
    Statement
  >;

  constructor(db: DatabaseSync) {
    const st = (sql: string): Statement => statement(db, sql);
    this.s = {
      insert: st(`INSERT OR IGNORE INTO deliveries
        (receiver, notice_id, alert_id, status, notice, state, queued_at, next_at, done_at)
        VALUES (@receiver, @notice_id, @alert_id, @status, @notice, @state, @queued_at, @queued_at, @done_at)`),
      head: st(`SELECT seq, receiver, notice, queued_at, attempts, next_at FROM deliveries
        WHERE receiver = @receiver AND state = 'pending' ORDER BY seq LIMIT 1`),
      sent: st(`UPDATE deliveries SET state = 'sent', done_at = @now, attempts = attempts + 1, last_error = NULL
        WHERE seq = @seq AND state = 'pending'`),
      retry: st(`UPDATE deliveries SET attempts = attempts + 1, next_at = @next_at, last_error = @error
        WHERE seq = @seq AND state = 'pending'`),
      giveUp: st(`UPDATE deliveries SET state = 'given-up', done_at = @now, attempts = attempts + @attempted,
        last_error = @error WHERE seq = @seq AND state = 'pending'`),
      pendingCount: st(
        `SELECT count(*) AS n FROM deliveries WHERE receiver = @receiver AND state = 'pending'`,
      ),
      firingStates: st(`SELECT DISTINCT state FROM deliveries
        WHERE receiver = @receiver AND alert_id = @alert_id AND status = 'firing'`),
      resolvedExists: st(`SELECT 1 AS x FROM deliveries
        WHERE receiver = @receiver AND alert_id = @alert_id AND status = 'resolved' LIMIT 1`),
      recentAccepted: st(`SELECT queued_at FROM deliveries WHERE receiver = @receiver AND status = 'firing'
        AND state != 'limited' AND queued_at > @since ORDER BY queued_at`),
      prune: st(`DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries
        WHERE state != 'pending' AND done_at < @cutoff LIMIT 5000)`),
      orphans: st(`SELECT DISTINCT receiver FROM deliveries WHERE state = 'pending'`),
      giveUpAll: st(`UPDATE deliveries SET state = 'given-up', done_at = @now, last_error = @error
        WHERE receiver = @receiver AND state = 'pending'`),
      queueState: st(`SELECT count(*) AS n, min(queued_at) AS oldest FROM deliveries
        WHERE receiver = @receiver AND state = 'pending'`),
    };
  }

  /** Queues a notice (or records it as rate-limited); false when the row was already there. */
  enqueue(receiver: string, notice: AlertRecord, now: number, state: 'pending' | 'limited'): boolean {
    const result = this.s.insert.run({
      receiver,
      notice_id: notice.id,
      alert_id: notice.alertId,
      status: notice.status,
      notice: JSON.stringify(noticeFields(notice)),
      state,
      queued_at: now,
      done_at: state === 'pending' ? null : now,
    });
    return rowsChanged(result) > 0;
  }

  pendingCount(receiver: string): number {
    return Number((this.s.pendingCount.get({ receiver }) as Row).n);
  }

  /** The states of this receiver's rows for the alert's firing notices (empty: none was queued). */
  firingStates(receiver: string, alertId: string): DeliveryState[] {
    return (this.s.firingStates.all({ receiver, alert_id: alertId }) as Row[]).map(
      (r) => String(r.state) as DeliveryState,
    );
  }

  hasResolved(receiver: string, alertId: string): boolean {
    return this.s.resolvedExists.get({ receiver, alert_id: alertId }) !== undefined;
  }

  /** queued_at of firing notices accepted by the rate limit after `since`, oldest first. */
  recentAccepted(receiver: string, since: number): number[] {
    return (this.s.recentAccepted.all({ receiver, since }) as Row[]).map((r) => Number(r.queued_at));
  }

  /** The oldest pending notice of a receiver: the only one it may be sent (per-receiver order). */
  head(receiver: string): PendingDelivery | null {
    const row = this.s.head.get({ receiver }) as Row | undefined;
    if (row === undefined) return null;
    return {
      seq: Number(row.seq),
      receiver: String(row.receiver),
      // Rows written before the explanation was kept have none.
      notice: {
        description: '',
        conditions: [],
        ...(JSON.parse(String(row.notice)) as Omit<AlertRecord, 'description' | 'conditions'> &
          Partial<AlertRecord>),
      },
      queuedAt: Number(row.queued_at),
      attempts: Number(row.attempts),
      nextAt: Number(row.next_at),
    };
  }

  markSent(seq: number, now: number): void {
    this.s.sent.run({ seq, now });
  }

  markRetry(seq: number, nextAt: number, error: string): void {
    this.s.retry.run({ seq, next_at: nextAt, error });
  }

  /** `attempted`: whether this give-up follows an attempt (1) or none was made (0). */
  markGivenUp(seq: number, now: number, error: string, attempted: 0 | 1): void {
    this.s.giveUp.run({ seq, now, error, attempted });
  }

  /** Receivers that have pending notices (also ones no longer configured). */
  receiversWithPending(): string[] {
    return (this.s.orphans.all() as Row[]).map((r) => String(r.receiver));
  }

  /** Gives up every pending notice of a receiver (one no longer configured); returns how many. */
  giveUpAll(receiver: string, now: number, error: string): number {
    return rowsChanged(this.s.giveUpAll.run({ receiver, now, error }));
  }

  queueState(receiver: string): ReceiverQueueState {
    const row = this.s.queueState.get({ receiver }) as Row;
    return { pending: Number(row.n), oldestQueuedAt: row.oldest === null ? null : Number(row.oldest) };
  }

  /** Deletes finished rows (sent, given up, limited) done before `cutoff`; returns how many. */
  prune(cutoff: number): number {
    let total = 0;
    for (;;) {
      const n = rowsChanged(this.s.prune.run({ cutoff }));
      total += n;
      if (n < 5000) return total;
    }
  }
}

/** The notice's own fields (a view change also carries its `kind`). */
function noticeFields(n: AlertRecord): AlertRecord {
  return {
    id: n.id,
    alertId: n.alertId,
    status: n.status,
    rule: n.rule,
    severity: n.severity,
    key: n.key,
    host: n.host,
    node: n.node,
    message: n.message,
    time: n.time,
    firingSince: n.firingSince,
    notification: n.notification,
    description: n.description,
    conditions: n.conditions,
  };
}
