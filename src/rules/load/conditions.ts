/**
 * `when:` — a json-rules-engine condition tree, checked so that json-rules-engine can never
 * refuse it at run time and so that the well-known ways of writing a condition that silently
 * never (or always) matches are errors with a position instead:
 * - a number written in quotes compared with a numeric fact (`'10' > '9'` is false as text);
 * - text written without quotes that YAML reads as a number (`userId: 12345` never equals '12345');
 * - `lessThan`/`contains` on facts they cannot apply to (json-rules-engine just answers false);
 * - `in` with a single value, `matches` with a list, lists and schedules that do not exist.
 * Facts are those of catalog.ts; the tree itself is returned unchanged by the loader.
 * This file walks the tree (all/any/not and the leaf's keys); the fact and its params are
 * checked in condition-facts.ts, the value in condition-values.ts.
 */
import { BOOLEAN_FIELDS, type FactSpec, LEAF_FIELDS, OPERATORS, OPERATOR_ALIASES } from './catalog.js';
import { closest } from '../../config/suggest.js';
import { describeValue, suggestion } from './checks.js';
import { checkParams, checkPath, readFact } from './condition-facts.js';
import { type ConditionScope, type Path, errorAt, errorAtKey } from './condition-scope.js';
import { PATTERNS, checkValue } from './condition-values.js';

export type { ConditionScope } from './condition-scope.js';

const LEAF_OR_BOOLEAN: readonly string[] = [...LEAF_FIELDS, ...BOOLEAN_FIELDS];

/** Checks the `when:` value of a rule at `path`. */
export function checkWhen(scope: ConditionScope, path: Path, value: unknown): void {
  checkNode(scope, path, value, 0);
}

function checkNode(scope: ConditionScope, path: Path, node: unknown, depth: number): void {
  if (!(node instanceof Map)) {
    errorAt(
      scope,
      path,
      'a condition must be a mapping: {all: [...]}, {any: [...]}, {not: {...}} or ' +
        `{fact: ..., operator: ..., value: ...}, got ${describeValue(node)}`,
    );
    return;
  }
  const map = node as Map<string, unknown>;
  if (map.has('condition')) {
    errorAtKey(
      scope,
      [...path, 'condition'],
      'shared conditions (condition:) are not supported; write the condition out here',
    );
    return;
  }
  const booleans = [...map.keys()].filter((key) => (BOOLEAN_FIELDS as readonly string[]).includes(key));
  const [first, second] = booleans;
  if (first !== undefined) {
    if (second !== undefined) {
      errorAtKey(
        scope,
        [...path, second],
        `a condition holds one of all, any or not, here both "${first}" and "${second}"; ` +
          `nest them, e.g. all: [{any: [...]}, {not: {...}}]`,
      );
    }
    for (const key of map.keys()) {
      if (booleans.includes(key)) continue;
      const message = (LEAF_FIELDS as readonly string[]).includes(key)
        ? `"${key}" cannot sit next to "${first}"; move the {fact, operator, value} condition into the ${first} list`
        : `unknown key "${key}" in a condition${suggestion(key, LEAF_OR_BOOLEAN)}`;
      errorAtKey(scope, [...path, key], message);
    }
    for (const key of booleans) checkBoolean(scope, [...path, key], key, map.get(key), depth);
    return;
  }
  if (depth === 0) {
    errorAt(
      scope,
      path,
      'when must start with all:, any: or not:; wrap the condition: when: {all: [{fact: ..., operator: ..., value: ...}]}',
    );
  }
  checkLeaf(scope, path, map);
}

function checkBoolean(scope: ConditionScope, path: Path, key: string, value: unknown, depth: number): void {
  if (key === 'not') {
    if (Array.isArray(value)) {
      errorAt(scope, path, 'not takes one condition, not a list; for several write not: {any: [...]}');
      return;
    }
    checkNode(scope, path, value, depth + 1);
    return;
  }
  if (!Array.isArray(value)) {
    errorAt(
      scope,
      path,
      `${key} must be a list of conditions, e.g. ${key}: [{fact: user, operator: inList, value: leavers}], ` +
        `got ${describeValue(value)}`,
    );
    return;
  }
  if (value.length === 0) {
    // json-rules-engine 7 answers true for an empty list under any as well as all.
    errorAt(
      scope,
      path,
      `${key}: [] has no conditions, and json-rules-engine matches every event with it; add at least one`,
    );
    return;
  }
  for (const [index, child] of (value as unknown[]).entries())
    checkNode(scope, [...path, index], child, depth + 1);
}

function checkLeaf(scope: ConditionScope, path: Path, node: Map<string, unknown>): void {
  /** Keys a misspelt key stands for: their "has no ..." issue would say the same thing again. */
  const misspelt = new Set<string>();
  for (const key of node.keys()) {
    if ((LEAF_FIELDS as readonly string[]).includes(key)) continue;
    const near = closest(key, LEAF_OR_BOOLEAN);
    if (near !== undefined) misspelt.add(near);
    errorAtKey(
      scope,
      [...path, key],
      `unknown key "${key}" in a condition${suggestion(key, LEAF_OR_BOOLEAN)}`,
    );
  }
  const missing = (key: string, message: string): void => {
    if (!misspelt.has(key)) errorAt(scope, path, message);
  };
  let spec: FactSpec | undefined;
  if (node.has('fact')) spec = readFact(scope, [...path, 'fact'], node.get('fact'));
  else missing('fact', 'the condition has no fact; add one, e.g. fact: user');
  if (spec !== undefined) checkParams(scope, path, spec, node);

  let operator: string | undefined;
  if (!node.has('operator')) {
    missing('operator', 'the condition has no operator; add one, e.g. operator: equal');
  } else {
    const written = node.get('operator');
    if (typeof written === 'string' && OPERATORS.includes(written)) {
      operator = written;
    } else {
      const alias = typeof written === 'string' ? OPERATOR_ALIASES[written] : undefined;
      const hint =
        alias !== undefined
          ? `; did you mean "${alias}"?`
          : typeof written === 'string'
            ? suggestion(written, OPERATORS, false) || `; use one of ${OPERATORS.join(', ')}`
            : `; use one of ${OPERATORS.join(', ')}`;
      errorAt(scope, [...path, 'operator'], `unknown operator ${describeValue(written)}${hint}`);
    }
  }

  if (node.has('path')) checkPath(scope, [...path, 'path'], node.get('path'));

  if (!node.has('value')) {
    missing('value', 'the condition has no value; add value: what the fact is compared with');
    return;
  }
  const value = node.get('value');
  // A list named by an inList condition counts as used even when the condition is wrong, so
  // the operator is not also told that the list is unused.
  const named =
    typeof value === 'string' && PATTERNS.includes(operator ?? '') ? scope.lists.get(value) : undefined;
  if (named !== undefined) named.used = true;
  if (spec !== undefined && operator !== undefined) checkValue(scope, path, spec, operator, value);
}
