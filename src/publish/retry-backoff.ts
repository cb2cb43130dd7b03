import type { Logger } from '../core/logger.js';
import { PROBLEM_LOG_INTERVAL_MS } from './problem-log.js';
import type { Wakeup } from './publisher.js';

/**
 * The pause a publisher takes after a failed publish or setup: it doubles with each failure in
 * a row up to the maximum and falls back to the minimum on the first success. It also counts the
 * failures in a row, so the first one is logged at once and the rest at most every
 * PROBLEM_LOG_INTERVAL_MS, and the recovery is logged once. The pause sleeps on the publisher's
 * Wakeup: a reconnect or a stop cuts it short.
 */
export class RetryBackoff {
  private delay: number;
  private failures = 0;
  private failureLoggedAt = -Infinity;
  private readonly maxMs: number;

  constructor(
    private readonly log: Logger,
    private readonly wakeup: Wakeup,
    private readonly minMs: number,
    maxMs: number,
  ) {
    this.maxMs = Math.max(minMs, maxMs);
    this.delay = minMs;
  }

  get failuresInARow(): number {
    return this.failures;
  }

  /** The pause the next `pause()` takes. */
  get delayMs(): number {
    return this.delay;
  }

  /** Counts one more failure in a row; true when this one is to be logged. */
  failed(now: number): boolean {
    this.failures++;
    if (this.failures !== 1 && now - this.failureLoggedAt < PROBLEM_LOG_INTERVAL_MS) return false;
    this.failureLoggedAt = now;
    return true;
  }

  /** Sleeps for the current delay (or until woken), and doubles it for next time. */
  async pause(): Promise<void> {
    const ms = this.delay;
    this.delay = Math.min(this.maxMs, this.delay * 2);
    await this.wakeup.until(undefined, ms);
  }

  /** A success: the next pause is the shortest again. */
  reset(): void {
    this.delay = this.minMs;
  }

  /** A success after failures in a row: reset, and say once that publishing works again. */
  recovered(): void {
    this.reset();
    if (this.failures === 0) return;
    this.log.info({ failuresInARow: this.failures }, 'JetStream publishing recovered');
    this.failures = 0;
    this.failureLoggedAt = -Infinity;
  }
}
