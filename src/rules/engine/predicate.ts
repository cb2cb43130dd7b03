import type { ConditionTree } from '../types.js';
import type { FactParams, FactTable } from './bind-facts.js';
import type { OperatorFunction } from './operators.js';

/** Whether a rule's conditions hold for the evaluation the fact table currently reads. */
export type Predicate = () => boolean;

type Compare = (factValue: unknown, value: unknown) => boolean;

const isNumberLike = (value: unknown): boolean =>
  // json-rules-engine's numeric guard, kept exactly: parseFloat of anything, NaN refused.
  Number.parseFloat(value as string).toString() !== 'NaN';

const indexOf = (list: unknown, item: unknown): number =>
  (list as { indexOf(item: unknown): number }).indexOf(item);

/**
 * json-rules-engine's default operators, written out with the same guards (a comparison
 * refuses a fact that is not number-like, contains refuses a non-array) and the same
 * callbacks. The differential tests hold these equal to the engine's own.
 */
const ENGINE_DEFAULTS: ReadonlyMap<string, Compare> = new Map<string, Compare>([
  ['equal', (a, b) => a === b],
  ['notEqual', (a, b) => a !== b],
  ['in', (a, b) => indexOf(b, a) > -1],
  ['notIn', (a, b) => indexOf(b, a) === -1],
  ['contains', (a, b) => Array.isArray(a) && a.indexOf(b) > -1],
  ['doesNotContain', (a, b) => Array.isArray(a) && a.indexOf(b) === -1],
  ['lessThan', (a, b) => isNumberLike(a) && (a as number) < (b as number)],
  ['lessThanInclusive', (a, b) => isNumberLike(a) && (a as number) <= (b as number)],
  ['greaterThan', (a, b) => isNumberLike(a) && (a as number) > (b as number)],
  ['greaterThanInclusive', (a, b) => isNumberLike(a) && (a as number) >= (b as number)],
]);

/** The engine's defaults plus our operators (the same functions the engine is given). */
export function operatorTable(custom: ReadonlyMap<string, OperatorFunction>): ReadonlyMap<string, Compare> {
  return new Map([...ENGINE_DEFAULTS, ...custom]);
}

const NO_PARAMS: FactParams = Object.freeze({});

type Node = Readonly<Record<string, unknown>>;

/**
 * Compiles a rule's conditions into a synchronous function with json-rules-engine's meaning:
 * `all`/`any` over the children's results (an empty list holds, as in the engine), `not` of its
 * one child, a leaf as operator(fact(params), value) where value may itself be a fact reference,
 * and a fact the table lacks reads as undefined (the engine runs with allowUndefinedFacts).
 * Facts are pure reads, so evaluation order does not change the result.
 *
 * Returns null for what it does not compile, which the caller leaves to the engine: a `path`
 * (JSONPath) or a `priority` anywhere, a shared condition reference, an unknown operator, any
 * other shape.
 */
export function compilePredicate(
  tree: ConditionTree,
  facts: FactTable,
  operators: ReadonlyMap<string, Compare>,
): Predicate | null {
  const factReader = (name: unknown, params: unknown): (() => unknown) | null => {
    if (typeof name !== 'string') return null;
    if (params !== undefined && (params === null || typeof params !== 'object')) return null;
    const compute = facts.get(name);
    if (compute === undefined) return () => undefined;
    const given = (params ?? NO_PARAMS) as FactParams;
    return () => compute(given);
  };

  const compile = (node: unknown): Predicate | null => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return null;
    const record = node as Node;
    // Priorities split a group into sets the engine runs one after the other, stopping early.
    if ('condition' in record || 'path' in record || 'priority' in record) return null;
    if ('all' in record || 'any' in record) {
      const group = 'all' in record ? 'all' : 'any';
      const children = record[group];
      if (!Array.isArray(children)) return null;
      const compiled: Predicate[] = [];
      for (const child of children) {
        const predicate = compile(child);
        if (predicate === null) return null;
        compiled.push(predicate);
      }
      if (compiled.length === 0) return () => true;
      if (compiled.length === 1) return compiled[0] ?? null;
      // Every child is evaluated, as the engine does within one priority set (Promise.all):
      // a condition that throws then throws here too, whatever its siblings say.
      if (group === 'all')
        return () => {
          let holds = true;
          for (const p of compiled) if (!p()) holds = false;
          return holds;
        };
      return () => {
        let holds = false;
        for (const p of compiled) if (p()) holds = true;
        return holds;
      };
    }
    if ('not' in record) {
      const inner = compile(record['not']);
      return inner === null ? null : () => !inner();
    }
    const compare = typeof record['operator'] === 'string' ? operators.get(record['operator']) : undefined;
    if (compare === undefined) return null;
    const left = factReader(record['fact'], record['params']);
    if (left === null) return null;
    const value = record['value'];
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, 'fact')) {
      const reference = value as Node;
      if ('path' in reference) return null;
      const right = factReader(reference['fact'], reference['params']);
      if (right === null) return null;
      return () => compare(left(), right());
    }
    return () => compare(left(), value);
  };

  return compile(tree);
}
