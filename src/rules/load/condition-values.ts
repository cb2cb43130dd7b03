/**
 * The `value:` of a condition, checked against the fact's type and the operator: numbers not in
 * quotes, text that YAML did not turn into a number, lists where an operator takes a list, named
 * lists and schedules that exist, patterns that compile, and `{fact: ...}` of the same type.
 */
import { COMPARISON_OPERATORS, FACT_REFERENCE_FIELDS, type FactSpec, PATTERN_OPERATORS } from './catalog.js';
import { closestEventKind, describeValue, suggestion } from './checks.js';
import { checkParams, checkPath, readFact } from './condition-facts.js';
import { type ConditionScope, type Path, errorAt, errorAtKey, typeName } from './condition-scope.js';
import { patternProblem, userPatternWarning } from './sections.js';
import { valueAt } from './source.js';

const COMPARISONS: readonly string[] = COMPARISON_OPERATORS;
/** The operators whose value is a pattern, a list of patterns or a named list. */
export const PATTERNS: readonly string[] = PATTERN_OPERATORS;

function isFactReference(value: unknown): value is Map<string, unknown> {
  return value instanceof Map && value.has('fact');
}

export function checkValue(
  scope: ConditionScope,
  path: Path,
  spec: FactSpec,
  operator: string,
  value: unknown,
): void {
  const valuePath = [...path, 'value'];
  const operatorPath = [...path, 'operator'];
  if (COMPARISONS.includes(operator) && spec.type !== 'number') {
    const instead = spec.type === 'boolean' ? 'equal with true or false' : 'equal, in or matches';
    errorAt(
      scope,
      operatorPath,
      `${operator} compares numbers, but ${spec.name} is ${typeName(spec)}; use ${instead}`,
    );
    return;
  }
  if (operator === 'contains' || operator === 'doesNotContain') {
    const instead =
      spec.type === 'text'
        ? `to find text inside ${spec.name} use ${operator === 'contains' ? 'matches' : 'notMatches'} with value '*text*'`
        : 'use equal or in';
    errorAt(
      scope,
      operatorPath,
      `${operator} looks for an item in a list, but ${spec.name} is a single value; ${instead}`,
    );
    return;
  }
  if (PATTERNS.includes(operator) && spec.type !== 'text') {
    const instead =
      spec.type === 'number' ? 'equal, in, lessThan or greaterThan' : 'equal with true or false';
    errorAt(
      scope,
      operatorPath,
      `${operator} matches text patterns, but ${spec.name} is ${typeName(spec)}; use ${instead}`,
    );
    return;
  }
  if (isFactReference(value)) {
    checkFactReference(scope, valuePath, { spec, operator }, value);
    return;
  }
  switch (operator) {
    case 'in':
    case 'notIn': {
      const single = operator === 'in' ? 'equal' : 'notEqual';
      if (!Array.isArray(value)) {
        errorAt(
          scope,
          valuePath,
          `${operator} needs a list of values, e.g. value: [a, b]; to compare with one value use ${single}`,
        );
        return;
      }
      checkItems(
        scope,
        valuePath,
        operator,
        value as unknown[],
        operator === 'notIn',
        'values',
        (path, item) => checkScalar(scope, path, spec, item),
      );
      return;
    }
    case 'inList':
    case 'notInList':
      checkListValue(scope, valuePath, { spec, operator }, value);
      return;
    case 'matches':
    case 'notMatches': {
      if (Array.isArray(value)) {
        const several = operator === 'matches' ? 'inList' : 'notInList';
        errorAt(
          scope,
          valuePath,
          `${operator} takes one pattern; for several write operator: ${several} with value: [...]`,
        );
        return;
      }
      checkPattern(scope, valuePath, spec, value);
      return;
    }
    default:
      checkScalar(scope, valuePath, spec, value);
  }
}

function checkPattern(scope: ConditionScope, path: Path, spec: FactSpec, value: unknown): void {
  const problem = patternProblem(value);
  if (problem !== null) {
    errorAt(scope, path, problem);
    return;
  }
  const warning = spec.name === 'user' ? userPatternWarning(value as string) : null;
  if (warning !== null) scope.log.warn(scope.file, valueAt(scope.file, path), warning);
}

/** The fact a value is compared with, and by which operator. */
interface Comparison {
  readonly spec: FactSpec;
  readonly operator: string;
}

function checkListValue(
  scope: ConditionScope,
  path: Path,
  { spec, operator }: Comparison,
  value: unknown,
): void {
  if (typeof value === 'string') {
    const list = scope.lists.get(value);
    if (list === undefined) {
      const looksLikePattern = /[\\*]/.test(value);
      const hint = looksLikePattern
        ? `; ${operator} takes a list name or a list of patterns: to match this pattern write value: ['${value}']`
        : suggestion(value, [...scope.lists.keys()], false) ||
          "; define it under lists: or write the patterns inline, e.g. value: ['ACME\\mallory']";
      errorAt(scope, path, `no list named ${describeValue(value)}${hint}`);
      return;
    }
    list.used = true;
    if (spec.name === 'user' && !list.checkedAsUsers) {
      list.checkedAsUsers = true;
      for (const [index, pattern] of list.patterns.entries()) {
        const warning = userPatternWarning(pattern);
        if (warning !== null) scope.log.warn(list.file, valueAt(list.file, [...list.path, index]), warning);
      }
    }
    return;
  }
  if (!Array.isArray(value)) {
    errorAt(
      scope,
      path,
      `${operator} takes a list name (e.g. leavers) or a list of patterns, got ${describeValue(value)}`,
    );
    return;
  }
  checkItems(
    scope,
    path,
    operator,
    value as unknown[],
    operator === 'notInList',
    'patterns',
    (itemPath, pattern) => checkPattern(scope, itemPath, spec, pattern),
  );
}

/**
 * The inline list of an `in`-like operator: each item checked at its own path. An empty list is
 * refused rather than read, because it decides the condition regardless of the event.
 */
function checkItems(
  scope: ConditionScope,
  path: Path,
  operator: string,
  items: readonly unknown[],
  negated: boolean,
  noun: 'values' | 'patterns',
  checkItem: (itemPath: Path, item: unknown) => void,
): void {
  if (items.length === 0) {
    errorAt(
      scope,
      path,
      `${operator} with an empty list ${negated ? 'always' : 'never'} matches; add ${noun}`,
    );
    return;
  }
  for (const [index, item] of items.entries()) checkItem([...path, index], item);
}

/** One value compared with a fact: the right type, and a possible value of the fact. */
function checkScalar(scope: ConditionScope, path: Path, spec: FactSpec, value: unknown): void {
  const problem = scalarProblem(spec, value);
  if (problem !== null) errorAt(scope, path, problem);
}

function scalarProblem(spec: FactSpec, value: unknown): string | null {
  switch (spec.type) {
    case 'number': {
      if (typeof value === 'number') {
        const { range } = spec;
        // `hour lessThan 24` is a sensible bound, so one past the range is allowed.
        if (range !== undefined && (value < range.min || value > range.max + 1)) {
          return `${spec.name} is ${range.min} to ${range.max} (in the rule's timezone), got ${value}`;
        }
        return null;
      }
      if (typeof value === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(value)) {
        return (
          `value must be a number, got ${describeValue(value)} (a string compares as text: "10" > "9" is false); ` +
          `write ${value.trim()} without quotes`
        );
      }
      return `value must be a number, got ${describeValue(value)}`;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return null;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
        const bare = value.trim().toLowerCase();
        return `value must be true or false without quotes, got ${describeValue(value)} (the text "${bare}" never equals ${bare})`;
      }
      return `value must be true or false, got ${describeValue(value)}`;
    }
    case 'text': {
      if (typeof value === 'string') {
        if (spec.values === undefined || spec.values.includes(value)) return null;
        const near = spec.name === 'kind' ? closestEventKind(value) : undefined;
        const hint = near === undefined ? suggestion(value, spec.values, false) : `; did you mean "${near}"?`;
        return `${spec.name} is one of ${spec.values.join(', ')}, got ${describeValue(value)}${hint}`;
      }
      if (value === null || value === undefined) {
        return spec.nullable
          ? null
          : `value is empty, but ${spec.name} always has a value; write the text to compare with`;
      }
      if (typeof value === 'number' || typeof value === 'boolean') {
        const kind = typeof value === 'number' ? 'a number' : 'true/false';
        return (
          `value must be text, got ${String(value)}: YAML reads it as ${kind}, and text never equals it; ` +
          `put it in quotes: '${String(value)}'`
        );
      }
      const several = Array.isArray(value) ? '; to compare with several values use in' : '';
      return `value must be text, got ${describeValue(value)}${several}`;
    }
  }
}

function checkFactReference(
  scope: ConditionScope,
  path: Path,
  { spec, operator }: Comparison,
  reference: Map<string, unknown>,
): void {
  if (operator !== 'equal' && operator !== 'notEqual' && !COMPARISONS.includes(operator)) {
    errorAt(
      scope,
      path,
      `a fact as value ({fact: ...}) only works with equal, notEqual, lessThan and greaterThan(Inclusive), not ${operator}`,
    );
    return;
  }
  for (const key of reference.keys()) {
    if ((FACT_REFERENCE_FIELDS as readonly string[]).includes(key)) continue;
    errorAtKey(
      scope,
      [...path, key],
      `unknown key "${key}" in a fact value${suggestion(key, FACT_REFERENCE_FIELDS)}`,
    );
  }
  const other = readFact(scope, [...path, 'fact'], reference.get('fact'));
  if (reference.has('path')) checkPath(scope, [...path, 'path'], reference.get('path'));
  if (other === undefined) return;
  checkParams(scope, path, other, reference);
  if (other.type !== spec.type) {
    errorAt(
      scope,
      [...path, 'fact'],
      `${spec.name} is ${typeName(spec)} but ${other.name} is ${typeName(other)}; they never compare equal`,
    );
  }
}
