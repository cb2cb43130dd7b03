/**
 * One test file (text) → validated tests, or issues at file:line:column. Read with the rule
 * loader's YAML reader and issue log, so test files get the same syntax messages, guards and
 * did-you-mean as rule files. Every key is checked even after a first problem, so one run
 * lists everything wrong with a file.
 */
import type { PathSegment, Position } from '../../config/types.js';
import { EVENT_KINDS, type EventKind } from '../../core/events.js';
import { REJECT_REASONS, type RejectReason } from '../../core/reject.js';
import { closestEventKind, describeValue, duration, quoteHint, suggestion } from '../load/checks.js';
import { patternProblem, readTimezone, userPatternWarning } from '../load/sections.js';
import { type IssueLog, type RuleFile, keyAt, placeText, readRuleFile, valueAt } from '../load/source.js';
import type { Rule, RuleSet } from '../types.js';
import {
  type AlertExpectation,
  type AlertFilter,
  DEFAULT_HOST,
  DEFAULT_SESSIONS,
  type DropExpectation,
  type FieldsEvent,
  MAX_EVENTS_PER_TEST,
  MAX_OFFSET_MS,
  REPEAT_PLACEHOLDER,
  type RuleTest,
  type RuleTestFile,
  type SessionSettings,
  type TestEvent,
} from './spec.js';
import { formatOffset } from './text.js';

export const TEST_FILE_KEYS = ['tests', 'timezone', 'sessions', 'lists'] as const;
export const SESSIONS_KEYS = ['inactivityTimeout', 'expiryGrace'] as const;
export const TEST_KEYS = ['name', 'start', 'events', 'advanceTo', 'expect', 'forbid', 'dropped'] as const;
export const EVENT_KEYS = [
  'at',
  'kind',
  'user',
  'host',
  'app',
  'context',
  'origin',
  'userAgent',
  'message',
  'datagram',
  'rejected',
  'repeat',
  'every',
] as const;
export const EXPECT_KEYS = ['rule', 'key', 'status', 'host', 'at', 'message', 'count'] as const;
const FORBID_KEYS = EXPECT_KEYS.filter((key) => key !== 'count');
export const DROPPED_KEYS = ['rule', 'count'] as const;

/** Keys of the event form; none of them may sit next to `datagram:`. */
const FIELD_KEYS = ['kind', 'user', 'host', 'app', 'context', 'origin', 'userAgent', 'message'] as const;
/** Text fields where `{{n}}` is replaced by the repetition number. */
const TEMPLATED_KEYS = ['user', 'host', 'context', 'origin', 'userAgent', 'message', 'datagram'];
/** The decoder never produces `source-not-allowed` (the socket shell does). */
const DECODE_REASONS = REJECT_REASONS.filter((reason) => reason !== 'source-not-allowed');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const START_EXAMPLE = '2026-11-30T08:00:00+01:00';

const KEY_HINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  file: {
    test: 'the tests are a list under "tests:"',
    rules: 'the rules come from the rules paths; a test file holds tests:, timezone:, sessions: and lists:',
    list: 'write "lists:"',
    timeZone: 'write "timezone:"',
    tz: 'write "timezone:"',
  },
  test: {
    description: 'a test is described by its "name:"',
    id: 'a test is named by "name:"',
    startAt: 'write "start:"',
    startTime: 'write "start:"',
    time: 'the virtual clock starts at "start:"',
    until: 'let time run on with "advanceTo:" (an offset from start, e.g. advanceTo: 45m)',
    advance: 'write "advanceTo:" (an offset from start, e.g. advanceTo: 45m)',
    runUntil: 'write "advanceTo:" (an offset from start, e.g. advanceTo: 45m)',
    end: 'write "advanceTo:" (an offset from start, e.g. advanceTo: 45m)',
    alerts: 'alerts that must be published are listed under "expect:"',
    expected: 'write "expect:"',
    expectAlerts: 'write "expect:"',
    notExpect: 'alerts that must not be published are listed under "forbid:"',
    forbidden: 'write "forbid:"',
    absent: 'alerts that must not be published are listed under "forbid:"',
    drops: 'write "dropped:"',
    drop: 'write "dropped:"',
  },
  event: {
    time: 'the time of an event is "at:", an offset from start such as at: 1m30s',
    offset: 'the time of an event is "at:", an offset from start such as at: 1m30s',
    after: 'the time of an event is "at:", an offset from start such as at: 1m30s',
    type: 'the event kind is "kind:", e.g. kind: session.start',
    event: 'the event kind is "kind:", e.g. kind: session.start',
    command: 'the event kind is "kind:", e.g. kind: session.start',
    appId: 'the app is "app:", its id',
    directory: "write the user as one value: user: 'DIRECTORY\\userId'",
    userDirectory: "write the user as one value: user: 'DIRECTORY\\userId'",
    userId: "write the user as one value: user: 'DIRECTORY\\userId'",
    count: 'to send an event several times write repeat: N (and every: 10s)',
    times: 'to send an event several times write repeat: N (and every: 10s)',
    interval: 'the time between repeats is "every:"',
    raw: 'a raw datagram is "datagram:"',
    reject: 'write "rejected:" with the reason, e.g. rejected: unknown-command',
  },
  expect: {
    id: 'the rule is "rule:", its id',
    alert: 'the rule is "rule:", its id',
    name: 'the rule is "rule:", its id',
    severity: 'the severity follows from the rule; filter by "rule:"',
    time: 'the time of an alert is "at:", an offset from start',
    times: 'write "count:"',
    state: 'write "status:" (firing or resolved)',
  },
};

type Entry = Map<string, unknown>;

/** The checks of one test file, sharing its file, log and the rules under test. */
class FileReader {
  /** Rule id → rule; null when the rules did not load (ids are then not checked). */
  readonly rules: ReadonlyMap<string, Rule> | null;

  constructor(
    readonly file: RuleFile,
    readonly log: IssueLog,
    /** The rules under test; null when they did not load (names are then not checked). */
    readonly ruleSet: RuleSet | null,
  ) {
    this.rules = ruleSet === null ? null : new Map(ruleSet.rules.map((rule) => [rule.id, rule]));
  }

  error(at: Position, message: string): void {
    this.log.error(this.file, at, message);
  }

  errorAt(path: readonly PathSegment[], message: string): void {
    this.error(valueAt(this.file, path), message);
  }

  place(path: readonly PathSegment[]): string {
    return placeText(this.file, valueAt(this.file, path));
  }

  /** The mapping at `path` with its keys checked, or null (and an issue) when it is not one. */
  mapping(
    path: readonly PathSegment[],
    value: unknown,
    keys: readonly string[],
    what: string,
    example: string,
    hints: Readonly<Record<string, string>> = {},
  ): Entry | null {
    if (!(value instanceof Map)) {
      this.errorAt(path, `${what} must be a mapping such as ${example}, got ${describeValue(value)}`);
      return null;
    }
    const entry = value as Entry;
    for (const key of entry.keys()) {
      if (keys.includes(key)) continue;
      const hint = hints[key];
      this.error(
        keyAt(this.file, [...path, key]),
        `unknown key "${key}" in ${what}${hint === undefined ? suggestion(key, keys) : `; ${hint}`}`,
      );
    }
    return entry;
  }

  /** The list at `path`, or null (and an issue) when it is not one. */
  list(path: readonly PathSegment[], value: unknown, what: string, example: string): unknown[] | null {
    if (Array.isArray(value)) return value as unknown[];
    this.errorAt(path, `${what} must be a list, e.g. ${example}, got ${describeValue(value)}`);
    return null;
  }

  text(path: readonly PathSegment[], value: unknown, what: string): string | null {
    if (typeof value === 'string' && value.trim() !== '') return value;
    const got = typeof value === 'string' ? 'empty text' : describeValue(value);
    this.errorAt(path, `${what} must be text, got ${got}${quoteHint(value)}`);
    return null;
  }

  offset(path: readonly PathSegment[], value: unknown, what: string): number | null {
    const checked = duration(value, what, { example: '1m30s', zeroAllowed: true, maxMs: MAX_OFFSET_MS });
    if ('value' in checked) return checked.value;
    this.errorAt(path, checked.problem);
    return null;
  }

  integer(
    path: readonly PathSegment[],
    value: unknown,
    what: string,
    min: number,
    max: number,
  ): number | null {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max)
      return value;
    const quoted =
      typeof value === 'string' && /^\d+$/.test(value.trim()) ? ' (write it without quotes)' : '';
    this.errorAt(
      path,
      `${what} must be a whole number from ${min} to ${max}, got ${describeValue(value)}${quoted}`,
    );
    return null;
  }

  /** An alert rule id for expect/forbid, a drop rule id for dropped. */
  ruleId(path: readonly PathSegment[], value: unknown, action: Rule['action']): string | null {
    const id = this.text(path, value, 'rule');
    if (id === null || this.rules === null) return id;
    const rule = this.rules.get(id);
    if (rule === undefined) {
      const ids = [...this.rules.values()].filter((r) => r.action === action).map((r) => r.id);
      this.errorAt(path, `no ${action} rule "${id}" in the rules under test${suggestion(id, ids)}`);
      return null;
    }
    if (rule.action !== action) {
      this.errorAt(
        path,
        action === 'alert'
          ? `"${id}" is a drop rule: it publishes no alerts; check what it drops with dropped: [{rule: ${id}}]`
          : `"${id}" is an alert rule: it drops nothing; check its alerts with expect: or forbid:`,
      );
      return null;
    }
    if (!rule.enabled) {
      this.log.warn(
        this.file,
        valueAt(this.file, path),
        `rule "${id}" is disabled (enabled: false at ${rule.origin}), so it never runs in this test`,
      );
    }
    return id;
  }
}

/** Reads one test file. `index` orders its issues among the other files' issues. */
export function readTestFile(
  name: string,
  text: string,
  index: number,
  log: IssueLog,
  ruleSet: RuleSet | null,
): RuleTestFile {
  const errorsBefore = log.errorCount;
  const file = readRuleFile(name, text, index, log);
  const reader = new FileReader(file, log, ruleSet);
  const { root } = file.yaml;
  const result = (
    timezone: string | null,
    sessions: SessionSettings,
    lists: ReadonlyMap<string, readonly string[]>,
    tests: readonly RuleTest[],
  ): RuleTestFile => ({ name, timezone, sessions, lists, tests, ok: log.errorCount === errorsBefore });

  if (root === undefined) return result(null, DEFAULT_SESSIONS, new Map(), []);
  if (root === null) {
    reader.error(
      { line: 1, column: 1 },
      'the test file is empty; write tests: [{name: ..., start: ..., events: [...], expect: [...]}]',
    );
    return result(null, DEFAULT_SESSIONS, new Map(), []);
  }
  const top = reader.mapping(
    [],
    root,
    TEST_FILE_KEYS,
    'a test file',
    'tests: [{name: ..., start: ..., events: [...], expect: [...]}]',
    KEY_HINTS['file'],
  );
  if (top === null) return result(null, DEFAULT_SESSIONS, new Map(), []);

  const timezone = top.has('timezone') ? readTimezone(file, ['timezone'], top.get('timezone'), log) : null;
  const sessions = readSessions(reader, top.get('sessions'));
  const lists = readLists(reader, top.get('lists'));

  const tests: RuleTest[] = [];
  const testList = top.get('tests');
  if (!top.has('tests')) {
    reader.error(
      { line: 1, column: 1 },
      'the test file has no tests:; add a list of tests, each starting with - name:',
    );
  } else {
    const list = reader.list(
      ['tests'],
      testList,
      'tests',
      '[{name: ..., start: ..., events: [...], expect: [...]}]',
    );
    if (list !== null && list.length === 0) {
      reader.errorAt(['tests'], 'tests is an empty list; add a test, each starting with - name:');
    }
    const names = new Map<string, string>();
    for (const [index, value] of (list ?? []).entries()) {
      const test = readTest(reader, ['tests', index], value, names);
      if (test !== null) tests.push(test);
    }
  }
  return result(timezone, sessions, lists, tests);
}

/**
 * `lists:` — replacements for lists of the rules, for this file's tests: the lists are data
 * operators keep editing (leavers), and tests of the rules' logic should not break with them.
 */
function readLists(reader: FileReader, value: unknown): Map<string, readonly string[]> {
  const lists = new Map<string, readonly string[]>();
  if (value === undefined || value === null) return lists;
  if (!(value instanceof Map)) {
    reader.errorAt(
      ['lists'],
      `lists must be a mapping of list names to patterns, e.g. leavers: ['CORP\\test.leaver'], got ${describeValue(value)}`,
    );
    return lists;
  }
  const known = reader.ruleSet === null ? null : [...reader.ruleSet.lists.keys()];
  for (const [name, patterns] of value as Map<string, unknown>) {
    const path = ['lists', name];
    if (known !== null && !known.includes(name)) {
      reader.error(
        keyAt(reader.file, path),
        `the rules have no list "${name}" to replace${suggestion(name, known)}`,
      );
      continue;
    }
    if (!Array.isArray(patterns)) {
      reader.errorAt(
        path,
        `list "${name}" must be a list of patterns, e.g. ['CORP\\test.leaver'], got ${describeValue(patterns)}`,
      );
      continue;
    }
    const accepted: string[] = [];
    for (const [index, pattern] of (patterns as unknown[]).entries()) {
      const problem = patternProblem(pattern);
      if (problem !== null) {
        reader.errorAt([...path, index], problem);
        continue;
      }
      const warning = userPatternWarning(pattern as string);
      if (warning !== null) reader.log.warn(reader.file, valueAt(reader.file, [...path, index]), warning);
      accepted.push(pattern as string);
    }
    lists.set(name, accepted);
  }
  return lists;
}

function readSessions(reader: FileReader, value: unknown): SessionSettings {
  if (value === undefined || value === null) return DEFAULT_SESSIONS;
  const entry = reader.mapping(
    ['sessions'],
    value,
    SESSIONS_KEYS,
    'sessions',
    '{inactivityTimeout: 30m, expiryGrace: 5m}',
    {
      grace: 'write "expiryGrace:"',
      timeout: 'write "inactivityTimeout:"',
      sessionTimeout: 'write "inactivityTimeout:"',
    },
  );
  if (entry === null) return DEFAULT_SESSIONS;
  let { inactivityTimeoutMs, graceMs } = DEFAULT_SESSIONS;
  if (entry.has('inactivityTimeout')) {
    const path = ['sessions', 'inactivityTimeout'];
    const checked = duration(entry.get('inactivityTimeout'), 'inactivityTimeout', {
      example: '30m',
      zeroAllowed: false,
      maxMs: 86_400_000,
    });
    if ('problem' in checked) reader.errorAt(path, checked.problem);
    else if (checked.value < 60_000)
      reader.errorAt(path, 'inactivityTimeout must be at least 1m, as in the config');
    else inactivityTimeoutMs = checked.value;
  }
  if (entry.has('expiryGrace')) {
    const checked = duration(entry.get('expiryGrace'), 'expiryGrace', {
      example: '5m',
      zeroAllowed: true,
      maxMs: 86_400_000,
    });
    if ('problem' in checked) reader.errorAt(['sessions', 'expiryGrace'], checked.problem);
    else graceMs = checked.value;
  }
  return { inactivityTimeoutMs, graceMs };
}

const ISO_START =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Epoch ms of an ISO 8601 date and time with a UTC offset, or a problem. */
export function parseStart(value: unknown): { value: number } | { problem: string } {
  const wanted = `start must be a date and time with its UTC offset, e.g. ${START_EXAMPLE} (or Z for UTC)`;
  if (typeof value !== 'string') return { problem: `${wanted}, got ${describeValue(value)}` };
  const written = value.trim();
  const match = ISO_START.exec(written.replace(/^(\S+) (\S+)$/, '$1T$2'));
  if (match === null) {
    const noOffset = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(written);
    return {
      problem: noOffset
        ? `start ${describeValue(value)} has no UTC offset, so the time it means depends on the machine; ` +
          `add the offset of the zone, e.g. ${written}+01:00, or Z for UTC`
        : `${wanted}, got ${describeValue(value)}`,
    };
  }
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = match;
  const parts = [y, mo, d, h, mi, s ?? '0'].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = parts;
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  const valid =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    (zone === 'Z' || (Number(oh) <= 14 && Number(om) <= 59));
  if (!valid) return { problem: `start ${describeValue(value)} is not a valid date and time` };
  const offsetMinutes = zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  return { value: local - offsetMinutes * 60_000 };
}

function readTest(
  reader: FileReader,
  path: PathSegment[],
  value: unknown,
  names: Map<string, string>,
): RuleTest | null {
  const { log, file } = reader;
  const errorsBefore = log.errorCount;
  const at = (key: string): PathSegment[] => [...path, key];
  const entry = reader.mapping(
    path,
    value,
    TEST_KEYS,
    'a test',
    '{name: ..., start: ..., events: [...], expect: [...]}',
    KEY_HINTS['test'],
  );
  if (entry === null) return null;

  let name: string | null = null;
  if (!entry.has('name')) {
    reader.errorAt(path, 'the test has no name; add one, e.g. name: a leaver who logs in raises an alert');
  } else {
    name = reader.text(at('name'), entry.get('name'), 'name');
    if (name !== null) {
      const first = names.get(name);
      if (first !== undefined) {
        reader.errorAt(
          at('name'),
          `test name "${name}" is already used at ${first}; names must be unique in a file`,
        );
      } else {
        names.set(name, reader.place(at('name')));
      }
    }
  }

  let startMs: number | null = null;
  if (!entry.has('start')) {
    reader.errorAt(
      path,
      `the test has no start; add the virtual time it starts at, e.g. start: ${START_EXAMPLE}`,
    );
  } else {
    const checked = parseStart(entry.get('start'));
    if ('problem' in checked) reader.errorAt(at('start'), checked.problem);
    else startMs = checked.value;
  }

  const events: TestEvent[] = [];
  let lastEventMs = 0;
  let eventCount = 0;
  if (entry.has('events') && entry.get('events') !== null) {
    const list = reader.list(
      at('events'),
      entry.get('events'),
      'events',
      "[{at: 0s, kind: session.start, user: 'CORP\\jdoe'}]",
    );
    for (const [index, item] of (list ?? []).entries()) {
      const event = readEvent(reader, [...at('events'), index], item);
      if (event === null) continue;
      events.push(event);
      eventCount += event.repeat;
      lastEventMs = Math.max(lastEventMs, event.atMs + (event.repeat - 1) * event.everyMs);
    }
    if (eventCount > MAX_EVENTS_PER_TEST) {
      reader.errorAt(
        at('events'),
        `the test sends ${eventCount} events (repeats included); at most ${MAX_EVENTS_PER_TEST}`,
      );
    }
    if (lastEventMs > MAX_OFFSET_MS) {
      reader.errorAt(
        at('events'),
        `the last event is at ${formatOffset(lastEventMs)}; a test covers at most ${formatOffset(MAX_OFFSET_MS)}`,
      );
    }
  }

  let advanceToMs: number | null = null;
  if (entry.has('advanceTo')) {
    advanceToMs = reader.offset(at('advanceTo'), entry.get('advanceTo'), 'advanceTo');
    if (advanceToMs !== null && advanceToMs < lastEventMs) {
      reader.errorAt(
        at('advanceTo'),
        `advanceTo ${formatOffset(advanceToMs)} is before the last event (at ${formatOffset(lastEventMs)}); ` +
          'time only runs forward: leave advanceTo out, or make it later',
      );
      advanceToMs = null;
    }
  }

  let expect: AlertExpectation[] = [];
  let expectNone = false;
  if (entry.has('expect')) {
    const written = entry.get('expect');
    if (Array.isArray(written) && written.length === 0) expectNone = true;
    else expect = readFilters(reader, at('expect'), written, 'expect');
  }
  const forbid = entry.has('forbid') ? readFilters(reader, at('forbid'), entry.get('forbid'), 'forbid') : [];
  const dropped = entry.has('dropped') ? readDropped(reader, at('dropped'), entry.get('dropped')) : [];

  const checksRejects = events.some(
    (event) => event.source.form === 'datagram' && event.source.rejected !== null,
  );
  if (!entry.has('expect') && !entry.has('forbid') && !entry.has('dropped') && !checksRejects) {
    reader.errorAt(
      path,
      'the test checks nothing, so it would always pass; add expect: (alerts that must be published), ' +
        'forbid: (alerts that must not be), dropped:, or expect: [] for "no alert at all"',
    );
  }

  if (log.errorCount > errorsBefore || name === null || startMs === null) return null;
  return {
    file: file.name,
    name,
    place: reader.place(path),
    startMs,
    events,
    advanceToMs,
    expect,
    expectNone,
    expectNonePlace: reader.place(at('expect')),
    forbid,
    dropped,
  };
}

function readEvent(reader: FileReader, path: PathSegment[], value: unknown): TestEvent | null {
  const { log } = reader;
  const errorsBefore = log.errorCount;
  const at = (key: string): PathSegment[] => [...path, key];
  const entry = reader.mapping(
    path,
    value,
    EVENT_KEYS,
    'an event',
    "{at: 0s, kind: session.start, user: 'CORP\\jdoe'}",
    KEY_HINTS['event'],
  );
  if (entry === null) return null;

  let atMs: number | null = null;
  if (!entry.has('at')) {
    reader.errorAt(
      path,
      'the event has no at; add its time as an offset from start, e.g. at: 0s or at: 1m30s',
    );
  } else {
    atMs = reader.offset(at('at'), entry.get('at'), 'at');
  }

  let repeat = 1;
  if (entry.has('repeat')) {
    repeat = reader.integer(at('repeat'), entry.get('repeat'), 'repeat', 1, MAX_EVENTS_PER_TEST) ?? 1;
  }
  let everyMs = 0;
  if (entry.has('every')) {
    const checked = duration(entry.get('every'), 'every', {
      example: '10s',
      zeroAllowed: true,
      maxMs: MAX_OFFSET_MS,
    });
    if ('problem' in checked) reader.errorAt(at('every'), checked.problem);
    else everyMs = checked.value;
    if (!entry.has('repeat')) {
      log.warn(
        reader.file,
        keyAt(reader.file, at('every')),
        'every has no effect without repeat: N; the event is sent once',
      );
    }
  }

  // Text fields: `{{n}}` is the only placeholder; anything else in braces is a typo.
  for (const key of TEMPLATED_KEYS) {
    const written = entry.get(key);
    if (typeof written !== 'string') continue;
    const stray = written.replaceAll(REPEAT_PLACEHOLDER, '').match(/\{\{[^}]*\}\}/);
    if (stray !== null) {
      reader.errorAt(
        at(key),
        `${stray[0]} is not a placeholder here; only ${REPEAT_PLACEHOLDER} (the repetition number) is`,
      );
    }
  }

  if (entry.has('datagram')) {
    const beside = FIELD_KEYS.filter((key) => entry.has(key));
    for (const key of beside) {
      reader.error(
        keyAt(reader.file, at(key)),
        `"${key}" cannot sit next to datagram: a raw datagram carries all its fields itself; ` +
          'write either datagram: or kind:, user:, ...',
      );
    }
    const text = typeof entry.get('datagram') === 'string' ? (entry.get('datagram') as string) : null;
    if (text === null) {
      reader.errorAt(at('datagram'), `datagram must be text, got ${describeValue(entry.get('datagram'))}`);
    }
    let rejected: RejectReason | null = null;
    if (entry.has('rejected')) {
      const written = entry.get('rejected');
      const reason = DECODE_REASONS.find((known) => known === written);
      if (reason === undefined) {
        const hint =
          typeof written === 'string'
            ? suggestion(written, DECODE_REASONS)
            : `; use one of ${DECODE_REASONS.join(', ')}`;
        reader.errorAt(
          at('rejected'),
          `rejected must be the reason the sidecar gives, got ${describeValue(written)}${hint}`,
        );
      } else {
        rejected = reason;
      }
    }
    if (log.errorCount > errorsBefore || atMs === null || text === null) return null;
    return { atMs, repeat, everyMs, source: { form: 'datagram', text, rejected }, place: reader.place(path) };
  }

  if (entry.has('rejected')) {
    reader.error(
      keyAt(reader.file, at('rejected')),
      'rejected only applies to a raw datagram: (an event written field by field always decodes)',
    );
  }
  const kind = readKind(reader, path, entry);
  let user: string | null = null;
  if (!entry.has('user')) {
    reader.errorAt(path, "the event has no user; add one, e.g. user: 'CORP\\jdoe'");
  } else {
    user = reader.text(at('user'), entry.get('user'), 'user');
    if (user !== null) {
      const slash = user.indexOf('\\');
      if (slash < 0 || slash === user.length - 1) {
        reader.errorAt(
          at('user'),
          `user must be DIRECTORY\\userId, e.g. 'CORP\\jdoe' (in single quotes), got ${describeValue(user)}`,
        );
      }
    }
  }
  const optionalText = (key: string): string | null => {
    if (!entry.has(key)) return null;
    const written = entry.get(key);
    if (typeof written === 'string') return written;
    reader.errorAt(at(key), `${key} must be text, got ${describeValue(written)}${quoteHint(written)}`);
    return null;
  };
  const host = entry.has('host') ? reader.text(at('host'), entry.get('host'), 'host') : DEFAULT_HOST;
  const app = optionalText('app');
  if (app !== null && !GUID.test(app)) {
    reader.errorAt(
      at('app'),
      `app must be an app id (a GUID such as e7af59a0-c243-480d-9571-08727551a66f), got ${describeValue(app)}; ` +
        'for another path write context:',
    );
  }
  // The user agent goes into the message, the one field that may hold ";".
  const fields: Record<string, string | null> = {
    user,
    host,
    context: optionalText('context'),
    origin: optionalText('origin'),
  };
  const userAgent = optionalText('userAgent');
  for (const [key, text] of Object.entries(fields)) {
    if (text?.includes(';') === true) {
      reader.errorAt(
        at(key),
        `${key} contains ";", which separates the fields of a datagram, so the sidecar would read other fields; ` +
          'only message: may contain ";"',
      );
    }
  }
  const message = optionalText('message');
  if (kind !== null && kind !== 'connection.open' && kind !== 'connection.close' && entry.has('userAgent')) {
    log.warn(
      reader.file,
      keyAt(reader.file, at('userAgent')),
      'the proxy writes a user agent only in connection messages; on a session event it is part of no fact',
    );
  }
  if (log.errorCount > errorsBefore || atMs === null || kind === null || user === null || host === null)
    return null;
  const source: FieldsEvent = {
    form: 'fields',
    kind,
    user,
    host,
    app,
    context: fields['context'] ?? null,
    origin: fields['origin'] ?? null,
    userAgent,
    message,
  };
  return { atMs, repeat, everyMs, source, place: reader.place(path) };
}

function readKind(reader: FileReader, path: PathSegment[], entry: Entry): EventKind | null {
  if (!entry.has('kind')) {
    reader.errorAt(
      path,
      `the event has no kind; add one of ${EVENT_KINDS.join(', ')}, or write a raw datagram: instead`,
    );
    return null;
  }
  const written = entry.get('kind');
  const kind = EVENT_KINDS.find((known) => known === written);
  if (kind !== undefined) return kind;
  if (written === 'session.expired') {
    reader.errorAt(
      [...path, 'kind'],
      "session.expired is the sidecar's own event and cannot be sent; let virtual time pass instead " +
        "(advanceTo: past the inactivity timeout plus grace after the user's last event) and the sidecar produces it",
    );
    return null;
  }
  const near = typeof written === 'string' ? closestEventKind(written) : undefined;
  const hint = near !== undefined && near !== 'session.expired' ? `; did you mean "${near}"?` : '';
  reader.errorAt(
    [...path, 'kind'],
    `kind must be one of ${EVENT_KINDS.join(', ')}, got ${describeValue(written)}${hint}`,
  );
  return null;
}

/** expect: / forbid: — filters on published alerts. A bare rule id is short for {rule: id}. */
function readFilters(
  reader: FileReader,
  path: PathSegment[],
  value: unknown,
  section: 'expect' | 'forbid',
): AlertExpectation[] {
  const list = reader.list(path, value, section, '[{rule: leaver-login, status: firing}]');
  const out: AlertExpectation[] = [];
  for (const [index, item] of (list ?? []).entries()) {
    const itemPath = [...path, index];
    if (typeof item === 'string') {
      const rule = reader.ruleId(itemPath, item, 'alert');
      if (rule !== null) out.push({ filter: { rule }, count: null, place: reader.place(itemPath) });
      continue;
    }
    const keys = section === 'expect' ? EXPECT_KEYS : FORBID_KEYS;
    const hints =
      section === 'forbid'
        ? {
            ...KEY_HINTS['expect'],
            count: 'forbid means none may be published; for an exact number use expect: with count:',
          }
        : KEY_HINTS['expect'];
    const entry = reader.mapping(
      itemPath,
      item,
      keys,
      `an entry of ${section}`,
      '{rule: leaver-login, status: firing}',
      hints,
    );
    if (entry === null) continue;
    const errorsBefore = reader.log.errorCount;
    const at = (key: string): PathSegment[] => [...itemPath, key];
    let rule: string | null = null;
    if (!entry.has('rule')) {
      reader.errorAt(itemPath, `the ${section} entry has no rule; add the rule id, e.g. rule: leaver-login`);
    } else {
      rule = reader.ruleId(at('rule'), entry.get('rule'), 'alert');
    }
    const filter: { -readonly [K in keyof AlertFilter]: AlertFilter[K] } = { rule: rule ?? '' };
    if (entry.has('key')) {
      const key = reader.text(at('key'), entry.get('key'), 'key');
      if (key !== null) filter.key = key;
    }
    if (entry.has('host')) {
      const host = reader.text(at('host'), entry.get('host'), 'host');
      if (host !== null) filter.host = host;
    }
    if (entry.has('status')) {
      const status = entry.get('status');
      if (status === 'firing' || status === 'resolved') filter.status = status;
      else {
        const hint = typeof status === 'string' ? suggestion(status, ['firing', 'resolved'], false) : '';
        reader.errorAt(
          at('status'),
          `status must be firing or resolved, got ${describeValue(status)}${hint}`,
        );
      }
    }
    if (entry.has('at')) {
      const atMs = reader.offset(at('at'), entry.get('at'), 'at');
      if (atMs !== null) filter.atMs = atMs;
    }
    if (entry.has('message')) {
      const message = reader.text(at('message'), entry.get('message'), 'message');
      if (message !== null) filter.message = message;
    }
    let count: number | null = null;
    if (entry.has('count'))
      count = reader.integer(at('count'), entry.get('count'), 'count', 0, MAX_EVENTS_PER_TEST);
    if (reader.log.errorCount === errorsBefore && rule !== null) {
      out.push({ filter, count, place: reader.place(itemPath) });
    }
  }
  return out;
}

function readDropped(reader: FileReader, path: PathSegment[], value: unknown): DropExpectation[] {
  const list = reader.list(path, value, 'dropped', '[{rule: exclude-service-accounts, count: 3}]');
  const out: DropExpectation[] = [];
  for (const [index, item] of (list ?? []).entries()) {
    const itemPath = [...path, index];
    if (typeof item === 'string') {
      const rule = reader.ruleId(itemPath, item, 'drop');
      if (rule !== null) out.push({ rule, count: null, place: reader.place(itemPath) });
      continue;
    }
    const entry = reader.mapping(
      itemPath,
      item,
      DROPPED_KEYS,
      'an entry of dropped',
      '{rule: exclude-service-accounts, count: 3}',
      { times: 'write "count:"', id: 'the rule is "rule:", its id' },
    );
    if (entry === null) continue;
    const errorsBefore = reader.log.errorCount;
    let rule: string | null = null;
    if (!entry.has('rule')) {
      reader.errorAt(
        itemPath,
        'the dropped entry has no rule; add the drop rule id, e.g. rule: exclude-service-accounts',
      );
    } else {
      rule = reader.ruleId([...itemPath, 'rule'], entry.get('rule'), 'drop');
    }
    const count = entry.has('count')
      ? reader.integer([...itemPath, 'count'], entry.get('count'), 'count', 0, MAX_EVENTS_PER_TEST)
      : null;
    if (reader.log.errorCount === errorsBefore && rule !== null) {
      out.push({ rule, count, place: reader.place(itemPath) });
    }
  }
  return out;
}
