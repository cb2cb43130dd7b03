/**
 * One entry of `rules:` → a `Rule`, or issues. Every key is checked even after the first
 * problem, so one run of `rules check` lists everything wrong with a rule.
 */
import type { PathSegment, Position } from '../../config/types.js';
import { compileTemplate } from '../template.js';
import { RULE_EVENT_KINDS, type Rule, type RuleEventKind, SEVERITIES } from '../types.js';
import { RULE_FIELDS, RULE_FIELD_HINTS } from './catalog.js';
import type { RuleCatalog } from './scopes.js';
import {
  type Checked,
  ID_PATTERN,
  boolean,
  describeValue,
  duration,
  eventKind,
  oneOf,
  quoteHint,
  slug,
  text,
} from './checks.js';
import { type ConditionScope, checkWhen } from './conditions.js';
import { readMapping } from './key-table.js';
import { type ListDefinition, type ScheduleDefinition, readTimezone } from './sections.js';
import { type IssueLog, type RuleFile, keyAt, placeText, positionInString, valueAt } from './source.js';

export interface RuleContext<K extends string> {
  readonly catalog: RuleCatalog<K>;
  readonly file: RuleFile;
  readonly log: IssueLog;
  readonly lists: ReadonlyMap<string, ListDefinition>;
  readonly schedules: ReadonlyMap<string, ScheduleDefinition>;
  /** The timezone of rules that set none: the set's, else the caller's default, else null. */
  readonly fallbackTimezone: string | null;
}

/** Keys that only shape a published alert; on a drop rule nothing is published. */
const ALERT_ONLY_FIELDS = ['severity', 'key', 'throttle', 'resolve', 'message'] as const;

/** json-rules-engine takes plain objects; the reader's Maps become objects with the same keys. */
export function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  // fromEntries defines own properties, so even a key named __proto__ stays a plain key.
  if (value instanceof Map)
    return Object.fromEntries([...(value as Map<string, unknown>)].map(([k, v]) => [k, toPlain(v)]));
  return value;
}

export interface ReadRule<K extends string> {
  readonly rule: Rule<K> | null;
  /** The id as written when it is valid text, for the uniqueness check (even if the rule is not). */
  readonly id: string | null;
}

export function readRule<K extends string>(
  context: RuleContext<K>,
  index: number,
  value: unknown,
): ReadRule<K> {
  const { file, log, catalog } = context;
  const path: PathSegment[] = ['rules', index];
  const at = (key: string): PathSegment[] => [...path, key];
  const entry = readMapping(file, log, path, value, {
    what: `a ${catalog.scope} rule`,
    example: '- id: leaver-login',
    mustBe: 'a rule must be a mapping starting with id:, e.g. - id: leaver-login',
    keyNoun: 'rule key',
    keys: RULE_FIELDS,
    hints: RULE_FIELD_HINTS,
    refused: catalog.refusedFields,
  });
  if (entry === null) return { rule: null, id: null };
  // The rule is built only when checking it added no error (warnings elsewhere do not count).
  const errorsBefore = log.errorCount;
  const fail = (position: Position, message: string): void => {
    log.error(file, position, message);
  };
  /** The checked value of an optional key, its default when absent, or the default plus an issue. */
  const optional = <T>(key: string, fallback: T, check: (written: unknown) => Checked<T>): T => {
    if (!entry.has(key)) return fallback;
    const checked = check(entry.get(key));
    if ('value' in checked) return checked.value;
    fail(valueAt(file, at(key)), checked.problem);
    return fallback;
  };

  let id: string | null = null;
  if (!entry.has('id')) {
    fail(valueAt(file, path), 'the rule has no id; add one, e.g. id: leaver-login');
  } else {
    const written = entry.get('id');
    if (typeof written === 'string' && ID_PATTERN.test(written)) {
      id = written;
    } else {
      const example = typeof written === 'string' && slug(written) !== '' ? `, e.g. ${slug(written)}` : '';
      fail(
        valueAt(file, at('id')),
        typeof written === 'string'
          ? `id ${describeValue(written)} must be lowercase letters, digits, '-', '_' and '.', ` +
              `starting with a letter or digit${example}`
          : `id must be text such as leaver-login, got ${describeValue(written)}${quoteHint(written)}`,
      );
    }
  }

  const description = optional('description', '', (written) => text(written, 'description'));
  const enabled = optional('enabled', true, (written) => boolean(written, 'enabled'));
  const action: 'alert' | 'drop' =
    catalog.refusedFields['action'] === undefined
      ? optional('action', 'alert' as const, (written) =>
          oneOf(written, ['alert', 'drop'] as const, 'action'),
        )
      : 'alert';
  const severity = optional('severity', 'warning' as const, (written) =>
    oneOf(written, SEVERITIES, 'severity'),
  );
  const key = optional('key', catalog.defaultKey, (written) => oneOf(written, catalog.keys, 'key'));
  const throttleMs = optional('throttle', 0, (written) =>
    duration(written, 'throttle', { example: '30m or 1h', zeroAllowed: true }),
  );
  const resolve = optional('resolve', false, (written) => boolean(written, 'resolve'));
  const on = catalog.refusedFields['on'] === undefined ? readOn(context, at('on'), entry) : [];

  let timezone = context.fallbackTimezone;
  if (entry.has('timezone')) {
    const own = readTimezone(file, at('timezone'), entry.get('timezone'), log);
    if (own !== null) timezone = own;
  }

  const factsUsed = new Set<string>();
  const subjectFacts = new Map<string, readonly PathSegment[]>();
  if (!entry.has('when')) {
    fail(
      valueAt(file, path),
      'the rule has no when; add the conditions, e.g. when: {all: [{fact: user, operator: inList, value: leavers}]}',
    );
  } else {
    const scope: ConditionScope = {
      file,
      log,
      lists: context.lists,
      schedules: context.schedules,
      facts: catalog.facts,
      factsUsed,
      subjectFacts,
    };
    checkWhen(scope, at('when'), entry.get('when'));
  }
  checkSubjectFacts(context, subjectFacts, key, entry.has('key'));

  const message = entry.has('message')
    ? readMessage(context, at('message'), entry.get('message'), factsUsed, key)
    : null;

  if (action === 'drop') {
    for (const field of ALERT_ONLY_FIELDS) {
      if (!entry.has(field)) continue;
      log.warn(
        file,
        keyAt(file, at(field)),
        `${field} has no effect on a drop rule (dropped events are neither published nor counted); remove it`,
      );
    }
  }
  if (!enabled && entry.has('enabled')) {
    log.warn(
      file,
      valueAt(file, at('enabled')),
      `rule "${id ?? '?'}" is disabled (enabled: false): it is checked but never runs`,
    );
  }

  if (log.errorCount > errorsBefore || id === null || message === undefined) return { rule: null, id };
  const rule: Rule<K> = {
    id,
    origin: placeText(file, valueAt(file, path)),
    action,
    severity,
    on,
    when: toPlain(entry.get('when')) as Rule['when'],
    key,
    throttleMs,
    resolve,
    message: message ?? catalog.defaultMessage(key),
    description,
    timezone,
    enabled,
  };
  return { rule, id };
}

/** `on:` — one kind or a list of kinds; absent means every kind. */
function readOn<K extends string>(
  context: RuleContext<K>,
  path: PathSegment[],
  entry: Map<string, unknown>,
): RuleEventKind[] {
  const { file, log } = context;
  const all = [...RULE_EVENT_KINDS];
  if (!entry.has('on')) return all;
  const written = entry.get('on');
  const items = typeof written === 'string' ? [written] : written;
  if (!Array.isArray(items) || items.length === 0) {
    const got = Array.isArray(items) ? 'an empty list' : describeValue(written);
    log.error(
      file,
      valueAt(file, path),
      `on must be a list of event kinds, e.g. on: [session.start], got ${got}; leave on out to run on every kind`,
    );
    return all;
  }
  const kinds: RuleEventKind[] = [];
  for (const [index, item] of (items as unknown[]).entries()) {
    const checked = eventKind(item, 'on');
    if ('problem' in checked) {
      log.error(file, valueAt(file, typeof written === 'string' ? path : [...path, index]), checked.problem);
    } else if (!kinds.includes(checked.value as RuleEventKind)) {
      kinds.push(checked.value as RuleEventKind);
    }
  }
  return kinds;
}

/**
 * The message template as written; undefined when it does not compile. A `facts.x` the
 * conditions never ask for renders empty: that is a warning, pointed at the name.
 */
function readMessage<K extends string>(
  context: RuleContext<K>,
  path: PathSegment[],
  written: unknown,
  factsUsed: ReadonlySet<string>,
  key: K,
): string | undefined {
  const { file, log } = context;
  if (typeof written !== 'string') {
    log.error(
      file,
      valueAt(file, path),
      `message must be text, got ${describeValue(written)}${quoteHint(written)}`,
    );
    return undefined;
  }
  const compiled = compileTemplate(written, context.catalog.template);
  if (!compiled.ok) {
    log.error(file, positionInString(file, path, compiled.offset), `message: ${compiled.message}`);
    return undefined;
  }
  const keyFields = context.catalog.keyFields?.[key];
  for (const name of compiled.template.names) {
    if (keyFields !== undefined && !name.startsWith('facts.') && !keyFields.includes(name)) {
      log.warn(
        file,
        positionInString(file, path, written.indexOf(name)),
        `message: {{${name}}} is always empty for a rule with key: ${key}; it has ${keyFields.map((f) => `{{${f}}}`).join(', ')}`,
      );
      continue;
    }
    if (!name.startsWith('facts.')) continue;
    const fact = name.slice('facts.'.length);
    if (factsUsed.has(fact)) continue;
    log.warn(
      file,
      positionInString(file, path, written.indexOf(name)),
      `message: {{${name}}} is always empty: the rule's conditions do not use the fact ${fact}`,
    );
  }
  return written;
}

/**
 * A fact about one user or one node (cluster rules) has a value only when the rule is evaluated
 * per that key; under another key it never resolves and the condition silently never holds.
 */
function checkSubjectFacts<K extends string>(
  context: RuleContext<K>,
  subjectFacts: ReadonlyMap<string, readonly PathSegment[]>,
  key: K,
  keyWritten: boolean,
): void {
  const { file, log, catalog } = context;
  for (const [name, path] of subjectFacts) {
    const subject = catalog.facts.find((fact) => fact.name === name)?.subject;
    if (subject === undefined || subject === key) continue;
    log.error(
      file,
      valueAt(file, path),
      `${name} is a fact about one ${subject}, but the rule is evaluated per ${key}` +
        `${keyWritten ? '' : ' (no key: given)'}; write key: ${subject}`,
    );
  }
}
