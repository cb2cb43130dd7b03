import { describe, expect, it } from 'vitest';
import { compilePatternList, globMatch } from '../../src/rules/engine/glob.js';

describe('globMatch', () => {
  it.each([
    ['INTERNAL\\sa_*', 'internal\\SA_scheduler', true],
    ['INTERNAL\\sa_*', 'INTERNAL\\sa_', true],
    ['INTERNAL\\sa_*', 'CORP\\sa_x', false],
    ['*\\jdoe', 'CORP\\JDoe', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['ACME\\mallory', 'acme\\MALLORY', true],
  ])('%s ~ %s → %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it('stays linear-ish on a pathological pattern', () => {
    // Backtracking regexes take exponential time here; the matcher must answer at once.
    expect(globMatch('a*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
  });

  it('compiles a list with exact names and globs', () => {
    const list = compilePatternList(['CORP\\Jdoe', 'INTERNAL\\sa_*']);
    expect([
      list.matches('corp\\jdoe'),
      list.matches('INTERNAL\\sa_repository'),
      list.matches('CORP\\x'),
    ]).toEqual([true, true, false]);
  });
});
