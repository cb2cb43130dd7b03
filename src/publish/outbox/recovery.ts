import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CURSOR_FILE, readCursor } from './cursor.js';
import { checkFrame, FRAME_HEADER_BYTES, FRAME_MAGIC, type FrameCheck } from './frame.js';
import {
  describeError,
  errorCode,
  ioError,
  isNoSpace,
  SEGMENT_PATTERN,
  segmentName,
  syncDirectory,
} from './io.js';

/**
 * What `DiskOutbox.open` finds on disk, checked and repaired: the segments holding unacknowledged
 * records, where the first of them starts, and what was set aside. Content problems never throw;
 * I/O errors (permission denied, disk gone) do, naming the path.
 */
export interface RecoveredSegment {
  readonly seq: number;
  readonly path: string;
  /** Offset of the first unacknowledged record (0 except in the first segment). */
  readonly base: number;
  /** Good bytes (the file is truncated to this). */
  readonly size: number;
  /** Good records from `base` on. */
  readonly records: number;
}

export interface Recovery {
  readonly segments: readonly RecoveredSegment[];
  /** The sequence number for the next segment to write: past every segment seen and the cursor. */
  readonly nextSeq: number;
  readonly acknowledged: number;
  readonly corrupt: number;
  readonly corruptBytes: number;
  readonly quarantined: readonly string[];
  readonly notes: readonly string[];
}

export const QUARANTINE_DIR = 'quarantine';
/** Quarantine keeps at most this many files (the newest). */
export const QUARANTINE_MAX_FILES = 16;
const SCAN_CHUNK = 1024 * 1024;

export interface RecoveryOptions {
  readonly dir: string;
  /** Quarantine may hold this many bytes; the newest file is kept even if larger. */
  readonly quarantineMaxBytes: number;
  readonly now: () => number;
}

export async function recover({ dir, quarantineMaxBytes, now }: RecoveryOptions): Promise<Recovery> {
  const notes: string[] = [];
  const quarantined: string[] = [];
  const quarantineDir = join(dir, QUARANTINE_DIR);
  let corrupt = 0;
  let corruptBytes = 0;
  let changed = false;

  const listing = await listDir(dir);
  const found: { seq: number; path: string }[] = [];
  // New segments are numbered past every name of the segment form, whatever it is, so that none collides.
  let lastSeen = -1;
  for (const entry of listing) {
    const path = join(dir, entry.name);
    const match = SEGMENT_PATTERN.exec(entry.name);
    const seq = match === null ? NaN : Number(match[1]);
    if (Number.isSafeInteger(seq)) lastSeen = Math.max(lastSeen, seq);
    if (entry.isFile() && Number.isSafeInteger(seq)) {
      found.push({ seq, path });
    } else if (entry.isFile() && entry.name.endsWith('.tmp')) {
      await removeFile(path); // an atomic write a crash interrupted; the original is intact
      changed = true;
    } else if (entry.name !== CURSOR_FILE && entry.name !== QUARANTINE_DIR) {
      notes.push(`ignored ${path}: not an outbox file`);
    }
  }
  found.sort((a, b) => a.seq - b.seq);

  let startSeq = -1;
  let startOffset = 0;
  let acknowledged = 0;
  const cursor = await readCursor(dir);
  if (cursor.kind === 'ok') {
    ({ segment: startSeq, offset: startOffset, acknowledged } = cursor.cursor);
  } else if (cursor.kind === 'bad') {
    const aside = await moveToQuarantine(join(dir, CURSOR_FILE), quarantineDir, `cursor-${now()}.bad`);
    quarantined.push(aside);
    changed = true;
    notes.push(
      `the cursor file was unusable (${cursor.problem}) and moved to ${aside}; every record on disk is sent again`,
    );
  } else if (found.length > 0) {
    notes.push('no cursor file: every record on disk is sent again');
  }

  const segments: RecoveredSegment[] = [];
  for (const { seq, path } of found) {
    if (seq < startSeq) {
      await removeFile(path); // fully acknowledged; the deletion did not happen before the stop
      changed = true;
      continue;
    }
    const handle = await openSegment(path);
    try {
      const size = await fileSize(handle, path);
      const base = seq === startSeq ? Math.min(startOffset, size) : 0;
      const scan = await scanFrames(handle, path, base, size);
      let good = size;
      let moved = false;
      let kept = true;
      if (scan.bad !== null) {
        const at = scan.end;
        const records = 1 + (await countFramesAfter(handle, path, at, size));
        corrupt += records;
        corruptBytes += size - at;
        const name = `${segmentName(seq).replace(/\.log$/, '')}-${at}.bad`;
        if (at === 0) {
          await handle.close();
          quarantined.push(await moveToQuarantine(path, quarantineDir, name));
          moved = true;
        } else {
          const copy = await copyToQuarantine(handle, path, at, size, quarantineDir, name);
          if (copy !== null) quarantined.push(copy);
          else kept = false;
          await truncate(handle, path, at);
        }
        notes.push(
          kept
            ? `${path}: ${scan.bad} at offset ${at}; ${size - at} bytes (about ${records} record(s)) set aside in ${QUARANTINE_DIR}/${name}`
            : `${path}: ${scan.bad} at offset ${at}; ${size - at} bytes (about ${records} record(s)) cut off, not kept: the disk is full`,
        );
        changed = true;
        good = at;
      }
      if (good > base) {
        segments.push({ seq, path, base, size: good, records: scan.records });
      } else if (!moved) {
        await handle.close();
        await removeFile(path); // nothing unacknowledged left in it
        changed = true;
      }
    } finally {
      await handle.close().catch(() => undefined); // closed above on some paths
    }
  }

  if (quarantined.length > 0) await pruneQuarantine(quarantineDir, quarantineMaxBytes, notes);
  if (changed) await syncDir(dir);
  return {
    segments,
    nextSeq: Math.max(lastSeen, startSeq) + 1,
    acknowledged,
    corrupt,
    corruptBytes,
    quarantined,
    notes,
  };
}

interface Scan {
  /** Where the good frames end. */
  readonly end: number;
  readonly records: number;
  /** Why the frame at `end` is not good; null when the good frames reach the end of the file. */
  readonly bad: string | null;
}

/** Good frames from `from`, up to the first one that is not (or the end). */
async function scanFrames(handle: FileHandle, path: string, from: number, to: number): Promise<Scan> {
  const file = new ChunkedFile(handle, path, to);
  let pos = from;
  let records = 0;
  while (pos < to) {
    const check = await frameAt(file, pos, to);
    if (!check.ok) return { end: pos, records, bad: check.incomplete ? 'torn record' : check.reason };
    records++;
    pos += check.size;
  }
  return { end: pos, records, bad: null };
}

/** Good frames found by searching for the magic after a bad frame at `from` (for the count only). */
async function countFramesAfter(handle: FileHandle, path: string, from: number, to: number): Promise<number> {
  const file = new ChunkedFile(handle, path, to);
  let count = 0;
  let pos = from + 1;
  while (pos < to - 1) {
    const view = await file.at(pos, SCAN_CHUNK);
    const found = view.buffer.subarray(0, view.index + view.available).indexOf(FRAME_MAGIC, view.index);
    if (found < 0) {
      pos += Math.max(1, view.available - 1); // the magic may straddle the chunk boundary
      continue;
    }
    const candidate = pos + (found - view.index);
    const check = await frameAt(file, candidate, to);
    if (check.ok) {
      count++;
      pos = candidate + check.size;
    } else {
      pos = candidate + 1;
    }
  }
  return count;
}

async function frameAt(file: ChunkedFile, pos: number, to: number): Promise<FrameCheck> {
  let need = FRAME_HEADER_BYTES;
  for (;;) {
    if (pos + need > to) return { ok: false, incomplete: true, size: need };
    const view = await file.at(pos, need);
    const check = checkFrame(view.buffer, view.index, view.available);
    if (check.ok || !check.incomplete || check.size <= need) return check;
    need = check.size;
  }
}

/** Positional reads through one reused buffer of at least SCAN_CHUNK bytes. */
class ChunkedFile {
  private buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private readonly size: number,
  ) {}

  /** Makes [offset, offset + length) available (clamped to the file); `index` is offset's place in `buffer`. */
  async at(offset: number, length: number): Promise<{ buffer: Buffer; index: number; available: number }> {
    const want = Math.min(length, this.size - offset);
    if (offset < this.start || offset + want > this.end) {
      const chunk = Math.min(Math.max(want, SCAN_CHUNK), this.size - offset);
      if (this.buffer.length < chunk) this.buffer = Buffer.allocUnsafe(chunk);
      let got = 0;
      try {
        while (got < chunk) {
          const { bytesRead } = await this.handle.read(this.buffer, got, chunk - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
      } catch (error) {
        throw ioError('cannot read outbox segment', this.path, error);
      }
      this.start = offset;
      this.end = offset + got;
    }
    return { buffer: this.buffer, index: offset - this.start, available: this.end - offset };
  }
}

async function listDir(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw ioError('cannot list the outbox directory', dir, error);
  }
}

async function openSegment(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r+');
  } catch (error) {
    throw ioError('cannot open outbox segment', path, error);
  }
}

async function fileSize(handle: FileHandle, path: string): Promise<number> {
  try {
    return (await handle.stat()).size;
  } catch (error) {
    throw ioError('cannot stat outbox segment', path, error);
  }
}

async function truncate(handle: FileHandle, path: string, size: number): Promise<void> {
  try {
    await handle.truncate(size);
    await handle.datasync();
  } catch (error) {
    throw ioError('cannot truncate outbox segment', path, error);
  }
}

async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw ioError('cannot delete', path, error);
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    await syncDirectory(dir);
  } catch (error) {
    throw ioError('cannot fsync the outbox directory', dir, error);
  }
}

export async function moveToQuarantine(path: string, quarantineDir: string, name: string): Promise<string> {
  const target = join(quarantineDir, name);
  try {
    await mkdir(quarantineDir, { recursive: true });
    await rename(path, target);
  } catch (error) {
    throw ioError(`cannot move ${path} to quarantine`, target, error);
  }
  return target;
}

/**
 * Null when the disk is full: the bad part (a torn tail, most likely the partial write that
 * found the disk full) is then cut off without a copy, since refusing to start would keep the
 * sidecar down for good, and the cut is what gives room back.
 */
async function copyToQuarantine(
  source: FileHandle,
  path: string,
  from: number,
  to: number,
  quarantineDir: string,
  name: string,
): Promise<string | null> {
  const target = join(quarantineDir, name);
  const buffer = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, to - from));
  try {
    await mkdir(quarantineDir, { recursive: true });
    const out = await open(target, 'w');
    try {
      for (let pos = from; pos < to;) {
        const { bytesRead } = await source.read(buffer, 0, Math.min(buffer.length, to - pos), pos);
        if (bytesRead === 0) break;
        await out.write(buffer, 0, bytesRead);
        pos += bytesRead;
      }
      await out.datasync();
    } finally {
      await out.close();
    }
  } catch (error) {
    if (isNoSpace(error)) {
      await rm(target, { force: true });
      return null;
    }
    throw ioError(`cannot copy the bad part of ${path} to quarantine`, target, error);
  }
  return target;
}

/** Deletes the oldest quarantine files beyond QUARANTINE_MAX_FILES or `maxBytes` (the newest stays). */
async function pruneQuarantine(quarantineDir: string, maxBytes: number, notes: string[]): Promise<void> {
  const files: { path: string; size: number; mtime: number }[] = [];
  for (const entry of await listDir(quarantineDir)) {
    if (!entry.isFile()) continue;
    const path = join(quarantineDir, entry.name);
    try {
      const info = await stat(path);
      files.push({ path, size: info.size, mtime: info.mtimeMs });
    } catch (error) {
      notes.push(`cannot stat ${path}: ${describeError(error)}`);
    }
  }
  files.sort((a, b) => a.mtime - b.mtime || a.path.localeCompare(b.path));
  let total = files.reduce((sum, file) => sum + file.size, 0);
  while (files.length > 1 && (files.length > QUARANTINE_MAX_FILES || total > maxBytes)) {
    const oldest = files.shift();
    if (oldest === undefined) break;
    await removeFile(oldest.path);
    total -= oldest.size;
    notes.push(`deleted ${oldest.path} to keep the quarantine bounded`);
  }
}
