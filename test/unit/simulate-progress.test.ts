import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import {
  createProgressWriter,
  formatEta,
  groupDigits,
  renderProgressBar,
} from '../../src/simulate/progress.js';

const ERASE_TO_END = '\u001b[K';

function fakeStream(isTTY: boolean): Writable & { isTTY: boolean; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      writes.push(chunk.toString());
      callback();
    },
  });
  return Object.assign(stream, { isTTY, writes });
}

describe('renderProgressBar', () => {
  test('the documented example', () => {
    expect(renderProgressBar({ done: 4200, total: 10000, elapsedMs: 1196, width: 12 })).toBe(
      '[#####.......]  42% 4200/10000  3,512/s  ETA 2s',
    );
  });

  test('start: nothing to measure yet', () => {
    expect(renderProgressBar({ done: 0, total: 500, elapsedMs: 0, width: 10 })).toBe(
      '[..........]   0% 0/500  --/s  ETA --',
    );
  });

  test('done', () => {
    expect(renderProgressBar({ done: 500, total: 500, elapsedMs: 250, width: 10 })).toBe(
      '[##########] 100% 500/500  2,000/s  ETA 0s',
    );
  });

  test('an empty run counts as complete', () => {
    expect(renderProgressBar({ done: 0, total: 0, elapsedMs: 5, width: 4 })).toBe(
      '[####] 100% 0/0  --/s  ETA 0s',
    );
  });

  test('long ETAs', () => {
    expect(renderProgressBar({ done: 1, total: 1000, elapsedMs: 1000, width: 4 })).toMatch(/ETA 16m39s$/);
  });

  test('helpers', () => {
    expect(groupDigits(0)).toBe('0');
    expect(groupDigits(999)).toBe('999');
    expect(groupDigits(1234567.4)).toBe('1,234,567');
    expect(groupDigits(-1000)).toBe('-1,000');
    expect(formatEta(1)).toBe('1s');
    expect(formatEta(59_000)).toBe('59s');
    expect(formatEta(65_000)).toBe('1m05s');
    expect(formatEta(3_723_000)).toBe('1h02m');
  });
});

describe('createProgressWriter', () => {
  test('on a TTY: redraws in place at most every 100 ms, then ends the line', () => {
    const stream = fakeStream(true);
    const clock = new ManualClock(1000);
    const writer = createProgressWriter(stream, { clock, width: 4 });
    writer.update({ done: 1, total: 4, elapsedMs: 10 });
    clock.advance(50);
    writer.update({ done: 2, total: 4, elapsedMs: 60 });
    clock.advance(50);
    writer.update({ done: 3, total: 4, elapsedMs: 110 });
    writer.finish({ done: 4, total: 4, elapsedMs: 120 });
    writer.update({ done: 4, total: 4, elapsedMs: 130 });
    writer.finish({ done: 4, total: 4, elapsedMs: 130 });
    expect(stream.writes).toHaveLength(3);
    const [first = '', second = '', last = ''] = stream.writes;
    expect(first.startsWith('\r[#...]  25% 1/4 ')).toBe(true);
    expect(second.startsWith('\r[###.]  75% 3/4 ')).toBe(true);
    expect(last.startsWith('\r[####] 100% 4/4 ')).toBe(true);
    for (const write of [first, second]) expect(write.endsWith(ERASE_TO_END)).toBe(true);
    expect(last.endsWith(`${ERASE_TO_END}\n`)).toBe(true);
  });

  test('elsewhere: nothing but the final line', () => {
    const stream = fakeStream(false);
    const writer = createProgressWriter(stream, { clock: new ManualClock(), width: 4 });
    for (let i = 0; i < 100; i++) writer.update({ done: i, total: 100, elapsedMs: i * 1000 });
    writer.finish({ done: 100, total: 100, elapsedMs: 100_000 });
    expect(stream.writes).toEqual(['[####] 100% 100/100  1/s  ETA 0s\n']);
  });
});
