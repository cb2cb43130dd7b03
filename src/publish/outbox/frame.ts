import { crc32 } from 'node:zlib';
import { RECORD_PRIORITIES, type OutboxRecord, type RecordPriority } from '../outbox.js';

/**
 * One outbox record on disk (all integers little-endian):
 *
 *   offset  size  field
 *   0       2     magic 0xFF 0x4F (0xFF never occurs in UTF-8 text, so never inside a JSON payload)
 *   2       1     format version (1)
 *   3       1     priority: 0 status, 1 reject, 2 event, 3 alert
 *   4       4     body length (u32)
 *   8       4     CRC-32 (IEEE, as zlib) over bytes 0..7 and the body
 *   12      body  appendedAt (f64, epoch ms), id length (u16), id (UTF-8),
 *                 subject length (u16), subject (UTF-8), payload (the rest)
 *
 * A frame is good only when magic, version, priority, length bounds, CRC and the body's inner
 * lengths all agree.
 */
export const FRAME_MAGIC = Buffer.from([0xff, 0x4f]);
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 12;
/** appendedAt + id length + subject length. */
const BODY_FIXED_BYTES = 12;
/** Larger frames are refused on append and taken for garbage when read. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const MAX_STRING_BYTES = 0xffff;

const PRIORITY_CODE: Readonly<Record<RecordPriority, number>> = { status: 0, reject: 1, event: 2, alert: 3 };

/** Bytes the record takes as a frame (what both outboxes count against their size limit). */
export function frameBytes(record: OutboxRecord): number {
  return (
    FRAME_HEADER_BYTES +
    BODY_FIXED_BYTES +
    Buffer.byteLength(record.id) +
    Buffer.byteLength(record.subject) +
    record.payload.byteLength
  );
}

/** The frame size, or -1 when the record cannot be framed (id or subject over 64 KiB, frame over 16 MiB). */
export function encodableFrameBytes(record: OutboxRecord): number {
  const id = Buffer.byteLength(record.id);
  const subject = Buffer.byteLength(record.subject);
  const size = FRAME_HEADER_BYTES + BODY_FIXED_BYTES + id + subject + record.payload.byteLength;
  if (id > MAX_STRING_BYTES || subject > MAX_STRING_BYTES || size > MAX_FRAME_BYTES) return -1;
  return size;
}

/** Writes the frame at `at` (the caller made room: `frameBytes(record)` bytes); returns its size. */
export function encodeFrame(record: OutboxRecord, target: Buffer, at: number): number {
  let p = at + FRAME_HEADER_BYTES;
  target.writeDoubleLE(record.appendedAt, p);
  p += 8;
  const idBytes = target.write(record.id, p + 2, 'utf8');
  target.writeUInt16LE(idBytes, p);
  p += 2 + idBytes;
  const subjectBytes = target.write(record.subject, p + 2, 'utf8');
  target.writeUInt16LE(subjectBytes, p);
  p += 2 + subjectBytes;
  target.set(record.payload, p);
  p += record.payload.byteLength;
  const size = p - at;
  target[at] = 0xff;
  target[at + 1] = 0x4f;
  target[at + 2] = FRAME_VERSION;
  target[at + 3] = PRIORITY_CODE[record.priority];
  target.writeUInt32LE(size - FRAME_HEADER_BYTES, at + 4);
  target.writeUInt32LE(frameChecksum(target, at, size), at + 8);
  return size;
}

function frameChecksum(buffer: Buffer, at: number, size: number): number {
  const head = crc32(buffer.subarray(at, at + 8));
  return crc32(buffer.subarray(at + FRAME_HEADER_BYTES, at + size), head);
}

export type FrameCheck =
  | { readonly ok: true; readonly size: number }
  /** `size` = bytes needed to judge the frame (header first, then the whole frame). */
  | { readonly ok: false; readonly incomplete: true; readonly size: number }
  | { readonly ok: false; readonly incomplete: false; readonly reason: string };

/** Checks the frame starting at `at`, of which `available` bytes are in `buffer`. */
export function checkFrame(buffer: Buffer, at: number, available: number): FrameCheck {
  if (available < FRAME_HEADER_BYTES) return { ok: false, incomplete: true, size: FRAME_HEADER_BYTES };
  if (buffer[at] !== 0xff || buffer[at + 1] !== 0x4f) return bad('no record starts here (bad magic)');
  if (buffer[at + 2] !== FRAME_VERSION) return bad(`unknown record format version ${buffer[at + 2] ?? '?'}`);
  if ((buffer[at + 3] ?? 255) >= RECORD_PRIORITIES.length) return bad('unknown priority code');
  const body = buffer.readUInt32LE(at + 4);
  if (body < BODY_FIXED_BYTES || body > MAX_FRAME_BYTES - FRAME_HEADER_BYTES) {
    return bad(`implausible record length ${body}`);
  }
  const size = FRAME_HEADER_BYTES + body;
  if (available < size) return { ok: false, incomplete: true, size };
  if (buffer.readUInt32LE(at + 8) !== frameChecksum(buffer, at, size)) return bad('checksum mismatch');
  const idAt = at + FRAME_HEADER_BYTES + 8;
  const subjectAt = idAt + 2 + buffer.readUInt16LE(idAt);
  if (subjectAt + 2 > at + size || subjectAt + 2 + buffer.readUInt16LE(subjectAt) > at + size) {
    return bad('inner lengths exceed the record');
  }
  return { ok: true, size };
}

function bad(reason: string): FrameCheck {
  return { ok: false, incomplete: false, reason };
}

/** The record of a frame that `checkFrame` found good. The payload is a copy. */
export function decodeFrame(buffer: Buffer, at: number, size: number): OutboxRecord {
  const priority = RECORD_PRIORITIES[buffer[at + 3] ?? 0] ?? 'status';
  let p = at + FRAME_HEADER_BYTES;
  const appendedAt = buffer.readDoubleLE(p);
  p += 8;
  const idBytes = buffer.readUInt16LE(p);
  const id = buffer.toString('utf8', p + 2, p + 2 + idBytes);
  p += 2 + idBytes;
  const subjectBytes = buffer.readUInt16LE(p);
  const subject = buffer.toString('utf8', p + 2, p + 2 + subjectBytes);
  p += 2 + subjectBytes;
  const payload = new Uint8Array(buffer.subarray(p, at + size));
  return { id, subject, payload, priority, appendedAt };
}
