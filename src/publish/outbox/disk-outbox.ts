import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AppendOutcome, Outbox, OutboxFullHook, OutboxRecord, RecordPriority } from '../outbox.js';
import { AckLedger, CURSOR_INTERVAL_MS, STATUS_CURSOR_INTERVAL_MS } from './ack-ledger.js';
import { writeCursor } from './cursor.js';
import { ioError } from './io.js';
import { ReadWindow } from './read-window.js';
import { recover } from './recovery.js';
import { SegmentWriter } from './segment-writer.js';
import { OutboxState } from './state.js';

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
 *   atomically (temp file, fdatasync, rename) about once a second while records are acknowledged
 *   (with an fdatasync round of the segments, or two seconds after an acknowledgement), and on
 *   close.
 * - `quarantine/`: bad data set aside (`segment-<seq>-<offset>.bad`, `cursor-<time>.bad`); at
 *   most 16 files and max(segmentBytes, maxBytes / 4) bytes, the oldest deleted first.
 *
 * PARTS, around one shared state (state.ts: the segments, pending counts, problem, waiters):
 * - segment-writer.ts: what `append` takes (size bounds, FULL below), the write buffer written
 *   once per event-loop turn, new segments, the fsync policy (`fsyncIntervalMs` / `fsyncRecords`).
 * - read-window.ts: the bounded read-ahead window `peek` hands out and `acknowledge` removes
 *   from (appends go straight in while the publisher keeps up; disk reads with a backlog).
 * - ack-ledger.ts: the acknowledgement cursor, written to `cursor.json` (cursor.ts), and
 *   deleting the segments behind it.
 * - recovery.ts: what open finds on disk, checked and repaired.
 * This class only wires them and keeps the public API; where one part's change moves another
 * (a new segment moves a reader and a cursor at the end of the old one; the cursor follows the
 * reader when nothing is read ahead), that happens here.
 *
 * WHAT A CRASH COSTS.
 * - `kill -9` / process crash: what the OS was given survives (page cache); lost are only the
 *   records appended and not yet written: at most those of the current turn (64 KiB at most).
 * - Power cut / kernel panic: additionally what was written but not yet fsynced: at most the
 *   records of the last `fsyncIntervalMs` (default 100 ms) or `fsyncRecords` (default 1000),
 *   plus the fsync's own duration. A record lost this way may be followed by surviving ones.
 * - Re-sends: the cursor is written about once a second and at the latest two seconds after an
 *   acknowledgement, so a restart re-sends what was acknowledged in the last two seconds before
 *   a crash (more after a power cut: the cursor file may
 *   be older). They carry the same `Nats-Msg-Id`; JetStream's duplicate window drops them.
 *   While only status records are acknowledged the cursor is written every five minutes, so a
 *   crash of an idle node re-sends up to five minutes of status messages (superseded by the
 *   next one; they are not events). Status records also never ask for an fdatasync of their
 *   own: a power cut may lose those appended since the last event, reject or alert.
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
 * A FULL FILESYSTEM (ENOSPC or EDQUOT, below maxBytes) counts as full too: from the first such
 * failure until a write goes through, status records, rejects and events are refused the same
 * way (counted, hook), and only alerts are taken, into memory, up to 1 MiB unwritten. What was
 * appended before the failure stays buffered and is retried every second; acknowledged segments
 * are deleted as NATS confirms them, which gives the room back; once everything is acknowledged
 * the segment being written is given up too (reclaimFullDisk), whatever `segmentBytes`.
 *
 * ERRORS. A failed write keeps the data buffered and is retried every second (appends beyond
 * 32 MiB buffered are refused and counted); a failed fsync or cursor write is retried a second
 * later. `healthy` is false while any of these fails; `lastError` names the path. On Windows the
 * directory fsync is skipped (not possible there; NTFS journals its metadata).
 */

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
  readonly diskFull: boolean;
  readonly lastError: string | null;
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
    const outbox = new DiskOutbox(new OutboxState(dir, recovery), options, now, recovery.acknowledged);
    outbox.ledger.normalize();
    await writeCursor(dir, outbox.ledger.cursor());
    return {
      outbox,
      report: {
        recovered: outbox.state.pendingRecords,
        corrupt: recovery.corrupt,
        corruptBytes: recovery.corruptBytes,
        quarantined: recovery.quarantined,
        notes: recovery.notes,
      },
    };
  }

  readonly dir: string;
  private readonly writer: SegmentWriter;
  private readonly window: ReadWindow;
  private readonly ledger: AckLedger;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly state: OutboxState,
    options: DiskOutboxOptions,
    now: () => number,
    acknowledged: number,
  ) {
    this.dir = state.dir;
    const rollover = (): void => this.rollover();
    this.writer = new SegmentWriter(state, {
      maxBytes: options.maxBytes,
      segmentBytes: options.segmentBytes,
      fsyncIntervalMs: options.fsyncIntervalMs,
      fsyncRecords: options.fsyncRecords,
      now,
      onFull: options.onFull,
      rollover,
      onSyncRound: () => {
        this.ledger.rideAlong();
      },
    });
    this.window = new ReadWindow(state, this.writer, {
      readAhead: options.readAhead,
      rollover,
      skipped: () => this.skippedDamaged(),
    });
    this.ledger = new AckLedger(state, {
      acknowledged,
      syncInFlight: () => this.writer.syncInFlight,
      now,
      release: (seg) => {
        this.window.release(seg);
        this.writer.closeWriteFd(seg);
      },
    });
  }

  get depth(): number {
    return this.state.pendingRecords;
  }

  get bytes(): number {
    return this.state.pendingBytes;
  }

  get oldestAppendedAt(): number | null {
    if (this.state.pendingRecords === 0 || this.state.closed) return null;
    return this.window.oldest()?.appendedAt ?? null;
  }

  get drops(): Readonly<Record<RecordPriority, number>> {
    return this.writer.dropped;
  }

  get healthy(): boolean {
    return this.writer.healthy && this.ledger.healthy;
  }

  /**
   * Every current write failure (segment, fsync, cursor) is for lack of room on the filesystem:
   * the disk is full, and the priority policy treats the outbox as full (see the writer's
   * `diskFull`). Not the same as an outbox that cannot be written at all.
   */
  get diskFull(): boolean {
    const { writer, ledger } = this;
    return !this.healthy && (writer.healthy || writer.diskFull) && (ledger.healthy || ledger.diskFull);
  }

  get lastError(): string | null {
    return this.state.problem ?? this.writer.hookError;
  }

  /** The full hook (see DiskOutboxOptions.onFull); may be set after open. */
  get onFull(): OutboxFullHook | undefined {
    return this.writer.onFull;
  }

  set onFull(hook: OutboxFullHook | undefined) {
    this.writer.onFull = hook;
  }

  stats(): DiskOutboxStats {
    const { state } = this;
    return {
      depth: state.pendingRecords,
      bytes: state.pendingBytes,
      oldestAppendedAt: this.oldestAppendedAt,
      drops: this.drops,
      appended: state.appendedTotal,
      acknowledged: this.ledger.acknowledged,
      corrupt: state.corruptTotal,
      readAhead: this.window.length,
      segments: state.segments.filter((s) => s.size > 0).length,
      diskBytes: state.segments.reduce((sum, s) => sum + s.size, 0),
      healthy: this.healthy,
      diskFull: this.diskFull,
      lastError: this.lastError,
    };
  }

  append(record: OutboxRecord): AppendOutcome {
    const placement = this.writer.append(record);
    if (placement === 'dropped') return placement;
    this.window.offer(record, placement);
    if (this.state.pendingRecords === 1) this.state.wakeNotEmpty();
    this.writer.scheduleWrites(record.priority);
    return 'appended';
  }

  peek(max: number): readonly OutboxRecord[] {
    if (this.state.closed || max < 1) return [];
    return this.window.peek(Math.min(Math.floor(max), this.state.pendingRecords));
  }

  acknowledge(count: number): void {
    const { state } = this;
    if (state.closed) return;
    const n = Math.min(Math.max(0, Math.floor(count)), state.pendingRecords);
    if (n === 0) return;
    const { acknowledged, last, onlyStatus } = this.window.acknowledge(n);
    this.ledger.acknowledge(acknowledged, last);
    this.cursorToReaderIfNothingReadAhead();
    this.ledger.schedule(onlyStatus ? STATUS_CURSOR_INTERVAL_MS : CURSOR_INTERVAL_MS);
    if (state.pendingRecords === 0) {
      state.wakeEmpty();
      this.reclaimFullDisk();
    }
  }

  /**
   * On a full disk with everything acknowledged, the segment being written holds nothing
   * needed, but would only be deleted once complete, which it never gets (its writes fail): the
   * disk would stay full for good. So what is buffered is dropped (NATS has it), a new segment is
   * started, and the cursor is written at once, which deletes the old one.
   */
  private reclaimFullDisk(): void {
    const { writer, state } = this;
    if (!writer.diskFull || state.write.size === 0) return;
    writer.discardBuffered();
    this.rollover();
    void this.ledger.persist().then(() => {
      writer.clearFailure();
    });
  }

  whenNotEmpty(): Promise<void> {
    if (this.state.pendingRecords > 0) return Promise.resolve();
    return new Promise((resolve) => this.state.notEmptyWaiters.push(resolve));
  }

  whenEmpty(): Promise<void> {
    if (this.state.pendingRecords === 0) return Promise.resolve();
    return new Promise((resolve) => this.state.emptyWaiters.push(resolve));
  }

  /** Writes what is buffered now (synchronously, one write per segment), whatever the retry pause. */
  flush(): void {
    this.writer.writeBuffered(false);
  }

  /** Writes what is buffered and fdatasyncs it now; resolves when on stable storage (or the attempt failed). */
  sync(): Promise<void> {
    this.writer.writeBuffered(false);
    return this.writer.requestSync();
  }

  /** Writes the acknowledgement cursor now and deletes the segments behind it. */
  persistCursor(): Promise<void> {
    return this.ledger.persist();
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
    const { state, writer } = this;
    state.closed = true;
    writer.stopTimers();
    this.ledger.stopTimer();
    writer.writeBuffered(false);
    await writer.requestSync();
    await this.ledger.persist();
    for (let sync = writer.syncInFlight; sync !== null; sync = writer.syncInFlight) await sync;
    this.window.closeReadFd();
    for (const seg of state.segments) writer.closeWriteFd(seg);
    if (writer.bufferedBytes > 0) {
      throw new Error(
        `outbox closed with ${writer.bufferedRecords} record(s) that could not be written to ${this.dir}: ${state.problem ?? 'unknown error'}`,
      );
    }
  }

  /** A new segment to write: a reader and a cursor at the end of the old one move on to it. */
  private rollover(): void {
    const old = this.state.write;
    const seg = this.state.startSegment();
    this.window.followRollover(old, seg);
    this.ledger.followRollover(old, seg);
  }

  /** The reader set a bad part aside: with nothing read ahead, the cursor steps over it too. */
  private skippedDamaged(): void {
    if (this.cursorToReaderIfNothingReadAhead()) this.ledger.schedule();
    if (this.state.pendingRecords === 0) this.state.wakeEmpty();
  }

  /**
   * With nothing read ahead, the first unacknowledged record is where the reader stands (this
   * also steps the cursor over a segment part set aside as bad).
   */
  private cursorToReaderIfNothingReadAhead(): boolean {
    if (this.window.length !== 0) return false;
    const { seg, offset } = this.window.position;
    this.ledger.moveTo(seg, offset);
    return true;
  }
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
