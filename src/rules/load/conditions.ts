/**
 * `when:` — a json-rules-engine condition tree, checked so that json-rules-engine can never
 * refuse it at run time and so that the well-known ways of writing a condition that silently
 * never (or always) matches are errors with a position instead:
 * - a number written in quotes compared with a numeric fact (`'10' > '9'` is false as text);
 * - text written without quotes that YAML reads as a number (`userId: 12345` never equals '12345');
 * - `lessThan`/`contains` on facts they cannot apply to (json-rules-engine just answers false);
 * - `in` with a single value, `matches` with a list, lists and schedules that do not exist.
 * Facts are those of catalog.ts; the tree itself is returned unchanged by the loader.
 */
import type { PathSegment } from '../../config/types.js';
import {
  BOOLEAN_FIELDS,
  COMPARISON_OPERATORS,
  FACTS,
  FACT_REFERENCE_FIELDS,
  type FactSpec,
  LEAF_FIELDS,
  MAX_WINDOW_MS,
  OPERATORS,
  OPERATOR_ALIASES,
  PATTERN_OPERATORS,
  type ParamSpec,
  factSpec,
} from './catalog.js';
import { closest } from '../../config/suggest.js';
import { CLUSTER_FACTS } from './cluster-catalog.js';
import { closestEventKind, describeValue, duration, eventKind, oneOf, suggestion } from './checks.js';
import {
  type ListDefinition,
  type ScheduleDefinition,
  patternProblem,
  userPatternWarning,
} from './sections.js';
import { type IssueLog, type RuleFile, keyAt, valueAt } from './source.js';

export interface ConditionScope {
  readonly file: RuleFile;
  readonly log: IssueLog;
  readonly lists: ReadonlyMap<string, ListDefinition>;
  readonly schedules: ReadonlyMap<string, ScheduleDefinition>;
  /** The facts conditions may ask for: the sidecar's FACTS, or the cluster's. */
  readonly facts: readonly FactSpec[];
  /** Filled with every fact the conditions ask for (the message's `facts.*` must be among them). */
  readonly factsUsed: Set<string>;
  /** Where each fact asked for that only exists for one rule key was first asked for. */
  readonly subjectFacts: Map<string, readonly PathSegment[]>;
}

type Path = readonly PathSegment[];

const COMPARISONS: readonly string[] = COMPARISON_OPERATORS;
const PATTERNS: readonly string[] = PATTERN_OPERATORS;
const LEAF_OR_BOOLEAN: readonly string[] = [...LEAF_FIELDS, ...BOOLEAN_FIELDS];

/**
 * The 2.6x is the figure the rule-format design gives for json-rules-engine 7.3 (a JSONPath query
 * per evaluation); a warning, not an error, because the result is still correct.
 */
const PATH_WARNING =
  'path runs a JSONPath query on every evaluation (about 2.6x the cost of the condition); ' +
  'the facts here are single values, so remove it unless you need it';

function typeName(spec: FactSpec): string {
  switch (spec.type) {
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'text':
      return 'text';
  }
}

function errorAt(scope: ConditionScope, path: Path, message: string): void {
  scope.log.error(scope.file, valueAt(scope.file, path), message);
}

function errorAtKey(scope: ConditionScope, path: Path, message: string): void {
  scope.log.error(scope.file, keyAt(scope.file, path), message);
}

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

/** The spec of a known fact named at `path`, or undefined (with an error). */
function readFact(scope: ConditionScope, path: Path, value: unknown): FactSpec | undefined {
  const spec = typeof value === 'string' ? factSpec(value, scope.facts) : undefined;
  if (spec !== undefined) {
    scope.factsUsed.add(spec.name);
    if (spec.subject !== undefined && !scope.subjectFacts.has(spec.name))
      scope.subjectFacts.set(spec.name, path);
    return spec;
  }
  const names = scope.facts.map((fact) => fact.name);
  const near = typeof value === 'string' ? suggestion(value, names, false) : '';
  const other = scope.facts === FACTS ? 'cluster' : 'sidecar';
  const elsewhere =
    typeof value === 'string' && factSpec(value, other === 'cluster' ? CLUSTER_FACTS : FACTS) !== undefined
      ? `; ${value} is a ${other} fact, and this is a ${other === 'cluster' ? 'sidecar' : 'cluster'} rule file` +
        (other === 'cluster'
          ? ' (a cluster rule file starts with scope: cluster)'
          : ' (a sidecar rule file has no scope: cluster)')
      : '';
  errorAt(
    scope,
    path,
    `unknown fact ${describeValue(value)}${elsewhere || near || `; known facts: ${names.join(', ')}`}`,
  );
  return undefined;
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

function checkPath(scope: ConditionScope, path: Path, value: unknown): void {
  if (typeof value !== 'string' || !value.startsWith('$')) {
    errorAt(scope, path, `path must be a JSONPath such as '$.name', got ${describeValue(value)}`);
    return;
  }
  scope.log.warn(scope.file, valueAt(scope.file, path), PATH_WARNING);
}

function paramExample(spec: FactSpec, scope: ConditionScope): string {
  const parts = spec.params
    .filter((param) => param.required)
    .map((param) => {
      switch (param.value.kind) {
        case 'choice':
          return `${param.name}: ${param.value.choices[0] ?? ''}`;
        case 'eventKind':
          return `${param.name}: session.start`;
        case 'window':
          return `${param.name}: 10m`;
        case 'schedule':
          return `${param.name}: ${[...scope.schedules.keys()][0] ?? 'peak-hours'}`;
      }
    });
  return `{${parts.join(', ')}}`;
}

function checkParams(scope: ConditionScope, path: Path, spec: FactSpec, node: Map<string, unknown>): void {
  const paramsPath = [...path, 'params'];
  const written = node.get('params');
  const present = written !== undefined && written !== null;
  if (spec.params.length === 0) {
    if (present && !(written instanceof Map && written.size === 0)) {
      errorAtKey(scope, paramsPath, `${spec.name} takes no params; remove params`);
    }
    return;
  }
  if (present && !(written instanceof Map)) {
    errorAt(
      scope,
      paramsPath,
      `params must be a mapping, e.g. params: ${paramExample(spec, scope)}, got ${describeValue(written)}`,
    );
    return;
  }
  const params = present ? (written as Map<string, unknown>) : new Map<string, unknown>();
  const names = spec.params.map((param) => param.name);
  for (const key of params.keys()) {
    if (names.includes(key)) continue;
    const near = suggestion(key, names, false) || `; ${spec.name} takes ${names.join(', ')}`;
    errorAtKey(scope, [...paramsPath, key], `unknown param "${key}" for ${spec.name}${near}`);
  }
  for (const param of spec.params) {
    const value = params.get(param.name);
    if (value === undefined) {
      if (param.required) {
        errorAt(
          scope,
          present ? paramsPath : [...path, 'fact'],
          `${spec.name} needs params.${param.name}, e.g. params: ${paramExample(spec, scope)}`,
        );
      }
      continue;
    }
    const problem = checkParam(scope, spec, param, value);
    if (problem !== null) errorAt(scope, [...paramsPath, param.name], problem);
  }
}

/** Why `value` is not right for `param`, or null. */
function checkParam(scope: ConditionScope, spec: FactSpec, param: ParamSpec, value: unknown): string | null {
  const what = `params.${param.name}`;
  switch (param.value.kind) {
    case 'choice': {
      const checked = oneOf(value, param.value.choices, what);
      return 'problem' in checked ? checked.problem : null;
    }
    case 'eventKind': {
      const checked = eventKind(value, what);
      return 'problem' in checked ? checked.problem : null;
    }
    case 'window': {
      const checked = duration(value, what, {
        example: '10m or 1h',
        zeroAllowed: false,
        maxMs: MAX_WINDOW_MS,
      });
      return 'problem' in checked ? checked.problem : null;
    }
    case 'schedule': {
      const schedule = typeof value === 'string' ? scope.schedules.get(value) : undefined;
      if (schedule !== undefined) {
        schedule.used = true;
        return null;
      }
      const names = [...scope.schedules.keys()];
      const hint = typeof value === 'string' ? suggestion(value, names, false) : '';
      return `no schedule named ${describeValue(value)}${hint}; define it under schedules:`;
    }
  }
}

// --- Values ----------------------------------------------------------------------------------

function isFactReference(value: unknown): value is Map<string, unknown> {
  return value instanceof Map && value.has('fact');
}

function checkValue(
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
    checkFactReference(scope, valuePath, spec, operator, value);
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
      checkListValue(scope, valuePath, spec, operator, value);
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

function checkListValue(
  scope: ConditionScope,
  path: Path,
  spec: FactSpec,
  operator: string,
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
  spec: FactSpec,
  operator: string,
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
