/**
 * The outbox sits between the pipeline and NATS: the pipeline appends, the publisher reads the
 * oldest records in order and acknowledges them only once NATS has confirmed them. This is the
 * interface the durable on-disk outbox implements too; `memory-outbox.ts` is the bounded
 * in-process one.
 */

/** Lowest first: when the outbox is full, the lowest-priority records are the ones given up. */
export const RECORD_PRIORITIES = ['status', 'reject', 'event', 'alert'] as const;
export type RecordPriority = (typeof RECORD_PRIORITIES)[number];

export interface OutboxRecord {
  /** Stable across re-sends: CloudEvents `id` and `Nats-Msg-Id`. */
  readonly id: string;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly priority: RecordPriority;
  /** Epoch ms when the record was appended (for the age of the oldest record). */
  readonly appendedAt: number;
}

export type AppendOutcome = 'appended' | 'dropped';

export interface Outbox {
  /** Never blocks; when full the record is dropped and counted by the caller's counters. */
  append(record: OutboxRecord): AppendOutcome;
  /** Up to `max` oldest records, in append order, without removing them. */
  peek(max: number): readonly OutboxRecord[];
  /** Removes the `count` oldest records, which the publisher has had confirmed. */
  acknowledge(count: number): void;
  readonly depth: number;
  /** Resolves as soon as there is at least one record (at once if there is one now). */
  whenNotEmpty(): Promise<void>;
  /** Resolves once the outbox is empty (at once if it is). */
  whenEmpty(): Promise<void>;
}
