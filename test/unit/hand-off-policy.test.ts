import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handOffDelay, IMMEDIATE } from '../../src/ingest/hand-off-policy.js';

const policy = { datagrams: 4, waitMs: 40 };

describe('when the reader hands datagrams to the decoder', () => {
  it('without batching, always at once', () => {
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.nat(10_000),
        fc.nat(10_000),
        fc.boolean(),
        (held, oldestAt, now, closed) => {
          expect(handOffDelay(IMMEDIATE, held, oldestAt, now, closed)).toBe(0);
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
      fc.property(fc.nat(3), fc.nat(10_000), fc.nat(200), (held, oldestAt, elapsed) => {
        const delay = handOffDelay(policy, held, oldestAt, oldestAt + elapsed, false);
        expect(elapsed + delay).toBeLessThanOrEqual(Math.max(policy.waitMs, elapsed));
      }),
    );
  });

  it('at once when the socket is closed: nothing more will join', () => {
    expect(handOffDelay(policy, 1, 1_000, 1_000, true)).toBe(0);
  });
});
