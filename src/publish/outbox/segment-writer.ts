import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import type { OutboxFullHook, OutboxRecord, RecordPriority } from '../outbox.js';
import { encodableFrameBytes, encodeFrame } from './frame.js';
import { describeError, isNoSpace, syncDirectory } from './io.js';
import { admits, DropLedger } from './policy.js';
import { type OutboxState, RETRY_MS, type Segment, unref } from './state.js';

/**
 * The writing side of the disk outbox: what is taken (size bounds and the priority policy), the
 * write buffer, starting a new segment when the current one is full, the writes and the fsync
 * policy, and the write descriptors.
 *
 * `append()` is synchronous and never waits for the disk: it encodes the frame into an
 * in-process buffer. The buffer is written with one positional write per segment (`flush()`,
 * synchronous, into the OS page cache) at the end of the event-loop turn that appended (an
 * immediate), as soon as 64 KiB are buffered, or when the caller calls `flush()`: one write
 * system call per turn (the worker yields every 64 datagrams). fdatasync runs off the event
 * loop (libuv thread pool), at most once per `fsyncIntervalMs`, on the leading edge: the first
 * event, reject or alert not yet synced is synced at the end of its turn when the last round
 * began `fsyncIntervalMs` ago or more, else when that interval has passed; and at once when
 * `fsyncRecords` of them have been appended since the last round (status records ride along:
 * see `scheduleWrites`). A busy outbox syncs as often as before; a quiet one syncs in the turn
 * that wrote instead of waking again for a timer, and its records reach the disk sooner.
 *
 * Invariants: the buffer holds, in `parts`, exactly the frames of `[flushed, size)` of each
 * segment concerned, in order; a failed write leaves the rest buffered for a retry (appends
 * beyond 32 MiB buffered are refused). No descriptor is closed while an fdatasync on it may be
 * running (`syncInFlight`).
 */

const fdatasyncAsync = promisify(fdatasync);

const FLUSH_BYTES = 64 * 1024;
const INITIAL_BUFFER_BYTES = 2 * FLUSH_BYTES;
/** Appends are refused beyond this much unwritten data (only reached while writes fail). */
const MAX_BUFFER_BYTES = 32 * 1024 * 1024;
/**
 * While the filesystem is full, alerts alone are still taken, into memory, up to this much
 * unwritten data: they are rare and the most important, and one of them says the disk is full.
 */
export const DISK_FULL_ALERT_BUFFER_BYTES = 1024 * 1024;

export interface SegmentWriterOptions {
  /** Pending bytes at most (the full policy's capacity). */
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly fsyncIntervalMs: number;
  readonly fsyncRecords: number;
  readonly now: () => number;
  readonly onFull: OutboxFullHook | undefined;
  /** Starts a new segment to write; the outbox moves the reader and cursor along with it. */
  readonly rollover: () => void;
  /** An fdatasync round was asked for: other durable writes may share its wake-up. */
  readonly onSyncRound?: () => void;
}

/** Frames in `buffer[start, end)` that belong at the end of `seg`. */
export interface BufferPart {
  readonly seg: Segment;
  start: number;
  end: number;
  records: number;
}

/** Where an appended record went: `[start, start + size)` of `seg`. */
export interface Placement {
  readonly seg: Segment;
  readonly start: number;
  readonly size: number;
}

export class SegmentWriter {
  private readonly drops: DropLedger;

  private buf = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  private bufLength = 0;
  private parts: BufferPart[] = [];

  private unsyncedRecords = 0;
  /** Retry of a failed write. */
  private flushTimer: NodeJS.Timeout | null = null;
  /**
   * What a turn appends is written at the end of that turn (an immediate, not a timer: a timer
   * cleared early still wakes the process when it would have fired, and on a quiet node that
   * was one extra wake-up per record).
   */
  private flushSoon: NodeJS.Immediate | null = null;
  private readonly flushSoonFired = (): void => {
    this.flushSoon = null;
    this.flushTimerFired();
  };
  private syncTimer: NodeJS.Timeout | null = null;
  /**
   * The fdatasync due at the end of this turn: an immediate of its own, queued after the write's
   * (which `flush()` may have done and cancelled already).
   */
  private syncSoon: NodeJS.Immediate | null = null;
  private readonly syncSoonFired = (): void => {
    this.syncSoon = null;
    this.writeBuffered(true);
    void this.requestSync();
  };
  /** When the last fdatasync round was asked for (`options.now`); none yet: never. */
  private lastSyncAt = Number.NEGATIVE_INFINITY;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private dirDirty = false;

  private writeFailedAt: number | null = null;
  private syncFailing = false;
  /** The last write or fsync failed for lack of room on the filesystem (see `diskFull`). */
  private noSpace = false;

  constructor(
    private readonly state: OutboxState,
    private readonly options: SegmentWriterOptions,
  ) {
    this.drops = new DropLedger(options.now, options.onFull);
  }

  /** Refused records by priority. */
  get dropped(): Readonly<Record<RecordPriority, number>> {
    return this.drops.drops;
  }

  get hookError(): string | null {
    return this.drops.hookError;
  }

  get onFull(): OutboxFullHook | undefined {
    return this.drops.onFull;
  }

  set onFull(hook: OutboxFullHook | undefined) {
    this.drops.onFull = hook;
  }

  /** False while a write or an fsync fails. */
  get healthy(): boolean {
    return this.writeFailedAt === null && !this.syncFailing;
  }

  /**
   * The filesystem is full (ENOSPC or EDQUOT on the last write or fsync), until a write goes
   * through. Meanwhile the priority policy treats the outbox as full whatever `maxBytes` says:
   * status records, rejects and events are refused (counted, full hook), and alerts are taken into
   * memory up to DISK_FULL_ALERT_BUFFER_BYTES, written once the disk has room (acknowledged
   * segments are deleted as NATS confirms them). What was taken before stays buffered and is
   * retried every second, so nothing accepted is given up.
   */
  get diskFull(): boolean {
    return this.noSpace && !this.healthy;
  }

  /** The fdatasync round running now, if any (await it before closing a descriptor). */
  get syncInFlight(): Promise<void> | null {
    return this.syncing;
  }

  /** Records appended and not yet written to their files. */
  get bufferedRecords(): number {
    return this.parts.reduce((sum, part) => sum + part.records, 0);
  }

  get bufferedBytes(): number {
    return this.bufLength;
  }

  /** The write buffer (frames not yet written) and the part of it that belongs to `seg`. */
  buffered(seg: Segment): { readonly buffer: Buffer; readonly part: BufferPart | undefined } {
    return { buffer: this.buf, part: this.parts.find((candidate) => candidate.seg === seg) };
  }

  /** Takes the record into the buffer (counted as pending) or refuses it, counted in `drops`. */
  append(record: OutboxRecord): Placement | 'dropped' {
    const { state } = this;
    const { priority } = record;
    if (state.closed) return this.drops.drop(priority, false);
    const size = encodableFrameBytes(record);
    if (size < 0) return this.drops.drop(priority, false);
    if (!admits(this.options.maxBytes, state.pendingBytes, size, priority))
      return this.drops.drop(priority, true);
    if (this.diskFull && (priority !== 'alert' || this.bufLength + size > DISK_FULL_ALERT_BUFFER_BYTES))
      return this.drops.drop(priority, true);
    if (this.bufLength + size > MAX_BUFFER_BYTES) return this.drops.drop(priority, false);

    if (state.write.size > 0 && state.write.size + size > this.options.segmentBytes) this.options.rollover();
    const seg = state.write;
    const start = seg.size;
    if (this.bufLength + size > this.buf.length) this.grow(this.bufLength + size);
    encodeFrame(record, this.buf, this.bufLength);
    const last = this.parts.at(-1);
    if (last?.seg === seg) {
      last.end += size;
      last.records++;
    } else {
      this.parts.push({ seg, start: this.bufLength, end: this.bufLength + size, records: 1 });
    }
    this.bufLength += size;
    seg.size += size;
    seg.records++;
    state.pendingRecords++;
    state.pendingBytes += size;
    state.appendedTotal++;
    return { seg, start, size };
  }

  /**
   * After an append: the write at the end of the turn (or now, past 64 KiB) and the fsync policy.
   * A status record does not ask for an fdatasync of its own: it is about now, the next one
   * supersedes it, and a process crash keeps it anyway (the page cache survives the process); it
   * reaches stable storage with the next event, reject or alert. On an idle node this is the
   * difference between waking the thread pool every status interval and not at all.
   */
  scheduleWrites(priority: RecordPriority): void {
    if (this.bufLength >= FLUSH_BYTES) this.writeBuffered(true);
    else if (this.flushTimer === null) this.flushSoon ??= setImmediate(this.flushSoonFired).unref();
    if (priority === 'status') return;
    if (++this.unsyncedRecords >= this.options.fsyncRecords) {
      this.writeBuffered(true);
      void this.requestSync();
      return;
    }
    if (this.syncTimer !== null || this.syncSoon !== null) return;
    const { fsyncIntervalMs, now } = this.options;
    const wait = Math.min(fsyncIntervalMs, this.lastSyncAt + fsyncIntervalMs - now());
    if (wait <= 0) this.syncSoon = setImmediate(this.syncSoonFired).unref();
    else this.syncTimer = unref(setTimeout(() => this.syncTimerFired(), wait));
  }

  /**
   * Everything appended has been acknowledged while the disk is full: what is still buffered
   * need not be written any more (NATS has it). The failure stays until `clearFailure`, so the
   * policy keeps refusing until the room is given back.
   */
  discardBuffered(): void {
    this.parts = [];
    this.bufLength = 0;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (this.flushSoon !== null) clearImmediate(this.flushSoon);
    this.flushTimer = null;
    this.flushSoon = null;
  }

  /** The acknowledged segments were deleted: the next write finds out whether there is room. */
  clearFailure(): void {
    if (this.bufLength > 0) return;
    this.writeFailedAt = null;
    this.noSpace = false;
  }

  /** Stops every pending write and fsync timer (on close). */
  stopTimers(): void {
    for (const timer of [this.flushTimer, this.syncTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    for (const soon of [this.flushSoon, this.syncSoon]) {
      if (soon !== null) clearImmediate(soon);
    }
    this.flushTimer = this.syncTimer = null;
    this.flushSoon = this.syncSoon = null;
  }

  /** One positional write per buffered part; on an error the rest stays buffered for a retry. */
  writeBuffered(respectRetryPause: boolean): void {
    if (this.bufLength === 0) return;
    if (
      respectRetryPause &&
      this.writeFailedAt !== null &&
      this.options.now() - this.writeFailedAt < RETRY_MS
    ) {
      return;
    }
    let written = 0;
    for (const part of this.parts) {
      const { seg } = part;
      try {
        if (seg.fd === null) {
          seg.fd = openSync(seg.path, seg.created ? 'r+' : 'wx');
          if (!seg.created) {
            seg.created = true;
            this.dirDirty = true;
          }
        }
        let at = part.start;
        let position = seg.flushed;
        while (at < part.end) {
          const n = writeSync(seg.fd, this.buf, at, part.end - at, position);
          at += n;
          position += n;
        }
        seg.flushed = position;
      } catch (error) {
        this.writeFailedAt = this.options.now();
        this.noSpace = isNoSpace(error);
        this.state.problem = `cannot write outbox segment ${seg.path}: ${describeError(error)}`;
        break;
      }
      written++;
    }
    if (written === this.parts.length) {
      this.parts = [];
      this.bufLength = 0;
      this.writeFailedAt = null;
      if (this.buf.length > 4 * INITIAL_BUFFER_BYTES) this.buf = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
      if (this.flushTimer !== null) {
        clearTimeout(this.flushTimer);
        this.flushTimer = null;
      }
      if (this.flushSoon !== null) {
        clearImmediate(this.flushSoon);
        this.flushSoon = null;
      }
    } else if (written > 0) {
      const from = this.parts[written]?.start ?? this.bufLength;
      this.buf.copyWithin(0, from, this.bufLength);
      this.bufLength -= from;
      this.parts = this.parts.slice(written);
      for (const part of this.parts) {
        part.start -= from;
        part.end -= from;
      }
    }
  }

  /** fdatasyncs what was written (and the directory if a segment was created); one round at a time. */
  requestSync(): Promise<void> {
    if (this.syncTimer !== null) {
      clearTimeout(this.syncTimer);
      this.syncTimer = null;
    }
    if (this.syncSoon !== null) {
      clearImmediate(this.syncSoon);
      this.syncSoon = null;
    }
    this.unsyncedRecords = 0;
    this.lastSyncAt = this.options.now();
    if (this.syncing !== null) {
      this.syncAgain = true;
    } else {
      this.syncing = this.syncRounds().finally(() => {
        this.syncing = null;
      });
    }
    this.options.onSyncRound?.();
    return this.syncing;
  }

  closeWriteFd(seg: Segment): void {
    if (seg.fd === null) return;
    try {
      closeSync(seg.fd);
    } catch {
      // Closing can only fail for a descriptor that is already gone.
    }
    seg.fd = null;
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, needed));
    this.buf.copy(next, 0, 0, this.bufLength);
    this.buf = next;
  }

  private flushTimerFired(): void {
    this.flushTimer = null;
    this.writeBuffered(true);
    if (this.bufLength > 0 && !this.state.closed) {
      this.flushTimer = unref(setTimeout(() => this.flushTimerFired(), RETRY_MS));
    }
  }

  private syncTimerFired(): void {
    this.syncTimer = null;
    this.writeBuffered(true);
    void this.requestSync();
  }

  private async syncRounds(): Promise<void> {
    const { state } = this;
    do {
      this.syncAgain = false;
      const targets: { seg: Segment; fd: number; upTo: number }[] = [];
      for (const seg of state.segments) {
        if (seg.fd !== null && seg.synced < seg.flushed) targets.push({ seg, fd: seg.fd, upTo: seg.flushed });
      }
      const syncDir = this.dirDirty;
      this.dirDirty = false;
      const failures: string[] = [];
      let noSpace = false;
      await Promise.all(
        targets.map(async ({ seg, fd, upTo }) => {
          try {
            await fdatasyncAsync(fd);
            seg.synced = Math.max(seg.synced, upTo);
          } catch (error) {
            noSpace ||= isNoSpace(error);
            failures.push(`cannot fsync outbox segment ${seg.path}: ${describeError(error)}`);
          }
        }),
      );
      if (syncDir) {
        try {
          await syncDirectory(state.dir);
        } catch (error) {
          this.dirDirty = true;
          failures.push(`cannot fsync the outbox directory ${state.dir}: ${describeError(error)}`);
        }
      }
      this.syncFailing = failures.length > 0;
      if (failures[0] !== undefined) {
        this.noSpace = noSpace;
        state.problem = failures[0];
        if (!state.closed) this.syncTimer ??= unref(setTimeout(() => this.syncTimerFired(), RETRY_MS));
      }
      // Segments no longer written and fully synced need no descriptor.
      for (const seg of state.segments) {
        if (seg !== state.write && seg.fd !== null && seg.synced >= seg.size) this.closeWriteFd(seg);
      }
    } while (this.syncRequestedMeanwhile());
  }

  /** A method, not a field read: TypeScript would take the `false` set above the awaits for granted. */
  private syncRequestedMeanwhile(): boolean {
    return this.syncAgain;
  }
}
