/**
 * When to push a live update: at most one per `minIntervalMs`, and never a change left unsent.
 * The first change after a quiet spell goes out at once; changes during the interval are
 * folded into one update at its end. Pure: the caller passes `now` and runs the timer.
 */
export class UpdateCoalescer {
  private lastSentAt = -Infinity;
  private dirty = false;

  constructor(private readonly minIntervalMs: number) {}

  /**
   * A change happened at `now`. Returns the delay (ms, 0 = now) after which to call `take`, or
   * null when an update is already scheduled (this change rides along with it).
   */
  changed(now: number): number | null {
    if (this.dirty) return null;
    this.dirty = true;
    return Math.max(0, this.lastSentAt + this.minIntervalMs - now);
  }

  /** The scheduled moment came: whether to send an update now (it is then counted as sent). */
  take(now: number): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    this.lastSentAt = now;
    return true;
  }

  /** Whether a change waits to be sent. */
  get pending(): boolean {
    return this.dirty;
  }
}
