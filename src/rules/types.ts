import type { EventKind } from '../core/events.js';

/**
 * The validated, position-free form of the rule files (`lists`, `schedules`, `rules`), merged
 * across every file under `rules.paths`. Produced by the loader (read → validate), consumed by
 * compile/evaluate. Positions live only in the loader's issues.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Event kinds rules can be `on`: the four from the wire plus the sidecar's own expiry. */
export const RULE_EVENT_KINDS = [
  'session.start',
  'session.stop',
  'connection.open',
  'connection.close',
  'session.expired',
] as const;
export type RuleEventKind = EventKind | 'session.expired';

export interface ScheduleWindow {
  readonly days: readonly Weekday[];
  /** Minutes after local midnight, 0..1440; `to` <= `from` means the window crosses midnight. */
  readonly fromMinute: number;
  readonly toMinute: number;
}

export interface Schedule {
  readonly name: string;
  /** IANA zone, e.g. Europe/Stockholm. */
  readonly timezone: string;
  readonly windows: readonly ScheduleWindow[];
}

/** A json-rules-engine condition tree, as written (all/any/not, fact/operator/value/params/path). */
export type ConditionTree = Readonly<Record<string, unknown>>;

export const RULE_KEYS = ['user', 'host', 'app', 'none'] as const;
export type RuleKey = (typeof RULE_KEYS)[number];

/**
 * `K` is the dialect's key: the sidecar's RuleKey, or the cluster's (load/cluster-catalog.ts).
 * Cluster rules have `on: []` and `action: 'alert'`.
 */
export interface Rule<K extends string = RuleKey> {
  readonly id: string;
  /** Where it was defined, for messages: `file:line:column`. */
  readonly origin: string;
  readonly action: 'alert' | 'drop';
  readonly severity: Severity;
  /** Kinds it runs on; all kinds when the file says nothing. */
  readonly on: readonly RuleEventKind[];
  readonly when: ConditionTree;
  readonly key: K;
  readonly throttleMs: number;
  readonly resolve: boolean;
  /** Template over event fields and `facts.*`; defaults to a sentence naming rule and key. */
  readonly message: string;
  readonly description: string;
  /** Timezone for `hour`/`weekday` facts in this rule; falls back to the rule set's default. */
  readonly timezone: string | null;
  readonly enabled: boolean;
}

export interface RuleSet<K extends string = RuleKey> {
  /** List name → patterns on `DIRECTORY\userId` (case-insensitive, `*` wildcard). */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly schedules: ReadonlyMap<string, Schedule>;
  /** In file name order, then file order; drop rules are run before alert rules regardless. */
  readonly rules: readonly Rule<K>[];
  /** Files the set was loaded from, for status and logs. */
  readonly files: readonly string[];
}

export interface RuleIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export type RuleLoadResult<K extends string = RuleKey> =
  | { readonly ok: true; readonly ruleSet: RuleSet<K>; readonly warnings: readonly RuleIssue[] }
  | { readonly ok: false; readonly issues: readonly RuleIssue[] };

export function formatRuleIssue(issue: RuleIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.severity === 'warning' ? `${where}: warning: ${issue.message}` : `${where}: ${issue.message}`;
}
