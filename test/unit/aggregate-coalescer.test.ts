import { describe, expect, it } from 'vitest';
import { UpdateCoalescer } from '../../src/aggregate/http/update-coalescer.js';

/** Drives the coalescer like SseHub does: schedule on change, send when the timer fires. */
function simulate(changesAt: readonly number[], minIntervalMs: number, until: number): number[] {
  const c = new UpdateCoalescer(minIntervalMs);
  const timers: number[] = [];
  const sent: number[] = [];
  const changes = [...changesAt];
  for (let now = 0; now <= until; now++) {
    while (changes[0] === now) {
      changes.shift();
      const delay = c.changed(now);
      if (delay !== null) timers.push(now + delay);
    }
    while (timers.includes(now)) {
      timers.splice(timers.indexOf(now), 1);
      if (c.take(now)) sent.push(now);
    }
  }
  return sent;
}

describe('live update coalescing', () => {
  it('sends the first change at once', () => {
    expect(simulate([10], 250, 1000)).toEqual([10]);
  });

  it('folds a burst into at most one update per interval and never leaves the last change unsent', () => {
    const burst = Array.from({ length: 100 }, (_, i) => 10 + i * 7); // every 7 ms for 700 ms
    const sent = simulate(burst, 250, 2000);
    expect(sent).toEqual([10, 260, 510, 760]);
    for (let i = 1; i < sent.length; i++)
      expect((sent[i] ?? 0) - (sent[i - 1] ?? 0)).toBeGreaterThanOrEqual(250);
    expect(sent.at(-1)).toBeGreaterThanOrEqual(burst.at(-1) ?? 0);
  });

  it('after a quiet spell sends at once again', () => {
    expect(simulate([0, 100, 1000], 250, 2000)).toEqual([0, 250, 1000]);
  });

  it('reports whether a change waits', () => {
    const c = new UpdateCoalescer(250);
    expect(c.pending).toBe(false);
    expect(c.changed(0)).toBe(0);
    expect(c.changed(1)).toBeNull();
    expect(c.pending).toBe(true);
    expect(c.take(1)).toBe(true);
    expect(c.take(2)).toBe(false);
    expect(c.changed(100)).toBe(151);
  });
});
