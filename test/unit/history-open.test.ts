import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHistory } from '../../src/aggregate/history-open.js';

const STREAMS = ['SENSE_EVENTS', 'SENSE_ALERTS'];
let dir = '';
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('openHistory', () => {
  it('opens a new or sound file as it is, with nothing to read again', () => {
    dir = mkdtempSync(join(tmpdir(), 'sense-history-open-'));
    const path = join(dir, 'history.sqlite');
    const first = openHistory(path, 1, STREAMS);
    expect(first.setAside).toBeNull();
    first.history.close();
    const again = openHistory(path, 2, STREAMS);
    expect(again.setAside).toBeNull();
    expect(again.history.replayPending('SENSE_EVENTS')).toBe(false);
    again.history.close();
    expect(readdirSync(dir).filter((f) => f.includes('.bad-'))).toEqual([]);
  });

  it('sets a file that is not a database aside, starts a new one and marks every stream to read again', () => {
    dir = mkdtempSync(join(tmpdir(), 'sense-history-open-'));
    const path = join(dir, 'history.sqlite');
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    const { history, setAside } = openHistory(path, 1234, STREAMS);
    expect(setAside?.problem).toContain('not a database');
    expect(setAside?.movedTo).toEqual([`${path}.bad-1234`]);
    expect(existsSync(`${path}.bad-1234`)).toBe(true);
    expect(history.replayPending('SENSE_EVENTS')).toBe(true);
    expect(history.replayPending('SENSE_ALERTS')).toBe(true);
    history.replayDone('SENSE_EVENTS');
    expect(history.replayPending('SENSE_EVENTS')).toBe(false);
    expect(history.replayPending('SENSE_ALERTS')).toBe(true);
    history.close();
  });

  it('throws what is not the file’s fault (a folder in its place) instead of setting anything aside', () => {
    dir = mkdtempSync(join(tmpdir(), 'sense-history-open-'));
    const path = join(dir, 'history.sqlite');
    mkdirSync(path);
    expect(() => openHistory(path, 1, STREAMS)).toThrow();
    expect(readdirSync(dir)).toEqual(['history.sqlite']);
  });
});
