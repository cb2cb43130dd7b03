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
/** Index of the first datagram's receivedAt in `meta`. */
const RECEIVED_AT = 1;

/** Packs the datagrams (in order) into one batch; the buffers to transfer are `transferables(batch)`. */
export function packBatch(datagrams: readonly ReadDatagram[]): PackedBatch {
  const writer = new BatchWriter(datagrams.length);
  for (const d of datagrams) writer.add(d);
  return writer.seal();
}

/** Datagrams in a batch. */
export function batchLength(batch: PackedBatch): number {
  return Math.floor(batch.meta.length / FIELDS);
}

/** When the first datagram of the batch was read, or undefined for an empty batch. */
export function firstReceivedAt(batch: PackedBatch): number | undefined {
  return batch.meta[RECEIVED_AT];
}

const FIRST_BYTES = 4_096;

/**
 * A batch being filled one datagram at a time: its buffers grow by doubling and are trimmed to
 * size when sealed. A writer is done once sealed.
 */
export class BatchWriter {
  private bytes: Uint8Array = new Uint8Array(FIRST_BYTES);
  private meta: Float64Array;
  private offset = 0;
  private readonly addresses: string[] = [];
  private readonly addressIndex = new Map<string, number>();
  private added = 0;

  /** `slots`: datagrams to make room for at first (more grow the buffer). */
  constructor(slots: number) {
    this.meta = new Float64Array(Math.max(1, slots) * FIELDS);
  }

  get length(): number {
    return this.added;
  }

  /** When the first datagram added was read, or undefined while empty. */
  get firstReceivedAt(): number | undefined {
    return this.added === 0 ? undefined : this.meta[RECEIVED_AT];
  }

  add(d: ReadDatagram): void {
    const size = d.bytes.byteLength;
    if (this.offset + size > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(this.bytes.byteLength * 2, this.offset + size));
      grown.set(this.bytes.subarray(0, this.offset));
      this.bytes = grown;
    }
    if ((this.added + 1) * FIELDS > this.meta.length) {
      const grown = new Float64Array(this.meta.length * 2);
      grown.set(this.meta);
      this.meta = grown;
    }
    this.bytes.set(d.bytes, this.offset);
    this.offset += size;
    let index = this.addressIndex.get(d.address);
    if (index === undefined) {
      index = this.addresses.length;
      this.addresses.push(d.address);
      this.addressIndex.set(d.address, index);
    }
    const at = this.added * FIELDS;
    this.meta[at] = this.offset;
    this.meta[at + 1] = d.receivedAt;
    this.meta[at + 2] = d.port;
    this.meta[at + 3] = index * 2 + (d.allowed ? 1 : 0);
    this.added++;
  }

  seal(): PackedBatch {
    return {
      bytes: this.bytes.slice(0, this.offset),
      meta: this.meta.slice(0, this.added * FIELDS),
      addresses: this.addresses,
    };
  }
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
