import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchLength, type ReadDatagram, unpackBatch } from '../../src/ingest/datagram-batch.js';
import { PackingQueue } from '../../src/ingest/packing-queue.js';

const datagram = fc.record({
  bytes: fc.uint8Array({ maxLength: 9_000 }),
  address: fc.constantFrom('127.0.0.1', '10.0.0.7', '::1'),
  port: fc.integer({ min: 1, max: 65535 }),
  receivedAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  allowed: fc.boolean(),
});

function numbered(i: number): ReadDatagram {
  return {
    bytes: new TextEncoder().encode(`d${i}`),
    address: '10.0.0.1',
    port: i + 1,
    receivedAt: i,
    allowed: true,
  };
}

describe('the reader thread packing queue', () => {
  it('gives back every datagram it accepted, in order, whatever pushes and takes interleave', () => {
    const op = fc.oneof(
      datagram.map((d) => ({ push: d })),
      fc.constant({ take: true as const }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 120 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        (ops, capacity, maxBatch) => {
          const queue = new PackingQueue(capacity, maxBatch);
          const accepted: ReadDatagram[] = [];
          const out: ReadDatagram[] = [];
          const drain = (): void => {
            const batch = queue.take();
            if (batch === undefined) return;
            expect(batchLength(batch)).toBeGreaterThan(0);
            expect(batchLength(batch)).toBeLessThanOrEqual(maxBatch);
            for (const d of unpackBatch(batch))
              out.push({
                bytes: d.bytes,
                address: d.meta.source.address,
                port: d.meta.source.port,
                receivedAt: d.meta.receivedAt,
                allowed: d.allowed,
              });
          };
          for (const o of ops) {
            if ('take' in o) drain();
            else {
              const wasFull = queue.length === capacity;
              expect(queue.push(o.push)).toBe(!wasFull);
              if (!wasFull) accepted.push(o.push);
            }
            expect(queue.length).toBeLessThanOrEqual(capacity);
          }
          while (queue.length > 0) drain();
          expect(queue.take()).toBeUndefined();
          expect(out.map((d) => [[...d.bytes], d.address, d.port, d.receivedAt, d.allowed])).toEqual(
            accepted.map((d) => [[...d.bytes], d.address, d.port, d.receivedAt, d.allowed]),
          );
        },
      ),
    );
  });

  it('seals full batches of maxBatch and hands out the oldest first', () => {
    const queue = new PackingQueue(100, 4);
    for (let i = 0; i < 10; i++) expect(queue.push(numbered(i))).toBe(true);
    const sizes: number[] = [];
    const firsts: number[] = [];
    for (let batch = queue.take(); batch !== undefined; batch = queue.take()) {
      sizes.push(batchLength(batch));
      firsts.push(unpackBatch(batch)[0]?.meta.receivedAt ?? -1);
    }
    expect(sizes).toEqual([4, 4, 2]);
    expect(firsts).toEqual([0, 4, 8]);
    expect(queue.length).toBe(0);
  });

  it('refuses past its capacity and has room again once a batch is taken', () => {
    const queue = new PackingQueue(3, 2);
    expect([0, 1, 2, 3].map((i) => queue.push(numbered(i)))).toEqual([true, true, true, false]);
    expect(batchLength(queue.take() ?? unpackGuard())).toBe(2);
    expect(queue.push(numbered(4))).toBe(true);
    expect(queue.length).toBe(2);
  });

  it('rejects a capacity or batch size that is not a positive integer', () => {
    expect(() => new PackingQueue(0, 1)).toThrow(RangeError);
    expect(() => new PackingQueue(1, 0.5)).toThrow(RangeError);
  });
});

function unpackGuard(): never {
  throw new Error('expected a batch');
}
