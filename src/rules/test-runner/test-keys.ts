/**
 * The keys of a rule-test file, as tables: each mapping's form (its name in messages, an
 * example, its keys and the hints for keys people write instead) and, where a key's value is
 * checked on its own, the check. The parser (parse.ts and its parts) reads through these with
 * rules/load/key-table.ts, the reader the rule files use, so both word mistakes alike.
 */
import { REJECT_REASONS } from '../../core/reject.js';
import { type Checked, describeValue, duration, quoteHint, suggestion } from '../load/checks.js';
import type { KeyTable, MappingForm } from '../load/key-table.js';
import { MAX_EVENTS_PER_TEST, MAX_OFFSET_MS } from './spec.js';

export const TEST_FILE_KEYS = ['tests', 'timezone', 'sessions', 'lists'] as const;
export const SESSIONS_KEYS = ['inactivityTimeout', 'expiryGrace'] as const;
export const TEST_KEYS = ['name', 'start', 'events', 'advanceTo', 'expect', 'forbid', 'dropped'] as const;
/** Keys of the event form; none of them may sit next to `datagram:`. */
export const FIELD_KEYS = [
  'kind',
  'user',
  'host',
  'app',
  'context',
  'origin',
  'userAgent',
  'message',
] as const;
export const EVENT_KEYS = ['at', ...FIELD_KEYS, 'datagram', 'rejected', 'repeat', 'every'] as const;
export const EXPECT_KEYS = ['rule', 'key', 'status', 'host', 'at', 'message', 'count'] as const;
const FORBID_KEYS = EXPECT_KEYS.filter((key) => key !== 'count');
export const DROPPED_KEYS = ['rule', 'count'] as const;

/** Text fields where `{{n}}` is replaced by the repetition number. */
export const TEMPLATED_KEYS = ['user', 'host', 'context', 'origin', 'userAgent', 'message', 'datagram'];
/** The decoder never produces `source-not-allowed` (the socket shell does). */
export const DECODE_REASONS = REJECT_REASONS.filter((reason) => reason !== 'source-not-allowed');

const TEST_EXAMPLE = '{name: ..., start: ..., events: [...], expect: [...]}';

export const FILE_FORM: MappingForm = {
  what: 'a test file',
  example: `tests: [${TEST_EXAMPLE}]`,
  keys: TEST_FILE_KEYS,
  hints: {
    test: 'the tests are a list under "tests:"',
    rules: 'the rules come from the rules paths; a test file holds tests:, timezone:, sessions: and lists:',
    list: 'write "lists:"',
    timeZone: 'write "timezone:"',
    tz: 'write "timezone:"',
  },
};

export const SESSIONS_FORM: MappingForm = {
  what: 'sessions',
  example: '{inactivityTimeout: 30m, expiryGrace: 5m}',
  keys: SESSIONS_KEYS,
  hints: {
    grace: 'write "expiryGrace:"',
    timeout: 'write "inactivityTimeout:"',
    sessionTimeout: 'write "inactivityTimeout:"',
  },
};

export const TEST_FORM: MappingForm = {
  what: 'a test',
  example: TEST_EXAMPLE,
  keys: TEST_KEYS,
  hints: {
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
};

export const EVENT_FORM: MappingForm = {
  what: 'an event',
  example: "{at: 0s, kind: session.start, user: 'CORP\\jdoe'}",
  keys: EVENT_KEYS,
  hints: {
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
};

const EXPECT_HINTS: Readonly<Record<string, string>> = {
  id: 'the rule is "rule:", its id',
  alert: 'the rule is "rule:", its id',
  name: 'the rule is "rule:", its id',
  severity: 'the severity follows from the rule; filter by "rule:"',
  time: 'the time of an alert is "at:", an offset from start',
  times: 'write "count:"',
  state: 'write "status:" (firing or resolved)',
};

const FILTER_EXAMPLE = '{rule: leaver-login, status: firing}';

export const FILTER_FORMS: Readonly<Record<'expect' | 'forbid', MappingForm>> = {
  expect: { what: 'an entry of expect', example: FILTER_EXAMPLE, keys: EXPECT_KEYS, hints: EXPECT_HINTS },
  forbid: {
    what: 'an entry of forbid',
    example: FILTER_EXAMPLE,
    keys: FORBID_KEYS,
    hints: {
      ...EXPECT_HINTS,
      count: 'forbid means none may be published; for an exact number use expect: with count:',
    },
  },
};

export const DROPPED_FORM: MappingForm = {
  what: 'an entry of dropped',
  example: '{rule: exclude-service-accounts, count: 3}',
  keys: DROPPED_KEYS,
  hints: { times: 'write "count:"', id: 'the rule is "rule:", its id' },
};

// --- Value checks -----------------------------------------------------------------------------

/** Text that is not empty. */
export function nonEmptyText(what: string): (value: unknown) => Checked<string> {
  return (value) => {
    if (typeof value === 'string' && value.trim() !== '') return { value };
    const got = typeof value === 'string' ? 'empty text' : describeValue(value);
    return { problem: `${what} must be text, got ${got}${quoteHint(value)}` };
  };
}

/** An offset from the test's start: `0s`, `1m30s`, up to the longest test. */
export function offset(what: string): (value: unknown) => Checked<number> {
  return (value) => duration(value, what, { example: '1m30s', zeroAllowed: true, maxMs: MAX_OFFSET_MS });
}

export function wholeNumber(what: string, min: number, max: number): (value: unknown) => Checked<number> {
  return (value) => {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max)
      return { value };
    const quoted =
      typeof value === 'string' && /^\d+$/.test(value.trim()) ? ' (write it without quotes)' : '';
    return {
      problem: `${what} must be a whole number from ${min} to ${max}, got ${describeValue(value)}${quoted}`,
    };
  };
}

function status(value: unknown): Checked<'firing' | 'resolved'> {
  if (value === 'firing' || value === 'resolved') return { value };
  const hint = typeof value === 'string' ? suggestion(value, ['firing', 'resolved'], false) : '';
  return { problem: `status must be firing or resolved, got ${describeValue(value)}${hint}` };
}

function inactivityTimeout(value: unknown): Checked<number> {
  const checked = duration(value, 'inactivityTimeout', {
    example: '30m',
    zeroAllowed: false,
    maxMs: 86_400_000,
  });
  if ('value' in checked && checked.value < 60_000)
    return { problem: 'inactivityTimeout must be at least 1m, as in the config' };
  return checked;
}

export const SESSIONS_TABLE: KeyTable<{ inactivityTimeout: number; expiryGrace: number }> = {
  inactivityTimeout,
  expiryGrace: (value) =>
    duration(value, 'expiryGrace', { example: '5m', zeroAllowed: true, maxMs: 86_400_000 }),
};

/** The keys of an expect/forbid entry besides `rule` (which is checked against the rules). */
export const FILTER_TABLE: KeyTable<{
  key: string;
  host: string;
  status: 'firing' | 'resolved';
  at: number;
  message: string;
  count: number;
}> = {
  key: nonEmptyText('key'),
  host: nonEmptyText('host'),
  status,
  at: offset('at'),
  message: nonEmptyText('message'),
  count: wholeNumber('count', 0, MAX_EVENTS_PER_TEST),
};

/** The keys of a dropped entry besides `rule`. */
export const DROPPED_TABLE: KeyTable<{ count: number }> = {
  count: wholeNumber('count', 0, MAX_EVENTS_PER_TEST),
};
