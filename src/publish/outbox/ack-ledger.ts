import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Cursor, writeCursor } from './cursor.js';
import { describeError, errorCode, isNoSpace, segmentName } from './io.js';
import { moveToQuarantine, QUARANTINE_DIR } from './recovery.js';
import { type OutboxState, RETRY_MS, type Segment, unref } from './state.js';

/**
 * What NATS has acknowledged: the in-memory acknowledgement cursor (where the first
 * unacknowledged record starts, and the lifetime count), its persistence in `cursor.json`
 * (format and atomic write in cursor.ts), and deleting the segments wholly behind it.
 *
 * Each cursor write is a temp file, an fdatasync and a rename, about once a second while
 * events, rejects or alerts are acknowledged (and on close), which bounds what a crash re-sends
 * (the duplicate window drops it); a failed write is retried a second later. A write rides on
 * the outbox's next fdatasync round once the last one is CURSOR_RIDE_MS old, so that a quiet
 * node's round (write, fsync, publish, acknowledgement) wakes the thread pool and the main
 * thread once for both; without a round it is written CURSOR_INTERVAL_MS after the
 * acknowledgement, which bounds what a crash re-sends to two seconds of records. While only status
 * records are acknowledged (an idle node), at most every five minutes: a crash then re-sends up
 * to five minutes of status messages, which are about now and superseded by the next one, and
 * a quiet node does not wake the thread pool at every status.
 *
 * Invariants: the cursor is never ahead of what was acknowledged; a segment is deleted only
 * once a cursor past it is on disk, and never while an fdatasync may be running on it.
 */

// The persisted cursor is written at the latest this long after an acknowledgement ...
export const CURSOR_INTERVAL_MS = 2_000;
// ... and this often while the records acknowledged are all status records ...
export const STATUS_CURSOR_INTERVAL_MS = 5 * 60_000;
// ... and before either, with an outbox fdatasync round, once its last write is this old:
// longer than a quiet node's batch wait would not ride, shorter would write it more often than
// once a second on a busy one (a round every fsyncIntervalMs).
export const CURSOR_RIDE_MS = 800;

export interface AckLedgerOptions {
  /** Records acknowledged over the outbox's life before this open (from the cursor file). */
  readonly acknowledged: number;
  /** The fdatasync round running now, if any (no descriptor is closed under it). */
  readonly syncInFlight: () => Promise<void> | null;
  /** Closes the read and write descriptors of a segment about to be deleted. */
  readonly release: (seg: Segment) => void;
  readonly now: () => number;
}

export class AckLedger {
  private seg: Segment;
  private offset: number;
  private acknowledgedTotal: number;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private timerDelay = 0;
  private persisting: Promise<void> | null = null;
  /** When the last write began (`options.now`); none yet: never. */
  private lastPersistAt = Number.NEGATIVE_INFINITY;
  private failing = false;
  private noSpace = false;

  constructor(
    private readonly state: OutboxState,
    private readonly options: AckLedgerOptions,
  ) {
    const { first } = state;
    this.seg = first;
    this.offset = first.base;
    this.acknowledgedTotal = options.acknowledged;
  }

  /** Records acknowledged over the outbox's life. */
  get acknowledged(): number {
    return this.acknowledgedTotal;
  }

  /** False while the cursor cannot be written. */
  get healthy(): boolean {
    return !this.failing;
  }

  /** The cursor cannot be written for lack of room on the filesystem. */
  get diskFull(): boolean {
    return this.failing && this.noSpace;
  }

  cursor(): Cursor {
    return { segment: this.seg.seq, offset: this.offset, acknowledged: this.acknowledgedTotal };
  }

  /** `count` more records acknowledged, the last of them (if any was read) ending at `last.end` of `last.seg`. */
  acknowledge(count: number, last: { readonly seg: Segment; readonly end: number } | undefined): void {
    this.acknowledgedTotal += count;
    if (last !== undefined) this.moveTo(last.seg, last.end);
  }

  /** The first unacknowledged record is at `offset` of `seg` (nothing acknowledged with it). */
  moveTo(seg: Segment, offset: number): void {
    this.seg = seg;
    this.offset = offset;
  }

  /** The outbox started a new segment: a cursor at the end of the old one moves on to it. */
  followRollover(old: Segment, seg: Segment): void {
    if (this.seg === old && this.offset >= old.size) {
      this.seg = seg;
      this.offset = 0;
    }
  }

  /** A cursor at the end of a finished segment moves to the start of the next one. */
  normalize(): void {
    while (this.seg !== this.state.write && this.offset >= this.seg.size) {
      const next = this.state.after(this.seg);
      if (next === undefined) break;
      this.seg = next;
      this.offset = next.base;
    }
  }

  /**
   * The cursor changed: it is written `delay` ms from now, unless a write is already due sooner
   * (a shorter delay brings a later write forward).
   */
  schedule(delay = CURSOR_INTERVAL_MS): void {
    this.dirty = true;
    if (this.persisting !== null || this.state.closed) return;
    if (this.timer !== null) {
      if (this.timerDelay <= delay) return;
      clearTimeout(this.timer);
    }
    this.timerDelay = delay;
    this.timer = unref(
      setTimeout(() => {
        this.timer = null;
        void this.persist();
      }, delay),
    );
  }

  /**
   * The outbox starts an fdatasync round: a cursor waiting for its timer is written now, sharing
   * the round's wake-ups, once its last write is CURSOR_RIDE_MS old. One waiting on the status
   * interval (five minutes) rides too: the round costs the wake-up already.
   */
  rideAlong(): void {
    if (!this.dirty || this.timer === null || this.failing) return;
    if (this.options.now() - this.lastPersistAt < CURSOR_RIDE_MS) return;
    void this.persist();
  }

  stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Writes the cursor now and deletes the segments behind it. */
  persist(): Promise<void> {
    if (this.persisting !== null) return this.persisting.then(() => this.persist());
    this.stopTimer();
    this.lastPersistAt = this.options.now();
    this.persisting = this.persistOnce().finally(() => {
      this.persisting = null;
      if (this.dirty && !this.state.closed) {
        this.schedule(this.failing ? RETRY_MS : CURSOR_INTERVAL_MS);
      }
    });
    return this.persisting;
  }

  private async persistOnce(): Promise<void> {
    this.dirty = false;
    this.normalize();
    const cursor = this.cursor();
    try {
      await writeCursor(this.state.dir, cursor);
      this.failing = false;
    } catch (error) {
      this.failing = true;
      this.noSpace = isNoSpace(error instanceof Error ? (error.cause ?? error) : error);
      this.dirty = true;
      this.state.problem = describeError(error);
      return;
    }
    await this.deleteBefore(cursor.segment);
  }

  /** Deletes the segments wholly before `seq` (moved to quarantine if a bad frame was found in them). */
  private async deleteBefore(seq: number): Promise<void> {
    const { state } = this;
    for (let sync = this.options.syncInFlight(); sync !== null; sync = this.options.syncInFlight()) {
      await sync; // no descriptor closed under an fdatasync
    }
    const gone: Segment[] = [];
    for (let first = state.segments[0]; first !== undefined; first = state.segments[0]) {
      if (first.seq >= seq || first === state.write) break;
      state.segments.shift();
      this.options.release(first);
      gone.push(first);
    }
    for (const seg of gone) {
      try {
        if (seg.damagedAt !== null) {
          const name = `${segmentName(seg.seq).replace(/\.log$/, '')}-${seg.damagedAt}.bad`;
          await moveToQuarantine(seg.path, join(state.dir, QUARANTINE_DIR), name);
        } else {
          await unlink(seg.path);
        }
      } catch (error) {
        // Left on disk: the next open deletes it (it is behind the cursor).
        if (errorCode(error) !== 'ENOENT') state.problem = describeError(error);
      }
    }
  }
}
