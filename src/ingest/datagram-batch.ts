import type { ReceiveMeta } from '../core/events.js';

/** One datagram as the reader thread holds it until the decoder asks for it. */
export interface ReadDatagram {
  readonly bytes: Uint8Array;
  readonly address: string;
  readonly port: number;
  /** Epoch milliseconds at which the socket handed it over. */
  readonly receivedAt: number;
  /** Whether the sender passed `udp.allowedSources`. */
  readonly allowed: boolean;
}

/** What the decoder works on: the bytes, where and when they came from, and the source check. */
export interface Datagram {
  readonly bytes: Uint8Array;
  readonly meta: ReceiveMeta;
  readonly allowed: boolean;
}

/**
 * Datagrams packed for one hand-off between threads: every byte in one buffer and the metadata
 * in one number array, so a batch of hundreds costs two transferred buffers rather than a
 * structured clone per datagram. `meta` holds FIELDS numbers per datagram:
 * [end offset in `bytes`, receivedAt, source port, index into `addresses` × 2 + allowed].
 */
export interface PackedBatch {
  readonly bytes: Uint8Array;
  readonly meta: Float64Array;
  readonly addresses: readonly string[];
}

const FIELDS = 4;

/** Packs the datagrams (in order) into one batch; the buffers to transfer are `transferables(batch)`. */
export function packBatch(datagrams: readonly ReadDatagram[]): PackedBatch {
  let total = 0;
  for (const d of datagrams) total += d.bytes.byteLength;
  const bytes = new Uint8Array(total);
  const meta = new Float64Array(datagrams.length * FIELDS);
  const addresses: string[] = [];
  const addressIndex = new Map<string, number>();
  let offset = 0;
  for (let i = 0; i < datagrams.length; i++) {
    const d = datagrams[i];
    if (d === undefined) continue;
    bytes.set(d.bytes, offset);
    offset += d.bytes.byteLength;
    let index = addressIndex.get(d.address);
    if (index === undefined) {
      index = addresses.length;
      addresses.push(d.address);
      addressIndex.set(d.address, index);
    }
    const at = i * FIELDS;
    meta[at] = offset;
    meta[at + 1] = d.receivedAt;
    meta[at + 2] = d.port;
    meta[at + 3] = index * 2 + (d.allowed ? 1 : 0);
  }
  return { bytes, meta, addresses };
}

export function transferables(batch: PackedBatch): ArrayBuffer[] {
  return [batch.bytes.buffer as ArrayBuffer, batch.meta.buffer as ArrayBuffer];
}

/** The datagrams of a batch, in order; their bytes are views into the batch's one buffer. */
export function unpackBatch(batch: PackedBatch): Datagram[] {
  const { bytes, meta, addresses } = batch;
  const count = Math.floor(meta.length / FIELDS);
  const out: Datagram[] = new Array<Datagram>(count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    const at = i * FIELDS;
    const end = meta[at] ?? start;
    const packed = meta[at + 3] ?? 0;
    out[i] = {
      bytes: bytes.subarray(start, end),
      meta: {
        receivedAt: meta[at + 1] ?? 0,
        source: { address: addresses[Math.floor(packed / 2)] ?? '', port: meta[at + 2] ?? 0 },
      },
      allowed: packed % 2 === 1,
    };
    start = end;
  }
  return out;
}
