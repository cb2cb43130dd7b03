/**
 * A unified diff of two texts by lines, for `appender install --dry-run`. Lines are compared
 * without their line endings (a CRLF file shows like an LF one). The common head and tail are cut
 * first, so the quadratic longest-common-subsequence table covers only the changed middle; our
 * edits are a few dozen lines, and a middle beyond MAX_CELLS falls back to "all removed, all added"
 * rather than using unbounded memory.
 */

const MAX_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function middleOps(a: string[], b: string[], aFrom: number, bFrom: number): Op[] {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_CELLS) {
    return [
      ...a.map((line, i) => ({ kind: '-' as const, line, a: aFrom + i, b: bFrom })),
      ...b.map((line, j) => ({ kind: '+' as const, line, a: aFrom + n, b: bFrom + j })),
    ];
  }
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const row = lcs[i] as Uint32Array;
      const below = lcs[i + 1] as Uint32Array;
      row[j] = a[i] === b[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i] ?? '', a: aFrom + i, b: bFrom + j });
      i++;
      j++;
    } else if (i < n && (j === m || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      ops.push({ kind: '-', line: a[i] ?? '', a: aFrom + i, b: bFrom + j });
      i++;
    } else {
      ops.push({ kind: '+', line: b[j] ?? '', a: aFrom + i, b: bFrom + j });
      j++;
    }
  }
  return ops;
}

/** `--- a` / `+++ b` and `@@` hunks with `context` lines around each change; '' when equal. */
export function unifiedDiff(
  before: string,
  after: string,
  labels: { a: string; b: string },
  context = 3,
): string {
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  if (head === a.length && head === b.length) return '';
  const ops: Op[] = [
    ...a.slice(0, head).map((line, i) => ({ kind: ' ' as const, line, a: i, b: i })),
    ...middleOps(a.slice(head, a.length - tail), b.slice(head, b.length - tail), head, head),
    ...a.slice(a.length - tail).map((line, k) => ({
      kind: ' ' as const,
      line,
      a: a.length - tail + k,
      b: b.length - tail + k,
    })),
  ];
  const changed = ops.flatMap((op, k) => (op.kind === ' ' ? [] : [k]));
  const out = [`--- ${labels.a}`, `+++ ${labels.b}`];
  let k = 0;
  while (k < changed.length) {
    const first = changed[k] ?? 0;
    let last = first;
    while (k + 1 < changed.length && (changed[k + 1] ?? 0) - last <= 2 * context + 1)
      last = changed[++k] ?? last;
    k++;
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length, last + context + 1);
    const hunk = ops.slice(from, to);
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    const start = hunk[0] as Op;
    // Unified diff numbers lines from 1, and names the line before an empty range.
    const aStart = aCount === 0 ? start.a : start.a + 1;
    const bStart = bCount === 0 ? start.b : start.b + 1;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.line}`);
  }
  return `${out.join('\n')}\n`;
}
