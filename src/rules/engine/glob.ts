/**
 * Case-insensitive wildcard match where `*` stands for any run of characters (also none).
 * Greedy with one backtrack point (the last `*`), so the cost is O(text × pattern) at worst and
 * never exponential, whatever a rule author or a sender writes.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let starAt = -1;
  let matchedUpTo = 0;
  while (ti < t.length) {
    if (pi < p.length && p.charCodeAt(pi) !== 42 /* * */ && p[pi] === t[ti]) {
      pi++;
      ti++;
    } else if (pi < p.length && p.charCodeAt(pi) === 42) {
      starAt = pi++;
      matchedUpTo = ti;
    } else if (starAt !== -1) {
      pi = starAt + 1;
      ti = ++matchedUpTo;
    } else {
      return false;
    }
  }
  while (pi < p.length && p.charCodeAt(pi) === 42) pi++;
  return pi === p.length;
}

/** A list of patterns compiled for repeated matching: exact names go through a Set. */
export interface PatternList {
  matches(text: string): boolean;
}

export function compilePatternList(patterns: readonly string[]): PatternList {
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const pattern of patterns) {
    if (pattern.includes('*')) globs.push(pattern);
    else exact.add(pattern.toLowerCase());
  }
  return {
    matches(text) {
      if (exact.has(text.toLowerCase())) return true;
      for (const glob of globs) if (globMatch(glob, text)) return true;
      return false;
    },
  };
}
