import { describe, expect, test } from 'vitest';
import { splitLines, unifiedDiff } from '../../src/appender/line-diff.js';

const labels = { a: 'old', b: 'new' };
const numbered = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');

/** Applies a unified diff to `before` by its hunk headers: a check independent of how it was made. */
function patch(before: string, diff: string): string {
  const a = splitLines(before);
  const out: string[] = [];
  let next = 0;
  const lines = diff.split('\n').slice(2, -1);
  for (let k = 0; k < lines.length; k++) {
    const header = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(lines[k] ?? '');
    if (header === null) throw new Error(`expected a hunk header, got ${lines[k]}`);
    const start = Number(header[2]) === 0 ? Number(header[1]) : Number(header[1]) - 1;
    out.push(...a.slice(next, start));
    next = start;
    while (k + 1 < lines.length && !(lines[k + 1] ?? '').startsWith('@@')) {
      const line = lines[++k] ?? '';
      if (line.startsWith(' ') || line.startsWith('-')) {
        expect(a[next]).toBe(line.slice(1));
        next++;
      }
      if (line.startsWith(' ') || line.startsWith('+')) out.push(line.slice(1));
    }
  }
  out.push(...a.slice(next));
  return out.map((l) => `${l}\n`).join('');
}

describe('unifiedDiff', () => {
  test('equal texts give no diff', () => {
    expect(unifiedDiff('a\nb\n', 'a\r\nb\r\n', labels)).toBe('');
  });

  test('an insertion in the middle, with three lines of context', () => {
    const before = numbered(10);
    const after = before.replace('line 5\n', 'line 5\nnew A\nnew B\n');
    expect(unifiedDiff(before, after, labels)).toBe(
      '--- old\n+++ new\n@@ -3,6 +3,8 @@\n line 3\n line 4\n line 5\n+new A\n+new B\n line 6\n line 7\n line 8\n',
    );
  });

  test('far-apart changes make separate hunks; near ones share one', () => {
    const before = numbered(30);
    const far = before.replace('line 3\n', 'line 3 changed\n').replace('line 25\n', '');
    const diff = unifiedDiff(before, far, labels);
    expect(diff.match(/^@@/gm)).toHaveLength(2);
    expect(diff).toContain('@@ -22,7 +22,6 @@');
    expect(patch(before, diff)).toBe(far);
    const near = before.replace('line 3\n', 'x\n').replace('line 8\n', 'y\n');
    expect(unifiedDiff(before, near, labels).match(/^@@/gm)).toHaveLength(1);
    expect(patch(before, unifiedDiff(before, near, labels))).toBe(near);
  });

  test('hunks join when at most twice the context lies between changes, as GNU diff does', () => {
    const before = numbered(20);
    const gap6 = before.replace('line 3\n', 'x\n').replace('line 10\n', 'y\n');
    const gap7 = before.replace('line 3\n', 'x\n').replace('line 11\n', 'y\n');
    expect(unifiedDiff(before, gap6, labels).match(/^@@/gm)).toHaveLength(1);
    expect(unifiedDiff(before, gap7, labels).match(/^@@/gm)).toHaveLength(2);
  });

  test('insertion into an empty file and removal of everything', () => {
    expect(unifiedDiff('', 'a\nb\n', labels)).toBe('--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n');
    expect(unifiedDiff('a\n', '', labels)).toBe('--- old\n+++ new\n@@ -1,1 +0,0 @@\n-a\n');
  });

  test('a replacement shows the removed line before the added one', () => {
    expect(unifiedDiff('a\nb\nc\n', 'a\nB\nc\n', labels)).toBe(
      '--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n',
    );
  });
});
