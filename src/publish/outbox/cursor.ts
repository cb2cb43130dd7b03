import { closeSync, fdatasync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ioError, isNoSpace } from './io.js';

/**
 * The acknowledgement cursor: where the first unacknowledged record starts. Everything before
 * it has been confirmed by NATS. Written atomically (temp file, fdatasync, rename), so a crash
 * leaves the previous cursor or the new one (on a full disk in place: see writeInPlace); a cursor that is older than the truth only makes a
 * restart re-send records NATS already has (the `Nats-Msg-Id` duplicate window drops them).
 */
export interface Cursor {
  /** Sequence number of the segment holding the first unacknowledged record. */
  readonly segment: number;
  /** Its byte offset in that segment (a frame boundary; may equal the segment's size). */
  readonly offset: number;
  /** Records acknowledged over the outbox's life (for progress reporting). */
  readonly acknowledged: number;
}

export const CURSOR_FILE = 'cursor.json';

export type CursorRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly cursor: Cursor }
  | { readonly kind: 'bad'; readonly problem: string };

export async function readCursor(dir: string): Promise<CursorRead> {
  const path = join(dir, CURSOR_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw ioError('cannot read the outbox cursor', path, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'bad', problem: `not JSON (${text.length} characters)` };
  }
  if (value === null || typeof value !== 'object') return { kind: 'bad', problem: 'not an object' };
  const fields = value as Record<string, unknown>;
  if (fields['version'] !== 1) return { kind: 'bad', problem: 'unknown version' };
  const { segment, offset, acknowledged } = fields;
  if (!isCount(segment) || !isCount(offset) || !isCount(acknowledged)) {
    return { kind: 'bad', problem: 'segment, offset or acknowledged is not a non-negative integer' };
  }
  return { kind: 'ok', cursor: { segment, offset, acknowledged } };
}

const datasync = promisify(fdatasync);

/**
 * Only the fdatasync goes to the thread pool. The open, the 60-byte write, the close and the
 * rename are page-cache work done in place (as the segment appends are): asynchronous, they were
 * five thread-pool hand-offs per cursor, which on an idle node woke every pool thread each time.
 */
export async function writeCursor(dir: string, cursor: Cursor): Promise<void> {
  const path = join(dir, CURSOR_FILE);
  const temporary = `${path}.tmp`;
  const text = JSON.stringify({ version: 1, ...cursor });
  try {
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, text);
      await datasync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    // A half-written temporary file would hold disk space the outbox needs (on a full disk).
    rmSync(temporary, { force: true });
    if (isNoSpace(error) && (await writeInPlace(path, text))) return;
    throw ioError('cannot write the outbox cursor', path, error);
  }
}

/**
 * On a full filesystem the temporary file gets no block, but the cursor file has one: without
 * this, acknowledged segments could never be deleted (they go only once the cursor is past
 * them), and the disk would stay full for good. Not atomic: a power cut during this write can
 * tear the file, which open then sets aside and re-sends everything (the duplicate window drops
 * what NATS has). False when there is no cursor file to write into.
 */
async function writeInPlace(path: string, text: string): Promise<boolean> {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return false;
  }
  try {
    writeSync(fd, text, 0);
    ftruncateSync(fd, Buffer.byteLength(text));
    await datasync(fd);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
