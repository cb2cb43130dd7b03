import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RulesSnapshot } from '../rules/engine/evaluator.js';
import type { LiveStateSnapshot } from '../state/snapshot.js';

/**
 * Live state and alert memory saved under dataDir, so a restart does not forget who is logged
 * in or re-send alerts it already sent. Written atomically (temp file, fsync, rename): a crash
 * leaves either the previous snapshot or the new one, never half of one.
 */
export interface SavedState {
  readonly version: 1;
  readonly node: string;
  readonly takenAt: number;
  readonly state: LiveStateSnapshot;
  readonly rules: RulesSnapshot;
}

export type DecodedState =
  { readonly ok: true; readonly saved: SavedState } | { readonly ok: false; readonly problem: string };

/** Shape check of the envelope; LiveState.restore validates the state part itself. */
export function decodeSavedState(text: string): DecodedState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (value === null || typeof value !== 'object') return { ok: false, problem: 'not an object' };
  const record = value as Record<string, unknown>;
  if (record['version'] !== 1)
    return { ok: false, problem: `unknown version ${JSON.stringify(record['version'])}` };
  if (typeof record['node'] !== 'string' || typeof record['takenAt'] !== 'number') {
    return { ok: false, problem: 'node or takenAt missing' };
  }
  const rules = record['rules'] as Record<string, unknown> | null | undefined;
  if (
    rules === null ||
    typeof rules !== 'object' ||
    rules['version'] !== 1 ||
    !Array.isArray(rules['episodes']) ||
    rules['fingerprints'] === null ||
    typeof rules['fingerprints'] !== 'object'
  ) {
    return { ok: false, problem: 'rules part missing or malformed' };
  }
  for (const episode of rules['episodes'] as unknown[]) {
    const e = episode as Record<string, unknown> | null;
    if (
      e === null ||
      typeof e !== 'object' ||
      typeof e['ruleId'] !== 'string' ||
      typeof e['key'] !== 'string'
    ) {
      return { ok: false, problem: 'an alert episode is malformed' };
    }
  }
  if (record['state'] === null || typeof record['state'] !== 'object')
    return { ok: false, problem: 'state part missing' };
  return { ok: true, saved: value as SavedState };
}

export class StateFile {
  private savedRevision: string | null = null;

  constructor(readonly path: string) {}

  /**
   * The saved state, null when there is none. A file that cannot be used is moved aside (and
   * the reason returned) so that the sidecar starts empty instead of failing on every start.
   */
  async load(
    now: number,
  ): Promise<{ saved: SavedState | null; problem: string | null; movedTo: string | null }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { saved: null, problem: null, movedTo: null };
      throw error;
    }
    const decoded = decodeSavedState(text);
    if (decoded.ok) return { saved: decoded.saved, problem: null, movedTo: null };
    const movedTo = `${this.path}.bad-${now}`;
    await rename(this.path, movedTo);
    return { saved: null, problem: decoded.problem, movedTo };
  }

  /**
   * Saves what `build` gives unless `revision` is the one of the last save from this process
   * (then the file already restores to the same state). Resolves to whether it wrote.
   */
  async saveIfChanged(revision: string, build: () => SavedState): Promise<boolean> {
    if (revision === this.savedRevision) return false;
    await this.save(build());
    this.savedRevision = revision;
    return true;
  }

  async save(saved: SavedState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      try {
        await handle.writeFile(JSON.stringify(saved));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      // A half-written temporary file would hold the room the outbox needs on a full disk.
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Moves the file aside after its content was refused by a later check (e.g. LiveState.restore). */
  async setAside(now: number): Promise<string> {
    const movedTo = `${this.path}.bad-${now}`;
    await rename(this.path, movedTo);
    return movedTo;
  }
}
