import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSavedState, type SavedState, StateFile } from '../../src/pipeline/state-file.js';
import { LiveState } from '../../src/state/live-state.js';

const OPTIONS = { inactivityTimeoutMs: 1_800_000, graceMs: 300_000 };

function saved(): SavedState {
  const state = new LiveState(OPTIONS);
  state.apply(
    {
      kind: 'session.start',
      host: 'H',
      user: { directory: 'CORP', id: 'a' },
      origin: '',
      context: '',
      appId: null,
      userAgent: null,
      message: '',
    },
    1000,
  );
  return {
    version: 1,
    node: 'n',
    takenAt: 2000,
    state: state.snapshot(),
    rules: { version: 1, fingerprints: {}, episodes: [] },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sense-state-'));
  dirs.push(dir);
  return dir;
}

describe('state snapshot file', () => {
  it('round-trips through save and load', async () => {
    const file = new StateFile(join(tempDir(), 'nested', 'state.json'));
    await file.save(saved());
    const { saved: loaded, problem } = await file.load(3000);
    expect(problem).toBeNull();
    expect(loaded).toEqual(JSON.parse(JSON.stringify(saved())));
    const restored = LiveState.restore(loaded?.state, OPTIONS, 3000);
    expect(restored.stats().sessions).toBe(1);
  });

  it('saveIfChanged writes only when the revision moved, and a failed save is tried again', async () => {
    const dir = tempDir();
    const file = new StateFile(join(dir, 'state.json'));
    let builds = 0;
    const build = (takenAt: number) => () => {
      builds++;
      return { ...saved(), takenAt };
    };
    expect(await file.saveIfChanged('1 r', build(2000))).toBe(true);
    expect(await file.saveIfChanged('1 r', build(3000))).toBe(false);
    expect(builds).toBe(1);
    expect((await file.load(4000)).saved?.takenAt).toBe(2000);
    expect(await file.saveIfChanged('2 r', build(5000))).toBe(true);
    expect((await file.load(6000)).saved?.takenAt).toBe(5000);

    const blocked = new StateFile(join(dir, 'state.json', 'cannot-be-under-a-file.json'));
    await expect(blocked.saveIfChanged('3 r', build(7000))).rejects.toThrow();
    await expect(blocked.saveIfChanged('3 r', build(7000))).rejects.toThrow();
  });

  it('has nothing to load when there is no file', async () => {
    expect(await new StateFile(join(tempDir(), 'state.json')).load(1)).toEqual({
      saved: null,
      problem: null,
      movedTo: null,
    });
  });

  it.each([
    ['{', 'not JSON'],
    ['[]', 'unknown version'],
    ['{"version":2}', 'unknown version 2'],
    ['{"version":1,"node":"n","takenAt":1,"state":{},"rules":null}', 'rules part missing or malformed'],
    [
      '{"version":1,"node":"n","takenAt":1,"state":{},"rules":{"version":1,"fingerprints":{},"episodes":[{}]}}',
      'an alert episode is malformed',
    ],
  ])('refuses %s', (text, problem) => {
    const decoded = decodeSavedState(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.problem).toContain(problem);
  });

  it('moves an unusable file aside instead of failing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'state.json'), 'garbage');
    const result = await new StateFile(join(dir, 'state.json')).load(42);
    expect(result.saved).toBeNull();
    expect(result.problem).toContain('not JSON');
    expect(readdirSync(dir)).toEqual(['state.json.bad-42']);
  });
});
