/**
 * What a rule file may say: the facts conditions can ask about (with their params and the type
 * of value they resolve to), the operators, and the keys of each mapping. The validator, the
 * template checker and the did-you-mean suggestions are all derived from these lists, so adding
 * a fact here is the one change that makes it usable everywhere.
 */
import { RULE_EVENT_KINDS, WEEKDAYS } from '../types.js';

/** Keys of a rule file's top-level mapping. */
export const TOP_LEVEL_KEYS = ['lists', 'schedules', 'rules', 'timezone', 'scope'] as const;

/**
 * Who loads a rule file: the sidecar (per node, on events) or the aggregator (cluster rules, on
 * the cluster view). A file says `scope: cluster` to be a cluster rule file; without it, it is a
 * sidecar rule file. Each loader refuses the other's files, so a file in the wrong place fails
 * loudly instead of loading rules whose facts never resolve.
 */
export const RULE_SCOPES = ['sidecar', 'cluster'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];

/** Keys of one rule. */
export const RULE_FIELDS = [
  'id',
  'description',
  'enabled',
  'action',
  'severity',
  'on',
  'when',
  'key',
  'throttle',
  'resolve',
  'message',
  'timezone',
] as const;

/** Keys of one schedule and of one of its windows. */
export const SCHEDULE_FIELDS = ['timezone', 'windows'] as const;
export const WINDOW_FIELDS = ['days', 'from', 'to'] as const;

/** `days:` shorthands, expanded by the loader (the RuleSet only holds mon..sun). */
export const DAY_SHORTHANDS: Readonly<Record<string, readonly (typeof WEEKDAYS)[number][]>> = {
  weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  weekend: ['sat', 'sun'],
  all: WEEKDAYS,
};

/**
 * Keys written by people who know other rule engines, or json-rules-engine's own rule format,
 * and what to write instead. Checked before the edit-distance suggestion because these are
 * never a typo distance away from the right key.
 */
export const RULE_FIELD_HINTS: Readonly<Record<string, string>> = {
  conditions: 'write the condition tree under "when:"',
  condition: 'write the condition tree under "when:"',
  if: 'write the condition tree under "when:"',
  name: 'a rule is named by "id:"; free text goes in "description:"',
  event: 'what happens is "action: alert" or "action: drop"; the alert text is "message:"',
  events: 'the event kinds a rule runs on are "on:"',
  kinds: 'the event kinds a rule runs on are "on:"',
  priority: 'rules run in file order (drop rules first); there is no priority',
  disabled: 'write "enabled: false"',
};

// --- Facts -----------------------------------------------------------------------------------

/** What a fact resolves to, which decides the operators and values it can be compared with. */
export type FactType = 'number' | 'text' | 'boolean';

export type ParamKind =
  | { readonly kind: 'choice'; readonly choices: readonly string[] }
  | { readonly kind: 'eventKind' }
  | { readonly kind: 'window' }
  | { readonly kind: 'schedule' };

export interface ParamSpec {
  readonly name: string;
  readonly required: boolean;
  readonly value: ParamKind;
}

export interface FactSpec {
  readonly name: string;
  readonly type: FactType;
  /** May resolve to null (no app, unknown browser): `equal: null` is then a meaningful test. */
  readonly nullable: boolean;
  /** For text facts with a closed set of values: values outside it can never match. */
  readonly values?: readonly string[];
  /** For numeric facts with a fixed range (hour). */
  readonly range?: { readonly min: number; readonly max: number };
  readonly params: readonly ParamSpec[];
  /**
   * The rule `key` the fact needs a value of (cluster facts about one user or one node); a rule
   * with another key asking for it is refused. Absent: the fact has a value for every rule.
   */
  readonly subject?: string;
}

/** Windows of counting facts are bucketed in live state, which keeps 24 hours at most. */
export const MAX_WINDOW_MS = 24 * 3_600_000;

const PER_USER_HOST = ['user', 'host'] as const;
const PER_USER_APP_HOST = ['user', 'app', 'host'] as const;
const PER_USER_HOST_APP = ['user', 'host', 'app'] as const;

function eventField(name: string, extra: Partial<FactSpec> = {}): FactSpec {
  return { name, type: 'text', nullable: false, params: [], ...extra };
}

export const FACTS: readonly FactSpec[] = [
  eventField('kind', { values: RULE_EVENT_KINDS }),
  eventField('host'),
  eventField('user'),
  eventField('userDirectory'),
  eventField('userId'),
  eventField('origin'),
  eventField('context'),
  eventField('appId', { nullable: true }),
  eventField('browser', { nullable: true }),
  eventField('os', { nullable: true }),
  {
    name: 'activeSessions',
    type: 'number',
    nullable: false,
    params: [{ name: 'per', required: true, value: { kind: 'choice', choices: PER_USER_HOST } }],
  },
  {
    name: 'activeConnections',
    type: 'number',
    nullable: false,
    params: [{ name: 'per', required: true, value: { kind: 'choice', choices: PER_USER_APP_HOST } }],
  },
  {
    name: 'eventCount',
    type: 'number',
    nullable: false,
    params: [
      { name: 'kind', required: false, value: { kind: 'eventKind' } },
      { name: 'per', required: false, value: { kind: 'choice', choices: PER_USER_HOST_APP } },
      { name: 'window', required: true, value: { kind: 'window' } },
    ],
  },
  {
    name: 'distinctUsers',
    type: 'number',
    nullable: false,
    params: [
      { name: 'window', required: true, value: { kind: 'window' } },
      { name: 'kind', required: false, value: { kind: 'eventKind' } },
    ],
  },
  {
    name: 'inSchedule',
    type: 'boolean',
    nullable: false,
    params: [{ name: 'name', required: true, value: { kind: 'schedule' } }],
  },
  { name: 'hour', type: 'number', nullable: false, range: { min: 0, max: 23 }, params: [] },
  { name: 'weekday', type: 'text', nullable: false, values: WEEKDAYS, params: [] },
];

export const FACT_NAMES: readonly string[] = FACTS.map((fact) => fact.name);

export function factSpec(name: string, facts: readonly FactSpec[] = FACTS): FactSpec | undefined {
  return facts.find((fact) => fact.name === name);
}

// --- Conditions ------------------------------------------------------------------------------

/** Keys of a leaf condition, of a fact reference used as a value, and the boolean nodes. */
export const LEAF_FIELDS = ['fact', 'operator', 'value', 'params', 'path'] as const;
export const FACT_REFERENCE_FIELDS = ['fact', 'params', 'path'] as const;
export const BOOLEAN_FIELDS = ['all', 'any', 'not'] as const;

/** json-rules-engine's operators, and ours (registered by the evaluator). */
export const COMPARISON_OPERATORS = [
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;
export const ENGINE_OPERATORS = [
  'equal',
  'notEqual',
  ...COMPARISON_OPERATORS,
  'in',
  'notIn',
  'contains',
  'doesNotContain',
] as const;
/** `inList`: value is a list name or an inline list of patterns; `matches`: one pattern. */
export const PATTERN_OPERATORS = ['inList', 'notInList', 'matches', 'notMatches'] as const;
export const OPERATORS: readonly string[] = [...ENGINE_OPERATORS, ...PATTERN_OPERATORS];

/** Operator names from other languages and libraries; no edit distance leads from `>=` to the right one. */
export const OPERATOR_ALIASES: Readonly<Record<string, string>> = {
  '=': 'equal',
  '==': 'equal',
  '===': 'equal',
  eq: 'equal',
  equals: 'equal',
  is: 'equal',
  '!=': 'notEqual',
  '!==': 'notEqual',
  '<>': 'notEqual',
  ne: 'notEqual',
  neq: 'notEqual',
  notEquals: 'notEqual',
  '<': 'lessThan',
  lt: 'lessThan',
  '<=': 'lessThanInclusive',
  lte: 'lessThanInclusive',
  le: 'lessThanInclusive',
  lessThanOrEqual: 'lessThanInclusive',
  lessThanOrEqualTo: 'lessThanInclusive',
  lessThanEqual: 'lessThanInclusive',
  atMost: 'lessThanInclusive',
  '>': 'greaterThan',
  gt: 'greaterThan',
  '>=': 'greaterThanInclusive',
  gte: 'greaterThanInclusive',
  ge: 'greaterThanInclusive',
  greaterThanOrEqual: 'greaterThanInclusive',
  greaterThanOrEqualTo: 'greaterThanInclusive',
  greaterThanEqual: 'greaterThanInclusive',
  atLeast: 'greaterThanInclusive',
  like: 'matches',
  glob: 'matches',
  match: 'matches',
  regex: 'matches',
  startsWith: 'matches',
  endsWith: 'matches',
  notLike: 'notMatches',
  isInList: 'inList',
  inGroup: 'inList',
  notInGroup: 'notInList',
};
