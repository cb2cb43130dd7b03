import type { RateLimit } from '../../config/alerting-schema.js';

/**
 * At most `max` notices per sliding window of `perMs` for one receiver. Times are passed in
 * (the caller's clock), so the limit is a pure function of the times accepted before. The
 * window holds at most `max` times, so it is bounded whatever the alert rate.
 */
export class RateWindow {
  /** Accepted times, oldest first; never more than `max`. */
  private accepted: number[] = [];

  constructor(private readonly limit: RateLimit) {}

  /** Takes the times accepted before (e.g. read back after a restart), oldest first. */
  restore(times: readonly number[]): void {
    this.accepted = [...times].sort((a, b) => a - b).slice(-this.limit.max);
  }

  /** Whether a notice at `now` is within the limit; if so it counts from now on. */
  tryAccept(now: number): boolean {
    const since = now - this.limit.perMs;
    while (this.accepted.length > 0 && (this.accepted[0] ?? 0) <= since) this.accepted.shift();
    if (this.accepted.length >= this.limit.max) return false;
    this.accepted.push(now);
    return true;
  }

  /** When the next notice would be accepted (now, when it would be now). */
  nextFreeAt(now: number): number {
    if (this.accepted.length < this.limit.max) return now;
    return (this.accepted[0] ?? now) + this.limit.perMs;
  }
}
