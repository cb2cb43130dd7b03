/**
 * One test file (text) → validated tests, or issues at file:line:column. Read with the rule
 * loader's YAML reader, issue log and table-driven mapping reader (test-keys.ts holds the
 * tables), so test files get the same syntax messages, guards and did-you-mean as rule files.
 * Every key is checked even after a first problem, so one run lists everything wrong with a
 * file. The parts: file-reader.ts (shared checks), parse-start.ts, parse-event.ts,
 * parse-alerts.ts.
 */
import type { PathSegment } from '../../config/types.js';
import { describeValue, suggestion } from '../load/checks.js';
import { readPatterns, readTimezone } from '../load/sections.js';
import { type IssueLog, keyAt, readRuleFile } from '../load/source.js';
import type { RuleSet } from '../types.js';
import { FileReader } from './file-reader.js';
import { readDropped, readFilters } from './parse-alerts.js';
import { readEvent } from './parse-event.js';
import { START_EXAMPLE, parseStart } from './parse-start.js';
import {
  type AlertExpectation,
  DEFAULT_SESSIONS,
  MAX_EVENTS_PER_TEST,
  MAX_OFFSET_MS,
  type RuleTest,
  type RuleTestFile,
  type SessionSettings,
  type TestEvent,
} from './spec.js';
import { FILE_FORM, SESSIONS_FORM, SESSIONS_TABLE, TEST_FORM } from './test-keys.js';
import { formatOffset } from './text.js';

export { parseStart } from './parse-start.js';
export {
  DROPPED_KEYS,
  EVENT_KEYS,
  EXPECT_KEYS,
  SESSIONS_KEYS,
  TEST_FILE_KEYS,
  TEST_KEYS,
} from './test-keys.js';

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
  const top = reader.mapping([], root, FILE_FORM);
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
    lists.set(name, readPatterns(reader.file, path, patterns as unknown[], reader.log, { warnUsers: true }));
  }
  return lists;
}

function readSessions(reader: FileReader, value: unknown): SessionSettings {
  if (value === undefined || value === null) return DEFAULT_SESSIONS;
  const entry = reader.mapping(['sessions'], value, SESSIONS_FORM);
  if (entry === null) return DEFAULT_SESSIONS;
  const written = reader.keys(['sessions'], entry, SESSIONS_TABLE);
  return {
    inactivityTimeoutMs: written.inactivityTimeout ?? DEFAULT_SESSIONS.inactivityTimeoutMs,
    graceMs: written.expiryGrace ?? DEFAULT_SESSIONS.graceMs,
  };
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
  const entry = reader.mapping(path, value, TEST_FORM);
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
