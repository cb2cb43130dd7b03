/**
 * When the reader thread hands what it holds to the decoder (`intake.batchDatagrams`,
 * `intake.batchWait`). Every hand-off wakes the main thread, and a wake-up costs far more than
 * decoding one event (on a VM, hundreds of microseconds); at a quiet rate each event would
 * otherwise pay for its own. Waiting until a few datagrams are held, or the oldest has waited
 * long enough, shares one wake-up between them at the price of that wait.
 *
 * Invariant: no datagram waits for this policy longer than `waitMs` after it was read.
 */
export interface HandOffPolicy {
  /** Hand off at once when this many datagrams are held (1: always at once). */
  readonly datagrams: number;
  /** The longest the oldest held datagram waits for more to join it. */
  readonly waitMs: number;
}

/** Hand off at once: the behaviour without batching. */
export const IMMEDIATE: HandOffPolicy = { datagrams: 1, waitMs: 0 };

/**
 * Milliseconds to wait before handing off (0: now). `oldestAt`: when the oldest held datagram
 * was read; `closed`: the socket is closed, nothing more will join.
 */
export function handOffDelay(
  policy: HandOffPolicy,
  held: number,
  oldestAt: number,
  now: number,
  closed: boolean,
): number {
  if (closed || held >= policy.datagrams || policy.waitMs === 0) return 0;
  return Math.max(0, oldestAt + policy.waitMs - now);
}
