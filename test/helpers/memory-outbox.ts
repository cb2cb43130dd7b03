/**
 * MemoryOutbox: the in-process Outbox the tests run the publisher and the outbox contract
 * against (no disk, lost on exit). It lives with the test helpers because nothing in the
 * sidecar uses it; it must keep the same full policy (FULL_THRESHOLDS via policy.ts) and frame
 * sizes (frame.ts) as the disk outbox, so that the contract suite holds for both.
 */
import { BoundedQueue } from '../../src/core/bounded-queue.js';
import type {
  AppendOutcome,
  Outbox,
  OutboxFullHook,
  OutboxRecord,
  RecordPriority,
} from '../../src/publish/outbox.js';
import { frameBytes } from '../../src/publish/outbox/frame.js';
import { admits, DropLedger } from '../../src/publish/outbox/policy.js';

export interface MemoryOutboxOptions {
  /** Size limit in bytes (records counted as their encoded frames, like the disk outbox); none if omitted. */
  readonly maxBytes?: number;
  /** Called when a record is refused for lack of room, at most once a minute per priority. */
  readonly onFull?: OutboxFullHook;
  readonly now?: () => number;
}

/**
 * Bounded FIFO in memory. Applies the full policy of FULL_THRESHOLDS to its record count against
 * `capacity` and, when `maxBytes` is given, to its bytes: a refused record is `dropped`, counted
 * in `drops` and by the caller. Records are lost if the process dies; the disk outbox closes that gap.
 */
export class MemoryOutbox implements Outbox {
  private readonly queue: BoundedQueue<OutboxRecord>;
  private readonly ledger: DropLedger;
  private readonly maxBytes: number | undefined;
  private pendingBytes = 0;
  private notEmptyWaiters: (() => void)[] = [];
  private emptyWaiters: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    options: MemoryOutboxOptions = {},
  ) {
    this.queue = new BoundedQueue(capacity);
    this.maxBytes = options.maxBytes;
    this.ledger = new DropLedger(options.now ?? Date.now, options.onFull);
  }

  get depth(): number {
    return this.queue.length;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  get oldestAppendedAt(): number | null {
    return this.queue.peek(1)[0]?.appendedAt ?? null;
  }

  get drops(): Readonly<Record<RecordPriority, number>> {
    return this.ledger.drops;
  }

  get healthy(): boolean {
    return true;
  }

  get lastError(): string | null {
    return this.ledger.hookError;
  }

  /** The full hook (see MemoryOutboxOptions.onFull); may be set after construction. */
  get onFull(): OutboxFullHook | undefined {
    return this.ledger.onFull;
  }

  set onFull(hook: OutboxFullHook | undefined) {
    this.ledger.onFull = hook;
  }

  append(record: OutboxRecord): AppendOutcome {
    const size = frameBytes(record);
    const { priority } = record;
    if (!admits(this.capacity, this.queue.length, 1, priority)) return this.ledger.drop(priority, true);
    if (this.maxBytes !== undefined && !admits(this.maxBytes, this.pendingBytes, size, priority)) {
      return this.ledger.drop(priority, true);
    }
    this.queue.push(record);
    this.pendingBytes += size;
    if (this.queue.length === 1) wake(this.notEmptyWaiters.splice(0));
    return 'appended';
  }

  peek(max: number): readonly OutboxRecord[] {
    return this.queue.peek(max);
  }

  acknowledge(count: number): void {
    const n = Math.min(Math.max(0, Math.floor(count)), this.queue.length);
    for (let i = 0; i < n; i++) {
      const record = this.queue.shift();
      if (record !== undefined) this.pendingBytes -= frameBytes(record);
    }
    if (this.queue.length === 0) wake(this.emptyWaiters.splice(0));
  }

  whenNotEmpty(): Promise<void> {
    if (this.queue.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.notEmptyWaiters.push(resolve));
  }

  whenEmpty(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }
}

function wake(waiters: (() => void)[]): void {
  for (const resolve of waiters) resolve();
}
