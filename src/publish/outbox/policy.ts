import { FULL_THRESHOLDS, type OutboxFullHook, type RecordPriority } from '../outbox.js';

/** The full hook is called at most this often per priority. */
export const FULL_HOOK_INTERVAL_MS = 60_000;

/** Whether a record of `size` fits under the priority's share of `capacity` when `used` is taken. */
export function admits(capacity: number, used: number, size: number, priority: RecordPriority): boolean {
  return used + size <= Math.floor(capacity * FULL_THRESHOLDS[priority]);
}

/** Counts refused records by priority and calls the full hook (throttled) for refusals for lack of room. */
export class DropLedger {
  private readonly counts: Record<RecordPriority, number> = { status: 0, reject: 0, event: 0, alert: 0 };
  private readonly hookCalledAt: Partial<Record<RecordPriority, number>> = {};
  /** The last error the hook threw, so that a faulty hook never breaks an append. */
  hookError: string | null = null;

  constructor(
    private readonly now: () => number,
    public onFull: OutboxFullHook | undefined,
  ) {}

  get drops(): Readonly<Record<RecordPriority, number>> {
    return { ...this.counts };
  }

  /** Counts one refused record; `full` = refused for lack of room (the hook is told). */
  drop(priority: RecordPriority, full: boolean): 'dropped' {
    this.counts[priority]++;
    if (!full || this.onFull === undefined) return 'dropped';
    const now = this.now();
    const last = this.hookCalledAt[priority];
    if (last !== undefined && now - last < FULL_HOOK_INTERVAL_MS) return 'dropped';
    this.hookCalledAt[priority] = now;
    try {
      this.onFull(priority);
    } catch (error) {
      this.hookError = `the outbox full hook threw: ${error instanceof Error ? error.message : String(error)}`;
    }
    return 'dropped';
  }
}
