/**
 * A fixed-capacity FIFO over a ring, so a hand-off between stages costs no allocation per item
 * and can never grow past its bound. `push` refuses when full; the caller counts the drop.
 */
export class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('queue capacity must be a positive integer');
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(item: T): boolean {
    if (this.size === this.capacity) return false;
    this.items[(this.head + this.size) % this.capacity] = item;
    this.size++;
    return true;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    return item;
  }

  /** Up to `max` oldest items, oldest first, left in place. */
  peek(max: number): T[] {
    const n = Math.min(max, this.size);
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      const item = this.items[(this.head + i) % this.capacity];
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  /** Removes up to `count` oldest items. */
  discard(count: number): void {
    const n = Math.min(count, this.size);
    for (let i = 0; i < n; i++) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.size -= n;
  }
}
