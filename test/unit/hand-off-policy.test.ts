import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrivalRate, handOffDelay, IMMEDIATE } from '../../src/ingest/hand-off-policy.js';

const policy = { datagrams: 4, waitMs: 40, belowRate: 0 };
const quiet = { datagrams: 512, waitMs: 1_000, belowRate: 200 };

describe('when the reader hands datagrams to the decoder', () => {
  it('without batching, always at once', () => {
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.nat(10_000),
        fc.nat(10_000),
        fc.boolean(),
        fc.nat(100_000),
        (held, oldestAt, now, closed, rate) => {
          expect(handOffDelay(IMMEDIATE, held, oldestAt, now, closed, rate)).toBe(0);
        },
      ),
    );
  });

  it('at once when enough datagrams are held', () => {
    expect(handOffDelay(policy, 4, 1_000, 1_000, false)).toBe(0);
    expect(handOffDelay(policy, 9, 1_000, 1_001, false)).toBe(0);
  });

  it('otherwise when the oldest has waited waitMs, and never later', () => {
    expect(handOffDelay(policy, 1, 1_000, 1_000, false)).toBe(40);
    expect(handOffDelay(policy, 3, 1_000, 1_025, false)).toBe(15);
    expect(handOffDelay(policy, 3, 1_000, 1_040, false)).toBe(0);
    expect(handOffDelay(policy, 2, 1_000, 1_500, false)).toBe(0);
    fc.assert(
      fc.property(
        fc.nat(3),
        fc.nat(10_000),
        fc.nat(200),
        fc.nat(100_000),
        (held, oldestAt, elapsed, rate) => {
          const delay = handOffDelay(policy, held, oldestAt, oldestAt + elapsed, false, rate);
          expect(elapsed + delay).toBeLessThanOrEqual(Math.max(policy.waitMs, elapsed));
        },
      ),
    );
  });

  it('waits only while datagrams arrive slower than belowRate', () => {
    expect(handOffDelay(quiet, 3, 1_000, 1_000, false, 5)).toBe(1_000);
    expect(handOffDelay(quiet, 3, 1_000, 1_400, false, 199)).toBe(600);
    expect(handOffDelay(quiet, 3, 1_000, 1_000, false, 200)).toBe(0);
    expect(handOffDelay(quiet, 1, 1_000, 1_000, false, 10_000)).toBe(0);
  });

  it('at once when the socket is closed: nothing more will join', () => {
    expect(handOffDelay(policy, 1, 1_000, 1_000, true)).toBe(0);
    expect(handOffDelay(quiet, 1, 1_000, 1_000, true, 1)).toBe(0);
  });
});

describe('ArrivalRate', () => {
  const noted = (times: readonly number[]) => {
    const rate = new ArrivalRate();
    for (const t of times) rate.note(t);
    return rate.perSecond;
  };
  const every = (gapMs: number, n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i * gapMs);

  it('starts quiet (one a second) and follows a steady rate', () => {
    expect(noted([])).toBe(1);
    expect(noted(every(200, 50))).toBeCloseTo(5, 2);
    expect(noted(every(10, 100))).toBeCloseTo(100, 2);
  });

  it('recognises a burst after a quiet spell within about twenty-five datagrams, not after two', () => {
    const quietSpell = every(1_000, 10);
    const burst = every(1, 30, 10_000);
    expect(noted([...quietSpell, ...burst.slice(0, 2)])).toBeLessThan(200);
    expect(noted([...quietSpell, ...burst.slice(0, 25)])).toBeGreaterThanOrEqual(200);
  });

  it('is quiet again with the first datagram after a burst ends', () => {
    expect(noted([...every(1, 1_000), 1_999 + 250])).toBeLessThan(200);
  });

  it('takes an hour of silence as a second: the next burst is recognised as quickly', () => {
    expect(noted([0, 3_600_000, ...every(1, 20, 3_600_001)])).toBeGreaterThanOrEqual(200);
  });
});
