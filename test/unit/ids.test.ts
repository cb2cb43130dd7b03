import { describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../src/core/ids.js';

describe('createIdGenerator', () => {
  it('makes 26-character Crockford base32 ids that sort by time and stay unique within a millisecond', () => {
    let now = 1_700_000_000_000;
    const next = createIdGenerator(
      () => now,
      () => new Uint8Array(10).fill(0xff),
    );
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) ids.push(next());
    now += 1;
    ids.push(next());
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('encodes the time in the first ten characters', () => {
    const next = createIdGenerator(
      () => 0,
      () => new Uint8Array(10),
    );
    expect(next()).toBe('0'.repeat(26));
    const later = createIdGenerator(
      () => 32,
      () => new Uint8Array(10),
    );
    expect(later().slice(0, 10)).toBe('0000000010');
  });

  it('does not go backwards when the clock does', () => {
    let now = 5_000;
    const next = createIdGenerator(
      () => now,
      () => new Uint8Array(10),
    );
    const first = next();
    now = 4_000;
    const second = next();
    expect(second > first).toBe(true);
  });
});
