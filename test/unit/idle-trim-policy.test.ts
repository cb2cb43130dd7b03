import { describe, expect, it } from 'vitest';
import { IdleTrimPolicy } from '../../src/observe/idle-trim-policy.js';

const MB = 1024 * 1024;
const options = { afterMs: 60_000, minGrowthBytes: 8 * MB };

describe('IdleTrimPolicy', () => {
  it('trims once a spell without datagrams has lasted afterMs, and not before', () => {
    const policy = new IdleTrimPolicy(options, 0);
    expect(policy.due(5_000, 100, 40 * MB)).toBe(false); // datagrams arrived: the spell starts now
    expect(policy.due(60_000, 100, 40 * MB)).toBe(false); // 55 s quiet
    expect(policy.due(65_000, 100, 40 * MB)).toBe(true);
  });

  it('trims at most once per quiet spell, and again after the next datagrams', () => {
    const policy = new IdleTrimPolicy(options, 0);
    expect(policy.due(60_000, 0, 40 * MB)).toBe(true); // quiet since start
    policy.trimmed(20 * MB);
    expect(policy.due(120_000, 0, 40 * MB)).toBe(false);
    expect(policy.due(125_000, 7, 40 * MB)).toBe(false);
    expect(policy.due(185_000, 7, 40 * MB)).toBe(true);
  });

  it('skips a spell in which the heap did not grow by minGrowthBytes since the last trim', () => {
    const policy = new IdleTrimPolicy(options, 0);
    policy.trimmed(20 * MB);
    expect(policy.due(5_000, 1, 20 * MB)).toBe(false);
    expect(policy.due(70_000, 1, 28 * MB - 1)).toBe(false); // a trickle: not worth a full collection
    expect(policy.due(75_000, 1, 28 * MB)).toBe(true); // the heap grew later in the same spell
  });

  it('never trims with afterMs 0', () => {
    const policy = new IdleTrimPolicy({ ...options, afterMs: 0 }, 0);
    expect(policy.due(1e9, 0, 1e9)).toBe(false);
  });
});
