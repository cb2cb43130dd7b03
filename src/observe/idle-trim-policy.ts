/**
 * When a quiet sidecar hands its idle heap back to the OS. A load leaves V8's young generation
 * grown and the old one full of garbage, and with V8's own memory reducer off (it re-armed an
 * 8-second timer for ever on a quiet node: see core/node-flags.ts) nothing shrinks them again.
 * One memory-reducing collection per quiet spell does: in the bench, 113 MB → 97 MB for one
 * pause of about 60 ms on the main thread.
 *
 * Pure: the caller gives the time, the datagrams received so far and the heap's size at each
 * housekeeping tick, so the check rides an existing wake-up and adds none.
 */
export interface IdleTrimOptions {
  /** No datagram for this long before the heap is trimmed; 0: never. */
  readonly afterMs: number;
  /**
   * The heap must have grown this much since the last trim (since start for the first): a node
   * that gets a datagram every few minutes does not pay a full collection per quiet spell for
   * the few hundred kilobytes those datagrams allocated.
   */
  readonly minGrowthBytes: number;
}

export class IdleTrimPolicy {
  private received = 0;
  private quietSince: number;
  /** Invariant: true from a trim until the next datagram; at most one trim per quiet spell. */
  private trimmedThisSpell = false;
  private heapAfterLastTrim = 0;

  constructor(
    private readonly options: IdleTrimOptions,
    startedAt: number,
  ) {
    this.quietSince = startedAt;
  }

  /** At a housekeeping tick: whether to trim now. */
  due(now: number, received: number, heapBytes: number): boolean {
    if (received !== this.received) {
      this.received = received;
      this.quietSince = now;
      this.trimmedThisSpell = false;
      return false;
    }
    if (this.options.afterMs <= 0 || this.trimmedThisSpell) return false;
    if (now - this.quietSince < this.options.afterMs) return false;
    return heapBytes - this.heapAfterLastTrim >= this.options.minGrowthBytes;
  }

  /** After a trim, with the heap's size it left. */
  trimmed(heapBytesAfter: number): void {
    this.trimmedThisSpell = true;
    this.heapAfterLastTrim = heapBytesAfter;
  }
}
