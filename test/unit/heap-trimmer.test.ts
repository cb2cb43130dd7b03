import { describe, expect, it } from 'vitest';
import { v8HeapTrimmer } from '../../src/observe/heap-trimmer.js';

describe('v8HeapTrimmer', () => {
  it('is null without an exposed gc: the heap is then never trimmed', () => {
    expect(v8HeapTrimmer(undefined)).toBeNull();
  });

  it("runs V8's memory-reducing collection and reports the heap around it", () => {
    const calls: unknown[] = [];
    const gc = ((options?: unknown) => {
      calls.push(options);
    }) as NodeJS.GCFunction;
    const trimmer = v8HeapTrimmer(gc);
    if (trimmer === null) throw new Error('a gc function was given');
    const trim = trimmer.trim();
    expect(calls).toEqual([{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
    expect(trim.beforeBytes).toBeGreaterThan(0);
    expect(trim.afterBytes).toBeGreaterThan(0);
    expect(trim.ms).toBeGreaterThanOrEqual(0);
    expect(trimmer.heapBytes()).toBeGreaterThan(0);
  });
});
