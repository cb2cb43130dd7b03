import { closeSync, openSync, readSync } from 'node:fs';
import type { OutboxRecord } from '../outbox.js';
import { checkFrame, decodeFrame } from './frame.js';
import { describeError } from './io.js';
import type { Placement, SegmentWriter } from './segment-writer.js';
import type { OutboxState, Segment } from './state.js';

/**
 * The reading side of the disk outbox: the read-ahead window of records handed to the
 * publisher (peeked, in flight, until acknowledged), the reader's position in the segments, and
 * the disk reads that refill the window.
 *
 * `peek(max)` returns min(max, depth, 4096) records from a bounded read-ahead window: while the
 * publisher keeps up, appended records go straight into the window (up to 4096 records / 4 MiB,
 * no disk read); with a backlog the window is refilled from the segment files through a cached
 * 1 MiB chunk (synchronous reads), decoding only as many records as the peek asks for (or from
 * the write buffer for records not yet written). Memory stays bounded whatever the backlog.
 *
 * Invariants: the window holds, in order, the oldest pending records, and the reader stands just
 * past the last of them; segments are append-only, so a chunk once read never goes stale. A bad
 * frame found here (a disk error after open) sets the rest of its segment aside.
 */

const WINDOW_RECORDS = 4096;
const WINDOW_BYTES = 4 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export interface ReadWindowOptions {
  /** Read-ahead bound (see DiskOutboxOptions.readAhead). */
  readonly readAhead: { readonly records: number; readonly bytes: number } | undefined;
  /** The segment being written was found damaged: writing must go on in a new one. */
  readonly rollover: () => void;
  /** The reader stepped over a part set aside as bad (the cursor may have to follow). */
  readonly skipped: () => void;
}

interface Chunk {
  readonly seg: Segment;
  /** File offsets of `buffer[0]` and just past its last valid byte. */
  readonly start: number;
  readonly end: number;
  readonly buffer: Buffer;
}

export interface WindowEntry {
  readonly record: OutboxRecord;
  readonly seg: Segment;
  /** Offset just past the record in its segment. */
  readonly end: number;
  readonly size: number;
}

export class ReadWindow {
  private readonly windowRecords: number;
  private readonly windowMaxBytes: number;

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

  constructor(
    private readonly state: OutboxState,
    private readonly writer: SegmentWriter,
    private readonly options: ReadWindowOptions,
  ) {
    this.windowRecords = options.readAhead?.records ?? WINDOW_RECORDS;
    this.windowMaxBytes = options.readAhead?.bytes ?? WINDOW_BYTES;
    const { first } = state;
    this.readSeg = first;
    this.readOffset = first.base;
  }

  /** Records read ahead (handed out or ready to be). */
  get length(): number {
    return this.window.length - this.windowHead;
  }

  /** Where the reader stands: just past the last record taken into the window. */
  get position(): { readonly seg: Segment; readonly offset: number } {
    return { seg: this.readSeg, offset: this.readOffset };
  }

  /** The oldest pending record (read if need be); undefined when there is none. */
  oldest(): OutboxRecord | undefined {
    if (this.length === 0) this.fill(1);
    return this.window[this.windowHead]?.record;
  }

  /** The `wanted` oldest records (fewer if the window cannot hold them), without removing them. */
  peek(wanted: number): OutboxRecord[] {
    if (this.length < wanted) this.fill(wanted);
    const n = Math.min(wanted, this.length);
    const out: OutboxRecord[] = [];
    for (let i = 0; i < n; i++) {
      const entry = this.window[this.windowHead + i];
      if (entry !== undefined) out.push(entry.record);
    }
    return out;
  }

  /** Caught up: a record just appended where the reader stands goes straight into the window. */
  offer(record: OutboxRecord, { seg, start, size }: Placement): void {
    if (
      this.readSeg === seg &&
      this.readOffset === start &&
      this.length < this.windowRecords &&
      this.windowBytes + size <= this.windowMaxBytes
    ) {
      this.pushEntry(record, seg, seg.size, size);
      this.readOffset = seg.size;
    }
  }

  /**
   * Removes the `count` oldest records (at most the pending ones), reading them first if need
   * be, and takes them out of the pending counts. Returns how many, the last one removed, and
   * whether all of them were status records.
   */
  acknowledge(count: number): {
    readonly acknowledged: number;
    readonly last: WindowEntry | undefined;
    readonly onlyStatus: boolean;
  } {
    const { state } = this;
    let n = count;
    let acknowledged = 0;
    let last: WindowEntry | undefined;
    let onlyStatus = true;
    while (n > 0) {
      if (this.length === 0) this.fill(Math.min(n, this.windowRecords));
      const k = Math.min(n, this.length, state.pendingRecords);
      if (k === 0) break;
      for (let i = 0; i < k; i++) {
        const entry = this.window[this.windowHead];
        this.window[this.windowHead++] = undefined;
        if (entry === undefined) continue;
        this.windowBytes -= entry.size;
        state.pendingBytes -= entry.size;
        if (entry.record.priority !== 'status') onlyStatus = false;
        last = entry;
      }
      state.pendingRecords -= k;
      acknowledged += k;
      n -= k;
    }
    if (this.windowHead > 1024 && this.windowHead * 2 > this.window.length) {
      this.window = this.window.slice(this.windowHead);
      this.windowHead = 0;
    }
    return { acknowledged, last, onlyStatus };
  }

  /** The outbox started a new segment: a reader at the end of the old one moves on to it. */
  followRollover(old: Segment, seg: Segment): void {
    if (this.readSeg === old && this.readOffset >= old.size) {
      this.readSeg = seg;
      this.readOffset = 0;
      this.readRecords = 0;
      this.closeReadFd();
    }
  }

  /** Closes the read descriptor if it is `seg`'s (the segment is being deleted). */
  release(seg: Segment): void {
    if (this.readFd?.seg === seg) this.closeReadFd();
  }

  closeReadFd(): void {
    this.chunk = null;
    if (this.readFd === null) return;
    try {
      closeSync(this.readFd.fd);
    } catch {
      // Closing can only fail for a descriptor that is already gone.
    }
    this.readFd = null;
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
    while (this.length < target) {
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
    return this.length < target;
  }

  private advanceReader(): boolean {
    const next = this.state.after(this.readSeg);
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
    const { buffer, part } = this.writer.buffered(seg);
    if (part === undefined) {
      this.damaged(seg, this.readOffset, 'records missing from the write buffer');
      return;
    }
    let at = part.start + (this.readOffset - seg.flushed);
    while (at < part.end && this.roomFor(target)) {
      const check = checkFrame(buffer, at, part.end - at);
      if (!check.ok) {
        this.damaged(seg, this.readOffset, 'a buffered record does not check');
        return;
      }
      this.readOffset += check.size;
      this.pushEntry(decodeFrame(buffer, at, check.size), seg, this.readOffset, check.size);
      at += check.size;
    }
  }

  /**
   * A bad frame found when reading (a disk error after open): the rest of the segment is set
   * aside, its records counted as corrupt; the reader goes on with the next segment.
   */
  private damaged(seg: Segment, at: number, reason: string): void {
    const { state } = this;
    const records = Math.max(0, seg.records - this.readRecords);
    const bytes = Math.max(0, seg.size - at);
    state.pendingRecords -= records;
    state.pendingBytes -= bytes;
    state.corruptTotal += records;
    seg.damagedAt = at;
    state.problem = `${seg.path}: ${reason} at offset ${at}; ${records} record(s) set aside`;
    if (seg === state.write) this.options.rollover();
    this.advanceReader();
    this.options.skipped();
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
