import { describe, expect, it } from 'vitest';
import { LoginWindow } from '../../src/aggregate/cluster-rules/login-window.js';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);
const SEC = 1000;
const MIN = 60_000;

describe('LoginWindow', () => {
  it('counts log-ins in the window, cluster-wide and per node, by whole 10 s buckets', () => {
    const w = new LoginWindow({ horizonMs: 5 * MIN });
    w.add('N1', T0, T0);
    w.add('N1', T0 + 30 * SEC, T0 + 30 * SEC);
    w.add('N2', T0 + 4 * MIN, T0 + 4 * MIN);
    const now = T0 + 4 * MIN;
    expect(w.count(5 * MIN, now)).toBe(3);
    expect(w.count(5 * MIN, now, 'N1')).toBe(2);
    expect(w.count(5 * MIN, now, 'N3')).toBe(0);
    expect(w.count(1 * MIN, now)).toBe(1);
    // The window reaches back to the bucket holding now - window: T0 leaves after 5m10s.
    expect(w.count(5 * MIN, T0 + 5 * MIN + 9 * SEC)).toBe(3);
    expect(w.count(5 * MIN, T0 + 5 * MIN + 10 * SEC)).toBe(2);
  });

  it('takes late log-ins within the horizon in their own bucket, and counts older ones as too old', () => {
    const w = new LoginWindow({ horizonMs: 5 * MIN });
    const now = T0 + 10 * MIN;
    w.add('N1', now, now);
    w.add('N1', now - 4 * MIN, now); // late, within the horizon
    w.add('N1', now - 6 * MIN, now); // beyond it
    w.add('N1', now + 2 * MIN, now); // a clock ahead: counts as now
    expect(w.count(5 * MIN, now)).toBe(3);
    expect(w.count(1 * MIN, now)).toBe(2);
    expect(w.stats()).toEqual({ counted: 3, tooOld: 1, evictedNodes: 0, nodes: 1 });
  });

  it('a ring slot reused by a newer bucket drops what it held', () => {
    const w = new LoginWindow({ horizonMs: 1 * MIN });
    for (let i = 0; i < 100; i++) w.add('N1', T0 + i * 10 * SEC, T0 + i * 10 * SEC);
    const now = T0 + 99 * 10 * SEC;
    // 60 s window over 10 s buckets: the buckets from now - 60 s to now, 7 of them.
    expect(w.count(1 * MIN, now)).toBe(7);
    expect(w.count(10 * MIN, now)).toBe(7); // clamped to the horizon
  });

  it('bounds the nodes it counts separately, evicting the least recently counted', () => {
    const w = new LoginWindow({ horizonMs: MIN, maxNodes: 2 });
    w.add('N1', T0, T0);
    w.add('N2', T0, T0);
    w.add('N1', T0 + 1, T0 + 1);
    w.add('N3', T0 + 2, T0 + 2);
    expect(w.count(MIN, T0 + 2, 'N2')).toBe(0);
    expect(w.count(MIN, T0 + 2, 'N1')).toBe(2);
    expect(w.count(MIN, T0 + 2)).toBe(4);
    expect(w.stats().evictedNodes).toBe(1);
  });

  it('keeps its counts when a reload widens or narrows the horizon', () => {
    const w = new LoginWindow({ horizonMs: MIN });
    for (let i = 0; i < 6; i++) w.add('N1', T0 + i * 10 * SEC, T0 + i * 10 * SEC);
    const now = T0 + 50 * SEC;
    w.setHorizon(10 * MIN);
    expect(w.count(10 * MIN, now)).toBe(6);
    w.add('N1', now - 5 * MIN, now);
    expect(w.count(10 * MIN, now, 'N1')).toBe(7);
    w.setHorizon(20 * SEC);
    expect(w.count(MIN, now)).toBe(3);
  });
});
