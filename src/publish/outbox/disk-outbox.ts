import { closeSync, fdatasync, openSync, readSync, writeSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AppendOutcome, Outbox, OutboxFullHook, OutboxRecord, RecordPriority } from '../outbox.js';
import { writeCursor } from './cursor.js';
import { checkFrame, decodeFrame, encodableFrameBytes, encodeFrame } from './frame.js';
import { describeError, errorCode, ioError, segmentName, syncDirectory } from './io.js';
import { admits, DropLedger } from './policy.js';
import { moveToQuarantine, QUARANTINE_DIR, recover } from './recovery.js';

/**
 * The durable outbox: everything the sidecar publishes is appended here first, and removed only
 * once NATS has acknowledged it.
 *
 * ON DISK (one directory, `<dataDir>/outbox` in the sidecar; one process per directory)
 * - `segment-<20-digit sequence>.log`: append-only files of frames (see frame.ts: magic, version,
 *   priority, length, CRC-32 over header and body; body = appendedAt, id, subject, payload). A new
 *   segment is started when the current one would pass `segmentBytes` (a single larger record
 *   gets a segment of its own), and after every open (earlier segments are never written again).
 *   A segment whose records are all acknowledged is deleted (the one being written, once it is
 *   complete or at the next open).
 * - `cursor.json`: the acknowledgement cursor `{version, segment, offset, acknowledged}` = where the
 *   first unacknowledged record starts (+ the lifetime count of acknowledged records). Written
 *   atomically (temp file, fdatasync, rename) at most once a second while records are acknowledged,
 *   and on close.
 * - `quarantine/`: bad data set aside (`segment-<seq>-<offset>.bad`, `cursor-<time>.bad`); at
 *   most 16 files and max(segmentBytes, maxBytes / 4) bytes, the oldest deleted first.
 *
 * WRITING. `append()` is synchronous and never waits for the disk: it encodes the frame into an
 * in-process buffer. The buffer is written with one positional write per segment (`flush()`,
 * synchronous, into the OS page cache) at the end of the event-loop turn that appended (an
 * immediate), as soon as 64 KiB are buffered, or when the caller calls `flush()`: one write
 * system call per turn (the worker yields every 64 datagrams). fdatasync runs off the event
 * loop (libuv thread pool) `fsyncIntervalMs` after the first record not yet synced, or at once
 * when `fsyncRecords` records have been appended since the last one, whichever comes first.
 *
 * WHAT A CRASH COSTS.
 * - `kill -9` / process crash: what the OS was given survives (page cache); lost are only the
 *   records appended and not yet written: at most those of the current turn (64 KiB at most).
 * - Power cut / kernel panic: additionally what was written but not yet fsynced: at most the
 *   records of the last `fsyncIntervalMs` (default 100 ms) or `fsyncRecords` (default 1000),
 *   plus the fsync's own duration. A record lost this way may be followed by surviving ones.
 * - Re-sends: the cursor is written at most once a second, so a restart re-sends what was
 *   acknowledged in the last second before a crash (more after a power cut: the cursor file may
 *   be older). They carry the same `Nats-Msg-Id`; JetStream's duplicate window drops them.
 *
 * READING. `peek(max)` returns min(max, depth, 4096) records from a bounded read-ahead window:
 * while the publisher keeps up, appended records go straight into the window (up to 4096 records
 * / 4 MiB, no disk read); with a backlog the window is refilled from the segment files through a
 * cached 1 MiB chunk (synchronous reads), decoding only as many records as the peek asks for (or
 * from the write buffer for records not yet written). Memory stays bounded whatever the backlog.
 *
 * RECOVERY (open). Leftover `*.tmp` files are deleted; segments before the cursor's are deleted;
 * every segment from the cursor on is checked frame by frame. The first bad frame (bad magic,
 * version, length, CRC, or a record cut short — the torn tail a power cut leaves) ends the good
 * part of that segment: the rest of the file is copied to quarantine, the segment truncated to
 * its good part, and the records set aside counted (1 + the intact frames found after the bad
 * one). Later segments are kept and checked the same way. An unusable cursor file is moved to
 * quarantine and every record on disk is sent again. Files that are not the outbox's are left
 * alone and reported. Nothing in the files' contents makes open throw; only I/O errors do
 * (permission denied, disk gone), naming the path. A frame found bad later, when reading (a disk
 * error after open), sets the rest of its segment aside the same way (counted in `corrupt`).
 *
 * FULL. `maxBytes` bounds the pending bytes (unacknowledged records, as framed). The policy of
 * FULL_THRESHOLDS keeps headroom for higher priorities: status records are refused above 80 %,
 * rejects above 90 %, events above 98 %, alerts only at 100 %. Every refusal returns `dropped`,
 * is counted in `drops` by priority and calls `onFull(priority)` (at most once a minute per
 * priority). Disk use is at most maxBytes + the acknowledged head of the oldest segment (under
 * one segment) + the quarantine's bound.
 *
 * ERRORS. A failed write keeps the data buffered and is retried every second (appends beyond
 * 32 MiB buffered are refused and counted); a failed fsync or cursor write is retried a second
 * later. `healthy` is false while any of these fails; `lastError` names the path. On Windows the
 * directory fsync is skipped (not possible there; NTFS journals its metadata).
 */

const fdatasyncAsync = promisify(fdatasync);

const FLUSH_BYTES = 64 * 1024;
const INITIAL_BUFFER_BYTES = 2 * FLUSH_BYTES;
/** Appends are refused beyond this much unwritten data (only reached while writes fail). */
const MAX_BUFFER_BYTES = 32 * 1024 * 1024;
const WINDOW_RECORDS = 4096;
const WINDOW_BYTES = 4 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
// Each cursor write is a temp file, an fdatasync and a rename: at most once a second, which bounds
// what a crash re-sends (the duplicate window drops it) and keeps a quiet node quiet.
const CURSOR_INTERVAL_MS = 1_000;
const RETRY_MS = 1_000;

export interface DiskOutboxOptions {
  readonly dir: string;
  /** Pending bytes at most (see FULL above). */
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly fsyncIntervalMs: number;
  readonly fsyncRecords: number;
  /** Clock for the full hook's throttle and the retry pause; Date.now by default. */
  readonly now?: () => number;
  readonly onFull?: OutboxFullHook;
  /**
   * Read-ahead window: at most `records` (4096 by default; also the most one peek returns), and
   * appended records are taken in directly only while it holds under `bytes` (4 MiB). Tests make
   * it tiny to exercise the disk reads.
   */
  readonly readAhead?: { readonly records: number; readonly bytes: number };
}

export interface RecoveryReport {
  /** Records pending from a previous run. */
  readonly recovered: number;
  /** Records set aside as bad (an estimate where a frame was unreadable: at least 1 per bad spot). */
  readonly corrupt: number;
  readonly corruptBytes: number;
  /** Files moved or copied to quarantine. */
  readonly quarantined: readonly string[];
  /** What else open found and did, one sentence each (for the log). */
  readonly notes: readonly string[];
}

export interface DiskOutboxStats {
  readonly depth: number;
  readonly bytes: number;
  readonly oldestAppendedAt: number | null;
  readonly drops: Readonly<Record<RecordPriority, number>>;
  /** Records appended since open. */
  readonly appended: number;
  /** Records acknowledged over the outbox's life (kept in the cursor file). */
  readonly acknowledged: number;
  /** Records set aside as bad since open (including those found by open). */
  readonly corrupt: number;
  /** Records held in memory in the read-ahead window (bounded whatever the backlog). */
  readonly readAhead: number;
  readonly segments: number;
  /** Bytes of the segment files, acknowledged heads included, plus what is buffered. */
  readonly diskBytes: number;
  readonly healthy: boolean;
  readonly lastError: string | null;
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  /** Where its first record that counts starts (the cursor's offset at open; else 0). */
  readonly base: number;
  /** Logical end: bytes in the file plus bytes buffered for it. */
  size: number;
  /** Bytes written to the file. */
  flushed: number;
  /** Bytes known to be on stable storage. */
  synced: number;
  /** Records from `base` to `size`. */
  records: number;
  /** Write descriptor (segments written in this run, until synced and retired). */
  fd: number | null;
  created: boolean;
  /** Offset of a bad frame found when reading; the segment goes to quarantine when acknowledged past. */
  damagedAt: number | null;
}

/** Frames in `buffer[start, end)` that belong at the end of `seg`. */
interface BufferPart {
  readonly seg: Segment;
  start: number;
  end: number;
  records: number;
}

interface Chunk {
  readonly seg: Segment;
  /** File offsets of `buffer[0]` and just past its last valid byte. */
  readonly start: number;
  readonly end: number;
  readonly buffer: Buffer;
}

interface WindowEntry {
  readonly record: OutboxRecord;
  readonly seg: Segment;
  /** Offset just past the record in its segment. */
  readonly end: number;
  readonly size: number;
}

export class DiskOutbox implements Outbox {
  /** Opens (creating) the directory, checks and repairs what is there, and reports. */
  static async open(options: DiskOutboxOptions): Promise<{ outbox: DiskOutbox; report: RecoveryReport }> {
    validate(options);
    const dir = resolve(options.dir);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw ioError('cannot create the outbox directory', dir, error);
    }
    const now = options.now ?? Date.now;
    const recovery = await recover({
      dir,
      quarantineMaxBytes: Math.max(options.segmentBytes, Math.floor(options.maxBytes / 4)),
      now,
    });
    const outbox = new DiskOutbox(dir, options, now, recovery);
    outbox.normalizeCursor();
    await writeCursor(dir, outbox.cursorState());
    return {
      outbox,
      report: {
        recovered: outbox.pendingRecords,
        corrupt: recovery.corrupt,
        corruptBytes: recovery.corruptBytes,
        quarantined: recovery.quarantined,
        notes: recovery.notes,
      },
    };
  }

  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsyncIntervalMs: number;
  private readonly fsyncRecords: number;
  private readonly ledger: DropLedger;
  private readonly windowRecords: number;
  private readonly windowMaxBytes: number;

  private readonly segments: Segment[];
  private write: Segment;

  private buf = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  private bufLength = 0;
  private parts: BufferPart[] = [];

  private window: (WindowEntry | undefined)[] = [];
  private windowHead = 0;
  private windowBytes = 0;
  private readSeg: Segment;
  private readOffset: number;
  /** Records of readSeg already taken into the window. */
  private readRecords = 0;
  private readFd: { seg: Segment; fd: number } | null = null;
  private readonly readBuffer = Buffer.allocUnsafe(READ_CHUNK);
  /** The part of a segment file last read (its bytes never change: segments are append-only). */
  private chunk: Chunk | null = null;

  private cursorSeg: Segment;
  private cursorOffset: number;
  private acknowledgedTotal: number;
  private cursorDirty = false;
  private cursorTimer: NodeJS.Timeout | null = null;
  private persisting: Promise<void> | null = null;

  private pendingRecords: number;
  private pendingBytes: number;
  private appendedTotal = 0;
  private corruptTotal: number;

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
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private dirDirty = false;

  private writeFailedAt: number | null = null;
  private syncFailing = false;
  private cursorFailing = false;
  private problem: string | null = null;

  private closed = false;
  private closing: Promise<void> | null = null;
  private notEmptyWaiters: (() => void)[] = [];
  private emptyWaiters: (() => void)[] = [];

  private constructor(
    dir: string,
    options: DiskOutboxOptions,
    private readonly now: () => number,
    recovery: Awaited<ReturnType<typeof recover>>,
  ) {
    this.dir = dir;
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes;
    this.fsyncIntervalMs = options.fsyncIntervalMs;
    this.fsyncRecords = options.fsyncRecords;
    this.ledger = new DropLedger(now, options.onFull);
    this.windowRecords = options.readAhead?.records ?? WINDOW_RECORDS;
    this.windowMaxBytes = options.readAhead?.bytes ?? WINDOW_BYTES;
    this.segments = recovery.segments.map((s) => ({
      seq: s.seq,
      path: s.path,
      base: s.base,
      size: s.size,
      flushed: s.size,
      synced: s.size,
      records: s.records,
      fd: null,
      created: true,
      damagedAt: null,
    }));
    this.write = this.newSegment(recovery.nextSeq);
    this.segments.push(this.write);
    const first = this.segments[0] ?? this.write;
    this.readSeg = first;
    this.readOffset = first.base;
    this.cursorSeg = first;
    this.cursorOffset = first.base;
    this.acknowledgedTotal = recovery.acknowledged;
    this.pendingRecords = recovery.segments.reduce((sum, s) => sum + s.records, 0);
    this.pendingBytes = recovery.segments.reduce((sum, s) => sum + s.size - s.base, 0);
    this.corruptTotal = recovery.corrupt;
  }

  get depth(): number {
    return this.pendingRecords;
  }

  get bytes(): number {
    return this.pendingBytes;
  }

  get oldestAppendedAt(): number | null {
    if (this.pendingRecords === 0 || this.closed) return null;
    if (this.windowLength === 0) this.fill(1);
    return this.window[this.windowHead]?.record.appendedAt ?? null;
  }

  get drops(): Readonly<Record<RecordPriority, number>> {
    return this.ledger.drops;
  }

  get healthy(): boolean {
    return this.writeFailedAt === null && !this.syncFailing && !this.cursorFailing;
  }

  get lastError(): string | null {
    return this.problem ?? this.ledger.hookError;
  }

  /** The full hook (see DiskOutboxOptions.onFull); may be set after open. */
  get onFull(): OutboxFullHook | undefined {
    return this.ledger.onFull;
  }

  set onFull(hook: OutboxFullHook | undefined) {
    this.ledger.onFull = hook;
  }

  stats(): DiskOutboxStats {
    return {
      depth: this.pendingRecords,
      bytes: this.pendingBytes,
      oldestAppendedAt: this.oldestAppendedAt,
      drops: this.drops,
      appended: this.appendedTotal,
      acknowledged: this.acknowledgedTotal,
      corrupt: this.corruptTotal,
      readAhead: this.windowLength,
      segments: this.segments.filter((s) => s.size > 0).length,
      diskBytes: this.segments.reduce((sum, s) => sum + s.size, 0),
      healthy: this.healthy,
      lastError: this.lastError,
    };
  }

  append(record: OutboxRecord): AppendOutcome {
    const { priority } = record;
    if (this.closed) return this.ledger.drop(priority, false);
    const size = encodableFrameBytes(record);
    if (size < 0) return this.ledger.drop(priority, false);
    if (!admits(this.maxBytes, this.pendingBytes, size, priority)) return this.ledger.drop(priority, true);
    if (this.bufLength + size > MAX_BUFFER_BYTES) return this.ledger.drop(priority, false);

    if (this.write.size > 0 && this.write.size + size > this.segmentBytes) this.rollover();
    const seg = this.write;
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
    this.pendingRecords++;
    this.pendingBytes += size;
    this.appendedTotal++;

    // Caught up: the record goes straight into the read-ahead window.
    if (
      this.readSeg === seg &&
      this.readOffset === start &&
      this.windowLength < this.windowRecords &&
      this.windowBytes + size <= this.windowMaxBytes
    ) {
      this.pushEntry(record, seg, seg.size, size);
      this.readOffset = seg.size;
    }

    if (this.pendingRecords === 1) wake(this.notEmptyWaiters.splice(0));
    if (this.bufLength >= FLUSH_BYTES) this.writeBuffered(true);
    else if (this.flushTimer === null) this.flushSoon ??= setImmediate(this.flushSoonFired).unref();
    if (++this.unsyncedRecords >= this.fsyncRecords) {
      this.writeBuffered(true);
      void this.requestSync();
    } else {
      this.syncTimer ??= unref(setTimeout(() => this.syncTimerFired(), this.fsyncIntervalMs));
    }
    return 'appended';
  }

  peek(max: number): readonly OutboxRecord[] {
    if (this.closed || max < 1) return [];
    const wanted = Math.min(Math.floor(max), this.pendingRecords);
    if (this.windowLength < wanted) this.fill(wanted);
    const n = Math.min(wanted, this.windowLength);
    const out: OutboxRecord[] = [];
    for (let i = 0; i < n; i++) {
      const entry = this.window[this.windowHead + i];
      if (entry !== undefined) out.push(entry.record);
    }
    return out;
  }

  acknowledge(count: number): void {
    if (this.closed) return;
    let n = Math.min(Math.max(0, Math.floor(count)), this.pendingRecords);
    if (n === 0) return;
    while (n > 0) {
      if (this.windowLength === 0) this.fill(Math.min(n, this.windowRecords));
      const k = Math.min(n, this.windowLength, this.pendingRecords);
      if (k === 0) break;
      for (let i = 0; i < k; i++) {
        const entry = this.window[this.windowHead];
        this.window[this.windowHead++] = undefined;
        if (entry === undefined) continue;
        this.windowBytes -= entry.size;
        this.pendingBytes -= entry.size;
        this.cursorSeg = entry.seg;
        this.cursorOffset = entry.end;
      }
      this.pendingRecords -= k;
      this.acknowledgedTotal += k;
      n -= k;
    }
    if (this.windowHead > 1024 && this.windowHead * 2 > this.window.length) {
      this.window = this.window.slice(this.windowHead);
      this.windowHead = 0;
    }
    // With nothing read ahead, the first unacknowledged record is where the reader stands
    // (this also steps the cursor over a segment part set aside as bad).
    if (this.windowLength === 0) {
      this.cursorSeg = this.readSeg;
      this.cursorOffset = this.readOffset;
    }
    this.scheduleCursor(CURSOR_INTERVAL_MS);
    if (this.pendingRecords === 0) wake(this.emptyWaiters.splice(0));
  }

  whenNotEmpty(): Promise<void> {
    if (this.pendingRecords > 0) return Promise.resolve();
    return new Promise((resolve) => this.notEmptyWaiters.push(resolve));
  }

  whenEmpty(): Promise<void> {
    if (this.pendingRecords === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  /** Writes what is buffered now (synchronously, one write per segment), whatever the retry pause. */
  flush(): void {
    this.writeBuffered(false);
  }

  /** Writes what is buffered and fdatasyncs it now; resolves when on stable storage (or the attempt failed). */
  sync(): Promise<void> {
    this.writeBuffered(false);
    return this.requestSync();
  }

  /** Writes the acknowledgement cursor now and deletes the segments behind it. */
  persistCursor(): Promise<void> {
    if (this.persisting !== null) return this.persisting.then(() => this.persistCursor());
    if (this.cursorTimer !== null) {
      clearTimeout(this.cursorTimer);
      this.cursorTimer = null;
    }
    this.persisting = this.persistOnce().finally(() => {
      this.persisting = null;
      if (this.cursorDirty && !this.closed) {
        this.scheduleCursor(this.cursorFailing ? RETRY_MS : CURSOR_INTERVAL_MS);
      }
    });
    return this.persisting;
  }

  /**
   * Writes, fsyncs, saves the cursor and closes the files (idempotent). Rejects only if buffered
   * records could not be written (they are lost; the message says how many and why).
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const timer of [this.flushTimer, this.syncTimer, this.cursorTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    if (this.flushSoon !== null) clearImmediate(this.flushSoon);
    this.flushTimer = this.syncTimer = this.cursorTimer = null;
    this.flushSoon = null;
    this.writeBuffered(false);
    await this.requestSync();
    await this.persistCursor();
    while (this.syncing !== null) await this.syncing;
    this.closeReadFd();
    for (const seg of this.segments) this.closeWriteFd(seg);
    if (this.bufLength > 0) {
      const records = this.parts.reduce((sum, part) => sum + part.records, 0);
      throw new Error(
        `outbox closed with ${records} record(s) that could not be written to ${this.dir}: ${this.problem ?? 'unknown error'}`,
      );
    }
  }

  // ---- writing ----

  private newSegment(seq: number): Segment {
    return {
      seq,
      path: join(this.dir, segmentName(seq)),
      base: 0,
      size: 0,
      flushed: 0,
      synced: 0,
      records: 0,
      fd: null,
      created: false,
      damagedAt: null,
    };
  }

  private rollover(): void {
    const old = this.write;
    const seg = this.newSegment(old.seq + 1);
    this.segments.push(seg);
    this.write = seg;
    if (this.readSeg === old && this.readOffset >= old.size) {
      this.readSeg = seg;
      this.readOffset = 0;
      this.readRecords = 0;
      this.closeReadFd();
    }
    if (this.cursorSeg === old && this.cursorOffset >= old.size) {
      this.cursorSeg = seg;
      this.cursorOffset = 0;
    }
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, needed));
    this.buf.copy(next, 0, 0, this.bufLength);
    this.buf = next;
  }

  private flushTimerFired(): void {
    this.flushTimer = null;
    this.writeBuffered(true);
    if (this.bufLength > 0 && !this.closed) {
      this.flushTimer = unref(setTimeout(() => this.flushTimerFired(), RETRY_MS));
    }
  }

  private syncTimerFired(): void {
    this.syncTimer = null;
    this.writeBuffered(true);
    void this.requestSync();
  }

  /** One positional write per buffered part; on an error the rest stays buffered for a retry. */
  private writeBuffered(respectRetryPause: boolean): void {
    if (this.bufLength === 0) return;
    if (respectRetryPause && this.writeFailedAt !== null && this.now() - this.writeFailedAt < RETRY_MS) {
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
        this.writeFailedAt = this.now();
        this.problem = `cannot write outbox segment ${seg.path}: ${describeError(error)}`;
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

  private requestSync(): Promise<void> {
    if (this.syncTimer !== null) {
      clearTimeout(this.syncTimer);
      this.syncTimer = null;
    }
    this.unsyncedRecords = 0;
    if (this.syncing !== null) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = this.syncRounds().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async syncRounds(): Promise<void> {
    do {
      this.syncAgain = false;
      const targets: { seg: Segment; fd: number; upTo: number }[] = [];
      for (const seg of this.segments) {
        if (seg.fd !== null && seg.synced < seg.flushed) targets.push({ seg, fd: seg.fd, upTo: seg.flushed });
      }
      const syncDir = this.dirDirty;
      this.dirDirty = false;
      const failures: string[] = [];
      await Promise.all(
        targets.map(async ({ seg, fd, upTo }) => {
          try {
            await fdatasyncAsync(fd);
            seg.synced = Math.max(seg.synced, upTo);
          } catch (error) {
            failures.push(`cannot fsync outbox segment ${seg.path}: ${describeError(error)}`);
          }
        }),
      );
      if (syncDir) {
        try {
          await syncDirectory(this.dir);
        } catch (error) {
          this.dirDirty = true;
          failures.push(`cannot fsync the outbox directory ${this.dir}: ${describeError(error)}`);
        }
      }
      this.syncFailing = failures.length > 0;
      if (failures[0] !== undefined) {
        this.problem = failures[0];
        if (!this.closed) this.syncTimer ??= unref(setTimeout(() => this.syncTimerFired(), RETRY_MS));
      }
      // Segments no longer written and fully synced need no descriptor.
      for (const seg of this.segments) {
        if (seg !== this.write && seg.fd !== null && seg.synced >= seg.size) this.closeWriteFd(seg);
      }
    } while (this.syncRequestedMeanwhile());
  }

  /** A method, not a field read: TypeScript would take the `false` set above the awaits for granted. */
  private syncRequestedMeanwhile(): boolean {
    return this.syncAgain;
  }

  private closeWriteFd(seg: Segment): void {
    if (seg.fd === null) return;
    try {
      closeSync(seg.fd);
    } catch {
      // Closing can only fail for a descriptor that is already gone.
    }
    seg.fd = null;
  }

  // ---- acknowledgement cursor ----

  private cursorState() {
    return { segment: this.cursorSeg.seq, offset: this.cursorOffset, acknowledged: this.acknowledgedTotal };
  }

  /** A cursor at the end of a finished segment moves to the start of the next one. */
  private normalizeCursor(): void {
    while (this.cursorSeg !== this.write && this.cursorOffset >= this.cursorSeg.size) {
      const next = this.segments[this.segments.indexOf(this.cursorSeg) + 1];
      if (next === undefined) break;
      this.cursorSeg = next;
      this.cursorOffset = next.base;
    }
  }

  private scheduleCursor(delay: number): void {
    this.cursorDirty = true;
    if (this.cursorTimer !== null || this.persisting !== null || this.closed) return;
    this.cursorTimer = unref(
      setTimeout(() => {
        this.cursorTimer = null;
        void this.persistCursor();
      }, delay),
    );
  }

  private async persistOnce(): Promise<void> {
    this.cursorDirty = false;
    this.normalizeCursor();
    const cursor = this.cursorState();
    try {
      await writeCursor(this.dir, cursor);
      this.cursorFailing = false;
    } catch (error) {
      this.cursorFailing = true;
      this.cursorDirty = true;
      this.problem = describeError(error);
      return;
    }
    await this.deleteBefore(cursor.segment);
  }

  /** Deletes the segments wholly before `seq` (moved to quarantine if a bad frame was found in them). */
  private async deleteBefore(seq: number): Promise<void> {
    while (this.syncing !== null) await this.syncing; // no descriptor closed under an fdatasync
    const gone: Segment[] = [];
    for (let first = this.segments[0]; first !== undefined; first = this.segments[0]) {
      if (first.seq >= seq || first === this.write) break;
      this.segments.shift();
      if (this.readFd?.seg === first) this.closeReadFd();
      this.closeWriteFd(first);
      gone.push(first);
    }
    for (const seg of gone) {
      try {
        if (seg.damagedAt !== null) {
          const name = `${segmentName(seg.seq).replace(/\.log$/, '')}-${seg.damagedAt}.bad`;
          await moveToQuarantine(seg.path, join(this.dir, QUARANTINE_DIR), name);
        } else {
          await unlink(seg.path);
        }
      } catch (error) {
        // Left on disk: the next open deletes it (it is behind the cursor).
        if (errorCode(error) !== 'ENOENT') this.problem = describeError(error);
      }
    }
  }

  // ---- reading ----

  private get windowLength(): number {
    return this.window.length - this.windowHead;
  }

  private pushEntry(record: OutboxRecord, seg: Segment, end: number, size: number): void {
    this.window.push({ record, seg, end, size });
    this.windowBytes += size;
    this.readRecords++;
  }

  /**
   * Reads until the window holds `wanted` records (at most `windowRecords`) or everything. What a
   * peek asks for is always read, whatever its bytes: the publisher relies on getting back the
   * records it has in flight. The byte bound limits the read-ahead beyond (appends taken in).
   */
  private fill(wanted: number): void {
    const target = Math.min(wanted, this.windowRecords);
    while (this.windowLength < target) {
      const seg = this.readSeg;
      if (this.readOffset >= seg.size) {
        if (!this.advanceReader()) return;
      } else if (this.readOffset < seg.flushed) {
        this.readFromFile(seg, target);
      } else {
        this.readFromBuffer(seg, target);
      }
    }
  }

  private roomFor(target: number): boolean {
    return this.windowLength < target;
  }

  private advanceReader(): boolean {
    const next = this.segments[this.segments.indexOf(this.readSeg) + 1];
    if (next === undefined) return false;
    this.closeReadFd();
    this.readSeg = next;
    this.readOffset = next.base;
    this.readRecords = 0;
    return true;
  }

  /**
   * Decodes records from the cached chunk of the segment file (reading the next chunk when the
   * reader has passed it), only as many as `target` asks for: a peek holds the event loop for the
   * records it hands out, not for a whole chunk.
   */
  private readFromFile(seg: Segment, target: number): void {
    let chunk = this.chunk;
    if (chunk?.seg !== seg || this.readOffset < chunk.start || this.readOffset >= chunk.end) {
      chunk = this.loadChunk(seg, this.readOffset, READ_CHUNK);
      if (chunk === null) return;
    }
    let p = this.readOffset - chunk.start;
    let check = checkFrame(chunk.buffer, p, chunk.end - chunk.start - p);
    if (!check.ok && check.incomplete && this.readOffset + check.size <= seg.flushed) {
      // The record runs past the chunk: read again from its start, in a larger buffer if need be.
      chunk = this.loadChunk(seg, this.readOffset, Math.max(READ_CHUNK, check.size));
      if (chunk === null) return;
      p = 0;
      check = checkFrame(chunk.buffer, 0, chunk.end - chunk.start);
    }
    for (;;) {
      if (!check.ok) {
        this.damaged(seg, this.readOffset, check.incomplete ? 'torn record' : check.reason);
        return;
      }
      this.pushEntry(decodeFrame(chunk.buffer, p, check.size), seg, this.readOffset + check.size, check.size);
      p += check.size;
      this.readOffset += check.size;
      const left = chunk.end - chunk.start - p;
      if (left === 0 || !this.roomFor(target)) return;
      check = checkFrame(chunk.buffer, p, left);
      // A record cut by the chunk's end is read with the next chunk.
      if (!check.ok && check.incomplete && this.readOffset + check.size <= seg.flushed) return;
    }
  }

  /** Reads `[offset, offset + size)` of the segment (clamped to what was written); null if it failed (set aside). */
  private loadChunk(seg: Segment, offset: number, size: number): Chunk | null {
    const length = Math.min(size, seg.flushed - offset);
    const buffer = length <= READ_CHUNK ? this.readBuffer : Buffer.allocUnsafe(length);
    let got: number;
    try {
      if (this.readFd?.seg !== seg) {
        this.closeReadFd();
        this.readFd = { seg, fd: openSync(seg.path, 'r') };
      }
      got = readFully(this.readFd.fd, buffer, length, offset);
    } catch (error) {
      this.damaged(seg, offset, `cannot read it (${describeError(error)})`);
      return null;
    }
    if (got === 0) {
      this.damaged(seg, offset, 'the file is shorter than what was written');
      return null;
    }
    this.chunk = { seg, start: offset, end: offset + got, buffer };
    return this.chunk;
  }

  /** Records appended but not yet written are read from the write buffer. */
  private readFromBuffer(seg: Segment, target: number): void {
    const part = this.parts.find((candidate) => candidate.seg === seg);
    if (part === undefined) {
      this.damaged(seg, this.readOffset, 'records missing from the write buffer');
      return;
    }
    let at = part.start + (this.readOffset - seg.flushed);
    while (at < part.end && this.roomFor(target)) {
      const check = checkFrame(this.buf, at, part.end - at);
      if (!check.ok) {
        this.damaged(seg, this.readOffset, 'a buffered record does not check');
        return;
      }
      this.readOffset += check.size;
      this.pushEntry(decodeFrame(this.buf, at, check.size), seg, this.readOffset, check.size);
      at += check.size;
    }
  }

  /**
   * A bad frame found when reading (a disk error after open): the rest of the segment is set
   * aside, its records counted as corrupt; the reader goes on with the next segment.
   */
  private damaged(seg: Segment, at: number, reason: string): void {
    const records = Math.max(0, seg.records - this.readRecords);
    const bytes = Math.max(0, seg.size - at);
    this.pendingRecords -= records;
    this.pendingBytes -= bytes;
    this.corruptTotal += records;
    seg.damagedAt = at;
    this.problem = `${seg.path}: ${reason} at offset ${at}; ${records} record(s) set aside`;
    if (seg === this.write) this.rollover();
    this.advanceReader();
    if (this.windowLength === 0) {
      this.cursorSeg = this.readSeg;
      this.cursorOffset = this.readOffset;
      this.scheduleCursor(CURSOR_INTERVAL_MS);
    }
    if (this.pendingRecords === 0) wake(this.emptyWaiters.splice(0));
  }

  private closeReadFd(): void {
    this.chunk = null;
    if (this.readFd === null) return;
    try {
      closeSync(this.readFd.fd);
    } catch {
      // Closing can only fail for a descriptor that is already gone.
    }
    this.readFd = null;
  }
}

function readFully(fd: number, buffer: Buffer, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buffer, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function validate(options: DiskOutboxOptions): void {
  const checks: [string, number, number][] = [
    ['maxBytes', options.maxBytes, 1],
    ['segmentBytes', options.segmentBytes, 1],
    ['fsyncIntervalMs', options.fsyncIntervalMs, 0],
    ['fsyncRecords', options.fsyncRecords, 1],
  ];
  if (options.readAhead !== undefined) {
    checks.push(
      ['readAhead.records', options.readAhead.records, 1],
      ['readAhead.bytes', options.readAhead.bytes, 1],
    );
  }
  for (const [name, value, min] of checks) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`outbox ${name} must be an integer of at least ${min}, got ${value}`);
    }
  }
}

function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}

function wake(waiters: (() => void)[]): void {
  for (const resolve of waiters) resolve();
}
