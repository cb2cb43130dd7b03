/**
 * The fact a condition (or a `{fact: ...}` value) asks for: a known name of this file's scope,
 * the params that fact takes, and the rarely wanted `path:`.
 */
import { FACTS, MAX_WINDOW_MS, type FactSpec, type ParamSpec, factSpec } from './catalog.js';
import { CLUSTER_FACTS } from './cluster-catalog.js';
import { describeValue, duration, eventKind, oneOf, suggestion } from './checks.js';
import { type ConditionScope, type Path, errorAt, errorAtKey } from './condition-scope.js';
import { valueAt } from './source.js';

/**
 * The 2.6x is the figure the rule-format design gives for json-rules-engine 7.3 (a JSONPath query
 * per evaluation); a warning, not an error, because the result is still correct.
 */
const PATH_WARNING =
  'path runs a JSONPath query on every evaluation (about 2.6x the cost of the condition); ' +
  'the facts here are single values, so remove it unless you need it';

/** The spec of a known fact named at `path`, or undefined (with an error). */
export function readFact(scope: ConditionScope, path: Path, value: unknown): FactSpec | undefined {
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

export function checkPath(scope: ConditionScope, path: Path, value: unknown): void {
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

export function checkParams(
  scope: ConditionScope,
  path: Path,
  spec: FactSpec,
  node: Map<string, unknown>,
): void {
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
