import { BoundedQueue } from '../core/bounded-queue.js';
import type { AppendOutcome, Outbox, OutboxRecord } from './outbox.js';

/**
 * Bounded FIFO in memory. When full, a new record is refused (`dropped`): the caller counts it.
 * Records are lost if the process dies; the durable outbox closes that gap.
 */
export class MemoryOutbox implements Outbox {
  private readonly queue: BoundedQueue<OutboxRecord>;
  private notEmptyWaiters: (() => void)[] = [];
  private emptyWaiters: (() => void)[] = [];

  constructor(capacity: number) {
    this.queue = new BoundedQueue(capacity);
  }

  get depth(): number {
    return this.queue.length;
  }

  append(record: OutboxRecord): AppendOutcome {
    if (!this.queue.push(record)) return 'dropped';
    if (this.queue.length === 1) wake(this.notEmptyWaiters.splice(0));
    return 'appended';
  }

  peek(max: number): readonly OutboxRecord[] {
    return this.queue.peek(max);
  }

  acknowledge(count: number): void {
    this.queue.discard(count);
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
