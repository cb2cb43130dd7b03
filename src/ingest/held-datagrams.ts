import { createSourceFilter } from '../config/address-filter.js';
import type { PackedBatch } from './datagram-batch.js';
import { ArrivalRate, type HandOffPolicy, handOffDelay } from './hand-off-policy.js';
import { PackingQueue } from './packing-queue.js';
import type { ReaderTotals } from './reader-protocol.js';

export interface HeldDatagramsOptions {
  readonly queueSize: number;
  readonly maxBatch: number;
  readonly allowedSources: readonly string[];
  readonly handOff: HandOffPolicy;
}

/**
 * What a socket shell holds between the socket and the decoder, wherever the socket is read
 * (the reader thread or the main thread): the bounded queue, the sender check, the counters and
 * the arrival rate that the hand-off policy reads. Time is an argument; the shells own the
 * socket, the timers and how the main thread is told.
 *
 * Invariants: `received` = datagrams that arrived; `dropped` of them found `queueSize` already
 * held and were not kept; the rest are held until taken, oldest first.
 */
export class HeldDatagrams {
  private readonly queue: PackingQueue;
  private readonly isAllowed: (address: string) => boolean;
  private readonly handOff: HandOffPolicy;
  private readonly arrivals = new ArrivalRate();
  private lastArrivalAt = Number.NEGATIVE_INFINITY;
  private receivedCount = 0;
  private droppedCount = 0;

  constructor(options: HeldDatagramsOptions) {
    this.queue = new PackingQueue(options.queueSize, options.maxBatch);
    this.isAllowed = createSourceFilter(options.allowedSources);
    this.handOff = options.handOff;
  }

  get length(): number {
    return this.queue.length;
  }

  get totals(): ReaderTotals {
    return { received: this.receivedCount, dropped: this.droppedCount };
  }

  /** Counts the datagram and keeps it; false when the queue was full (it is counted as dropped). */
  arrive(bytes: Uint8Array, address: string, port: number, now: number): boolean {
    this.lastArrivalAt = now;
    this.arrivals.note(now);
    this.receivedCount++;
    if (this.queue.push({ bytes, address, port, receivedAt: now, allowed: this.isAllowed(address) }))
      return true;
    this.droppedCount++;
    return false;
  }

  /** Milliseconds until what is held is due (0: now); `closed`: nothing more will arrive. */
  delay(now: number, closed: boolean): number {
    const oldest = this.queue.oldestReceivedAt() ?? now;
    return handOffDelay(this.handOff, this.queue.length, oldest, now, closed, this.arrivals.perSecond);
  }

  /** The oldest batch, or undefined when nothing is held. */
  take(): PackedBatch | undefined {
    return this.queue.take();
  }

  /** Nothing arrived for `quietMs` before `now`. */
  quietFor(now: number, quietMs: number): boolean {
    return now - this.lastArrivalAt >= quietMs;
  }
}

/**
 * At stop, datagrams the kernel already holds count as in flight: resolves once `held` has been
 * quiet for `quietMs`, or at `giveUpAt` (epoch ms), whichever comes first.
 */
export async function untilQuiet(held: HeldDatagrams, quietMs: number, giveUpAt: number): Promise<void> {
  for (;;) {
    const now = Date.now();
    if (held.quietFor(now, quietMs) || now >= giveUpAt) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(quietMs / 4, giveUpAt - now)));
  }
}
