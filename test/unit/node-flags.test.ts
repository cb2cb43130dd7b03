import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS, runtimeNote } from '../../src/core/node-flags.js';

describe('Node.js flags', () => {
  it("the npm bin's shebang passes exactly NODE_FLAGS (it cannot import them)", () => {
    const shebang = readFileSync(new URL('../../src/cli/main.ts', import.meta.url), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it('the start-up note names the flags a process runs without, and what to do', () => {
    const bare = runtimeNote('v26.10.0', []);
    expect(bare.fields).toEqual({
      node: 'v26.10.0',
      execArgv: [],
      missingFlags: ['--no-memory-reducer', '--expose-gc'],
    });
    expect(bare.msg).toMatch(
      /runs without --no-memory-reducer --expose-gc \(--no-memory-reducer: an idle process wakes .*; --expose-gc: a quiet node keeps the heap a load grew\).*node --no-memory-reducer --expose-gc dist\/cli\/main.js/,
    );
    const half = runtimeNote('v26.10.0', ['--no-memory-reducer']);
    expect(half.fields['missingFlags']).toEqual(['--expose-gc']);
    expect(half.msg).not.toMatch(/wakes more often/);
    const flagged = runtimeNote('v26.10.0', ['--no-memory-reducer', '--expose-gc', '--inspect']);
    expect(flagged.fields['missingFlags']).toEqual([]);
    expect(flagged.msg).toBe('Node.js v26.10.0 with --no-memory-reducer --expose-gc');
  });
});
