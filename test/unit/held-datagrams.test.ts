import { describe, expect, it } from 'vitest';
import { unpackBatch } from '../../src/ingest/datagram-batch.js';
import { IMMEDIATE } from '../../src/ingest/hand-off-policy.js';
import { HeldDatagrams, untilQuiet } from '../../src/ingest/held-datagrams.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const options = { queueSize: 3, maxBatch: 2, allowedSources: ['127.0.0.1'], handOff: IMMEDIATE };

describe('the datagrams a socket shell holds', () => {
  it('keeps what arrives, oldest first, with its sender, time and check', () => {
    const held = new HeldDatagrams(options);
    expect(held.arrive(bytes('a'), '127.0.0.1', 4001, 1_000)).toBe(true);
    expect(held.arrive(bytes('b'), '10.0.0.9', 4002, 1_005)).toBe(true);
    expect(held.length).toBe(2);
    const batch = held.take();
    if (batch === undefined) throw new Error('nothing was held');
    const taken = unpackBatch(batch);
    expect(taken.map((d) => new TextDecoder().decode(d.bytes))).toEqual(['a', 'b']);
    expect(
      taken.map((d) => [d.meta.source.address, d.meta.source.port, d.meta.receivedAt, d.allowed]),
    ).toEqual([
      ['127.0.0.1', 4001, 1_000, true],
      ['10.0.0.9', 4002, 1_005, false],
    ]);
    expect(held.length).toBe(0);
    expect(held.take()).toBeUndefined();
  });

  it('counts every arrival, and as dropped those that find the queue full', () => {
    const held = new HeldDatagrams(options);
    const kept = [1, 2, 3, 4, 5].map((i) => held.arrive(bytes(String(i)), '127.0.0.1', 4000, i));
    expect(kept).toEqual([true, true, true, false, false]);
    expect(held.totals).toEqual({ received: 5, dropped: 2 });
    expect(held.length).toBe(3);
    held.take();
    expect(held.arrive(bytes('6'), '127.0.0.1', 4000, 6)).toBe(true);
    expect(held.totals).toEqual({ received: 6, dropped: 2 });
  });

  it('is due when its policy says, counted from the oldest held, and at once when closed', () => {
    const held = new HeldDatagrams({
      ...options,
      queueSize: 10,
      handOff: { datagrams: 3, waitMs: 50, belowRate: 0 },
    });
    held.arrive(bytes('a'), '127.0.0.1', 4000, 1_000);
    held.arrive(bytes('b'), '127.0.0.1', 4000, 1_020);
    expect(held.delay(1_030, false)).toBe(20);
    expect(held.delay(1_030, true)).toBe(0);
    held.arrive(bytes('c'), '127.0.0.1', 4000, 1_031);
    expect(held.delay(1_031, false)).toBe(0);
  });

  it('tells how long nothing arrived', () => {
    const held = new HeldDatagrams(options);
    expect(held.quietFor(0, 100)).toBe(true);
    held.arrive(bytes('a'), '127.0.0.1', 4000, 1_000);
    expect(held.quietFor(1_099, 100)).toBe(false);
    expect(held.quietFor(1_100, 100)).toBe(true);
  });

  it('waits at stop until quiet, and no longer than the limit', async () => {
    const held = new HeldDatagrams(options);
    const quietAlready = Date.now();
    await untilQuiet(held, 100, Date.now() + 5_000);
    expect(Date.now() - quietAlready).toBeLessThan(5_000);

    held.arrive(bytes('a'), '127.0.0.1', 4000, Date.now() + 60_000);
    const giveUpAt = Date.now() + 30;
    await untilQuiet(held, 100, giveUpAt);
    expect(Date.now()).toBeGreaterThanOrEqual(giveUpAt);
  });
});
