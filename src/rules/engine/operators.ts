import { Operator } from 'json-rules-engine';
import { compilePatternList, globMatch, type PatternList } from './glob.js';

/*
 * Our operators beside json-rules-engine's own: `inList`/`notInList` (value: a list name from
 * the rule files, or an inline array of patterns) and `matches`/`notMatches` (one pattern).
 * Patterns are on `DIRECTORY\userId` (or whatever fact is tested), case-insensitive, `*` wildcard.
 */

/** A custom operator's test: fact value against the condition's value. */
export type OperatorFunction = (fact: unknown, value: unknown) => boolean;

/** Our operators as json-rules-engine Operators (no fact guard: each function checks its input). */
export function createOperators(functions: ReadonlyMap<string, OperatorFunction>): Operator[] {
  return [...functions].map(([name, test]) => new Operator(name, test));
}

/** Name → test, for the engine (above) and the compiled predicates alike. */
export function customOperatorFunctions(
  lists: ReadonlyMap<string, readonly string[]>,
): ReadonlyMap<string, OperatorFunction> {
  const named = new Map<string, PatternList>();
  for (const [name, patterns] of lists) named.set(name, compilePatternList(patterns));
  // Inline arrays are compiled once per array object (the rule's own value, which lives as
  // long as the compiled rule set).
  const inline = new WeakMap<readonly unknown[], PatternList>();

  const listFor = (value: unknown): PatternList | undefined => {
    if (typeof value === 'string') return named.get(value);
    if (Array.isArray(value)) {
      let list = inline.get(value);
      if (list === undefined) {
        list = compilePatternList(value.filter((v): v is string => typeof v === 'string'));
        inline.set(value, list);
      }
      return list;
    }
    return undefined;
  };
  const inList = (fact: unknown, value: unknown): boolean =>
    typeof fact === 'string' && (listFor(value)?.matches(fact) ?? false);
  const matches = (fact: unknown, value: unknown): boolean =>
    typeof fact === 'string' && typeof value === 'string' && globMatch(value, fact);

  return new Map<string, OperatorFunction>([
    ['inList', inList],
    ['notInList', (fact, value) => !inList(fact, value)],
    ['matches', matches],
    ['notMatches', (fact, value) => !matches(fact, value)],
  ]);
}
