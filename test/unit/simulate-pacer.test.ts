import { describe, expect, test } from 'vitest';
import { dueCount, ratePacing, schedulePacing } from '../../src/simulate/pacer.js';

describe('dueCount (rate pacing)', () => {
  const START = 1_000_000;

  test('100/s: one every 10 ms, the first after 10 ms', () => {
    expect(dueCount(100, START, START, 0, 1000)).toBe(0);
    expect(dueCount(100, START, START + 9, 0, 1000)).toBe(0);
    expect(dueCount(100, START, START + 10, 0, 1000)).toBe(1);
    expect(dueCount(100, START, START + 1000, 0, 1000)).toBe(100);
    expect(dueCount(100, START, START + 1000, 60, 1000)).toBe(40);
  });

  test('a late sender catches up instead of losing rate', () => {
    // 250 ms late with only 10 sent: everything up to now is due at once.
    expect(dueCount(1000, START, START + 260, 10, 100_000)).toBe(250);
  });

  test('never more than the total, never negative', () => {
    expect(dueCount(1000, START, START + 60_000, 0, 500)).toBe(500);
    expect(dueCount(1000, START, START + 60_000, 500, 500)).toBe(0);
    expect(dueCount(10, START, START + 100, 5, 100)).toBe(0);
    expect(dueCount(10, START, START - 5_000, 0, 100)).toBe(0);
  });

  test('rate 0: everything not yet sent is due immediately', () => {
    expect(dueCount(0, START, START, 0, 2000)).toBe(2000);
    expect(dueCount(0, START, START, 1500, 2000)).toBe(500);
  });

  test('fractional rates', () => {
    expect(dueCount(0.5, START, START + 1999, 0, 10)).toBe(0);
    expect(dueCount(0.5, START, START + 2000, 0, 10)).toBe(1);
  });

  test('total / rate seconds for the whole run', () => {
    const pacing = ratePacing(250, 1000);
    expect(pacing.dueAtMs(999)).toBe(4000);
    expect(pacing.due(3999, 0)).toBe(999);
    expect(pacing.due(4000, 0)).toBe(1000);
    expect(ratePacing(0, 10).dueAtMs(5)).toBe(0);
  });

  test('refuses negative or non-finite rates', () => {
    expect(() => ratePacing(-1, 10)).toThrow(RangeError);
    expect(() => ratePacing(Number.NaN, 10)).toThrow(RangeError);
    expect(() => ratePacing(Infinity, 10)).toThrow(RangeError);
  });
});

describe('schedulePacing', () => {
  const pacing = schedulePacing([0, 0, 5, 10, 10, 10, 30]);

  test('counts offsets up to the elapsed time, from what was sent', () => {
    expect(pacing.due(0, 0)).toBe(2);
    expect(pacing.due(4.9, 2)).toBe(0);
    expect(pacing.due(5, 2)).toBe(1);
    expect(pacing.due(10, 2)).toBe(4);
    expect(pacing.due(29, 6)).toBe(0);
    expect(pacing.due(1000, 0)).toBe(7);
    expect(pacing.due(1000, 7)).toBe(0);
  });

  test('tells when the next one is due, and Infinity past the end', () => {
    expect(pacing.dueAtMs(2)).toBe(5);
    expect(pacing.dueAtMs(6)).toBe(30);
    expect(pacing.dueAtMs(7)).toBe(Infinity);
  });

  test('an empty schedule has nothing due', () => {
    expect(schedulePacing([]).due(1e9, 0)).toBe(0);
  });
});
