import {
  BatchWriter,
  batchLength,
  firstReceivedAt,
  type PackedBatch,
  type ReadDatagram,
} from './datagram-batch.js';

const FIRST_SLOTS = 16;

/**
 * The reader thread's queue: each datagram is copied into the batch it will travel in as it
 * arrives, so the reader holds a few large buffers instead of one object per datagram. A queue
 * of thousands of small objects survives every young-generation GC (each one copies them) and
 * drags old-generation collections into a burst, exactly when the reader must not pause;
 * packed, the datagram's own buffer dies young and a GC has almost nothing to move.
 *
 * Invariants: `length` ≤ `capacity`; batches leave in arrival order and hold ≤ `maxBatch`
 * datagrams each; the open (last) batch is sealed when full or when taken.
 */
export class PackingQueue {
  private readonly sealed: PackedBatch[] = [];
  private open: BatchWriter | null = null;
  private held = 0;

  constructor(
    readonly capacity: number,
    readonly maxBatch: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('queue capacity must be a positive integer');
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new RangeError('batch size must be a positive integer');
  }

  /** Datagrams held, in sealed batches and the open one. */
  get length(): number {
    return this.held;
  }

  /** Copies the datagram in; false (nothing kept) when `capacity` datagrams are already held. */
  push(datagram: ReadDatagram): boolean {
    if (this.held >= this.capacity) return false;
    this.open ??= new BatchWriter(Math.min(FIRST_SLOTS, this.maxBatch));
    this.open.add(datagram);
    this.held++;
    if (this.open.length >= this.maxBatch) {
      this.sealed.push(this.open.seal());
      this.open = null;
    }
    return true;
  }

  /** When the oldest datagram held was read (its receivedAt), or undefined when none is held. */
  oldestReceivedAt(): number | undefined {
    const first = this.sealed[0];
    return first === undefined ? this.open?.firstReceivedAt : firstReceivedAt(first);
  }

  /** The oldest batch (the open one when none is full yet), or undefined when nothing is held. */
  take(): PackedBatch | undefined {
    let batch = this.sealed.shift();
    if (batch === undefined && this.open !== null) {
      batch = this.open.seal();
      this.open = null;
    }
    if (batch !== undefined) this.held -= batchLength(batch);
    return batch;
  }
}
