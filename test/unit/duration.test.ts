import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1.5s', 1_500],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 's', '10x', '5m 3s', '-1s', '1s2'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  it('formats whole units', () => {
    expect([formatDuration(86_400_000), formatDuration(300_000), formatDuration(1_500)]).toEqual([
      '1d',
      '5m',
      '1500ms',
    ]);
  });
});
