import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packBatch, type ReadDatagram, transferables, unpackBatch } from '../../src/ingest/datagram-batch.js';

const datagram = fc.record({
  bytes: fc.uint8Array({ maxLength: 300 }),
  address: fc.constantFrom('127.0.0.1', '10.0.0.7', '::1', 'fe80::1%eth0'),
  port: fc.integer({ min: 1, max: 65535 }),
  receivedAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  allowed: fc.boolean(),
});

describe('datagram batches between the reader thread and the decoder', () => {
  it('unpack gives back every datagram, in order, with its bytes, sender, time and source check', () => {
    fc.assert(
      fc.property(fc.array(datagram, { maxLength: 50 }), (read: ReadDatagram[]) => {
        const out = unpackBatch(packBatch(read));
        expect(out).toHaveLength(read.length);
        out.forEach((d, i) => {
          const r = read[i];
          if (r === undefined) throw new Error('length checked above');
          expect([...d.bytes]).toEqual([...r.bytes]);
          expect(d.meta).toEqual({ receivedAt: r.receivedAt, source: { address: r.address, port: r.port } });
          expect(d.allowed).toBe(r.allowed);
        });
      }),
    );
  });

  it('travels as two buffers whatever the number of datagrams, each sender named once', () => {
    const read: ReadDatagram[] = Array.from({ length: 100 }, (_, i) => ({
      bytes: new TextEncoder().encode(`datagram ${i}`),
      address: i % 2 === 0 ? '10.0.0.1' : '10.0.0.2',
      port: 50_000 + i,
      receivedAt: 1_000 + i,
      allowed: true,
    }));
    const batch = packBatch(read);
    expect(transferables(batch)).toHaveLength(2);
    expect(batch.addresses).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
