/**
 * When the reader thread hands what it holds to the decoder (`intake.batchDatagrams`,
 * `intake.batchWait`, `intake.batchBelowRate`). Every hand-off wakes the main thread, and what
 * follows (the outbox write and its fdatasync, the publish, its acknowledgement) costs far more
 * than decoding one event: on a VM, hundreds of microseconds per wake-up. At a quiet rate each
 * event would pay for all of it alone. Waiting until a few datagrams are held, or the oldest has
 * waited long enough, shares one round between them at the price of that wait; and only while
 * datagrams arrive slower than `belowRate`, because a busy node fills its batches by itself and
 * its latency is what the wait would cost.
 *
 * Invariant: no datagram waits for this policy longer than `waitMs` after it was read.
 */
export interface HandOffPolicy {
  /** Hand off at once when this many datagrams are held (1: always at once). */
  readonly datagrams: number;
  /** The longest the oldest held datagram waits for more to join it. */
  readonly waitMs: number;
  /** Datagrams a second from which there is no waiting (0: wait at any rate). */
  readonly belowRate: number;
}

/** The policy the `intake` keys ask for. */
export function handOffPolicyOf(intake: {
  readonly batchDatagrams: number;
  readonly batchWaitMs: number;
  readonly batchBelowRate: number;
}): HandOffPolicy {
  return { datagrams: intake.batchDatagrams, waitMs: intake.batchWaitMs, belowRate: intake.batchBelowRate };
}

/** Hand off at once: the behaviour without batching. */
export const IMMEDIATE: HandOffPolicy = { datagrams: 1, waitMs: 0, belowRate: 0 };

/**
 * Milliseconds to wait before handing off (0: now). `oldestAt`: when the oldest held datagram
 * was read; `closed`: the socket is closed, nothing more will join; `ratePerSecond`: how fast
 * datagrams arrive now (ArrivalRate).
 */
export function handOffDelay(
  policy: HandOffPolicy,
  held: number,
  oldestAt: number,
  now: number,
  closed: boolean,
  ratePerSecond = 0,
): number {
  if (closed || held >= policy.datagrams || policy.waitMs === 0) return 0;
  if (policy.belowRate > 0 && ratePerSecond >= policy.belowRate) return 0;
  return Math.max(0, oldestAt + policy.waitMs - now);
}

/** A gap longer than this counts as this long: one quiet hour must not take an hour to forget. */
const MAX_GAP_MS = 1_000;
/** Weight of the newest gap: the estimate follows a change of rate within a few datagrams. */
const NEWEST_GAP_WEIGHT = 0.25;

/**
 * How fast datagrams arrive: 1000 / the exponentially weighted mean gap between them (in ms,
 * each gap capped at one second). Starts quiet. A burst after a quiet spell is recognised after
 * about twenty-five datagrams (the mean falls from 1 s under 5 ms), and they wait no longer than
 * it takes them to arrive; a quiet spell after a burst within one datagram.
 */
export class ArrivalRate {
  private meanGapMs = MAX_GAP_MS;
  private lastAt: number | null = null;

  note(now: number): void {
    if (this.lastAt !== null) {
      const gap = Math.min(MAX_GAP_MS, Math.max(0, now - this.lastAt));
      this.meanGapMs += (gap - this.meanGapMs) * NEWEST_GAP_WEIGHT;
    }
    this.lastAt = now;
  }

  get perSecond(): number {
    return this.meanGapMs <= 0 ? Number.POSITIVE_INFINITY : 1_000 / this.meanGapMs;
  }
}
