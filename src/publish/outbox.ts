/**
 * The outbox sits between the pipeline and NATS: the pipeline appends, the publisher reads the
 * oldest records in order and acknowledges them only once NATS has confirmed them. The sidecar's
 * implementation is `outbox/disk-outbox.ts` (durable, append-only segments under dataDir); the
 * tests also use `test/helpers/memory-outbox.ts` (bounded, in process; lost on exit).
 */

/** Lowest first: when the outbox is full, the lowest-priority records are the ones given up. */
export const RECORD_PRIORITIES = ['status', 'reject', 'event', 'alert'] as const;
export type RecordPriority = (typeof RECORD_PRIORITIES)[number];

/**
 * Full policy, shared by both outboxes: a record of priority p is refused when taking it would
 * put the outbox's size above `FULL_THRESHOLDS[p] × capacity`. The headroom kept back from each
 * lower priority is what lets the higher ones still fit: status records stop at 80 %, rejects at
 * 90 %, events at 98 %, alerts use the last 2 % and stop only at 100 %. The size is the pending
 * bytes (each record counted as its encoded frame, as on disk) against `maxBytes`; the memory
 * outbox also applies it to its record count against its capacity.
 */
export const FULL_THRESHOLDS: Readonly<Record<RecordPriority, number>> = {
  status: 0.8,
  reject: 0.9,
  event: 0.98,
  alert: 1,
};

/** Called when the outbox refuses a record for lack of room; at most once a minute per priority. */
export type OutboxFullHook = (priority: RecordPriority) => void;

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
  /**
   * Never blocks; when full (see FULL_THRESHOLDS) the record is refused with `dropped`. The caller
   * counts it in its own counters; the outbox also counts it in `drops`.
   */
  append(record: OutboxRecord): AppendOutcome;
  /**
   * The `max` oldest records (fewer if there are fewer), in append order, without removing them.
   * The disk outbox hands out at most 4096 at a time (its read-ahead window).
   */
  peek(max: number): readonly OutboxRecord[];
  /** Removes the `count` oldest records, which the publisher has had confirmed. */
  acknowledge(count: number): void;
  /** Records waiting (appended, not yet acknowledged). */
  readonly depth: number;
  /** Size of the waiting records, each counted as its encoded frame (what it takes on disk). */
  readonly bytes: number;
  /** `appendedAt` of the oldest waiting record; null when empty. */
  readonly oldestAppendedAt: number | null;
  /** Records refused since start, by priority (full, too large, or after close). */
  readonly drops: Readonly<Record<RecordPriority, number>>;
  /** False after a write or fsync error until writing works again; the memory outbox is always healthy. */
  readonly healthy: boolean;
  /** The last I/O problem, with the path concerned; null when there was none. */
  readonly lastError: string | null;
  /** Resolves as soon as there is at least one record (at once if there is one now). */
  whenNotEmpty(): Promise<void>;
  /** Resolves once the outbox is empty (at once if it is). */
  whenEmpty(): Promise<void>;
  /**
   * Writes what `append` buffered to the operating system now, synchronously (one write call).
   * The worker may call it after each batch of datagrams: a `kill -9` then loses nothing the
   * worker finished. Optional: the memory outbox has nothing to write.
   */
  flush?(): void;
  /** Writes, fsyncs and closes (idempotent). Appends after close are refused. */
  close?(): Promise<void>;
}
