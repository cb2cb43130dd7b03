import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type RuleTestReport,
  formatRuleTestReport,
  runRuleTests,
} from '../../src/rules/test-runner/index.js';
import { parseStart } from '../../src/rules/test-runner/parse.js';
import { formatOffset } from '../../src/rules/test-runner/text.js';

const RULES = String.raw`
lists:
  service-accounts: ['INTERNAL\sa_*']
  leavers: ['ACME\mallory']
rules:
  - id: exclude-service-accounts
    action: drop
    when: {all: [{fact: user, operator: inList, value: service-accounts}]}
  - id: leaver-login
    severity: critical
    on: [session.start]
    when: {all: [{fact: user, operator: inList, value: leavers}]}
    key: user
    message: '{{user}} is a leaver'
  - id: parallel-session-limit
    on: [session.start]
    when: {all: [{fact: activeSessions, params: {per: user}, operator: greaterThanInclusive, value: 5}]}
    key: user
    throttle: 30m
    resolve: true
    message: '{{user}} holds {{facts.activeSessions}} sessions'
`;

/** Rules on time: an alert on expiries that counts them, and a burst that resolves as its window empties. */
const TIME_RULES = String.raw`
rules:
  - id: expired
    severity: info
    on: [session.expired]
    when:
      all:
        - {fact: eventCount, params: {kind: session.expired, per: user, window: 1h}, operator: greaterThanInclusive, value: 1}
    key: user
    message: '{{user}}: {{facts.eventCount}} expiry'
  - id: burst
    on: [session.start]
    when:
      all:
        - {fact: eventCount, params: {kind: session.start, per: user, window: 5m}, operator: greaterThanInclusive, value: 3}
    key: user
    resolve: true
    message: '{{user}}: {{facts.eventCount}} starts in 5 minutes'
`;

const GUID = 'e7af59a0-c243-480d-9571-08727551a66f';

async function run(
  tests: string,
  rules = RULES,
  defaultTimezone = 'UTC',
): Promise<{ report: RuleTestReport; lines: string[] }> {
  const report = await runRuleTests({
    ruleSources: [{ name: 'rules.yaml', text: rules }],
    testSources: [{ name: 'tests/t.yaml', text: tests }],
    defaultTimezone,
  });
  return { report, lines: formatRuleTestReport(report) };
}

describe('rules test: results', () => {
  it('passes tests whose expectations hold, one ok line each and a summary', async () => {
    const { report, lines } = await run(String.raw`
tests:
  - name: mallory2 reaches the limit of 5 parallel sessions
    start: 2026-11-30T08:00:00+01:00
    events:
      - {at: 0s, kind: session.start, user: 'ACME\mallory2', host: SENSE-NODE1}
      - {at: 10s, kind: session.start, user: 'ACME\mallory2', repeat: 4, every: 10s}
    expect:
      - {rule: parallel-session-limit, key: 'ACME\mallory2', status: firing, at: 40s, count: 1}
      - {rule: parallel-session-limit, message: '*holds 5 sessions'}
    forbid: [leaver-login]
  - name: four sessions and a service account raise nothing
    start: 2026-11-30T08:00:00Z
    events:
      - {at: 0s, kind: session.start, user: 'CORP\jdoe', repeat: 4}
      - {at: 0s, kind: session.start, user: 'INTERNAL\sa_reload', repeat: 9}
    expect: []
    dropped: [{rule: exclude-service-accounts, count: 9}]
`);
    expect(lines).toEqual([
      'ok   tests/t.yaml: mallory2 reaches the limit of 5 parallel sessions',
      'ok   tests/t.yaml: four sessions and a service account raise nothing',
      '2 tests, 2 passed, 0 failed',
    ]);
    expect(report).toMatchObject({ ok: true, passed: 2, failed: 0, issues: [], filesNotRun: [] });
    expect(report.results[0]?.alerts).toEqual([
      {
        rule: 'parallel-session-limit',
        key: 'ACME\\mallory2',
        status: 'firing',
        severity: 'warning',
        host: 'SENSE-NODE1',
        atMs: 40_000,
        message: 'ACME\\mallory2 holds 5 sessions',
        notification: 1,
      },
    ]);
  });

  it('says exactly which expectation failed and lists what was published', async () => {
    const { report, lines } = await run(String.raw`
tests:
  - name: wrong expectations
    start: 2026-11-30T08:00:00+01:00
    events:
      - {at: 0s, kind: session.start, user: 'CORP\jdoe', repeat: 5, every: 10s}
      - {at: 1m, kind: session.stop, user: 'CORP\jdoe'}
      - {at: 2m, kind: session.start, user: 'INTERNAL\sa_x'}
    expect:
      - {rule: parallel-session-limit, status: firing, at: 30s}
      - {rule: parallel-session-limit, count: 1}
      - {rule: parallel-session-limit, key: 'CORP\jdoe', status: firing}
    forbid: [leaver-login, {rule: parallel-session-limit, status: resolved}]
    dropped: [{rule: exclude-service-accounts, count: 2}]
  - name: expects silence
    start: 2026-11-30T08:00:00+01:00
    events:
      - {at: 0s, kind: session.start, user: 'ACME\mallory'}
    expect: []
`);
    expect(lines).toEqual([
      'FAIL tests/t.yaml: wrong expectations',
      '  tests/t.yaml:10:9: expected {rule: parallel-session-limit, status: firing, at: 30s}, but no such alert was published',
      '  tests/t.yaml:11:9: expected {rule: parallel-session-limit, count: 1}, but 2 such alerts were published, at 40s, 1m',
      '  tests/t.yaml:13:28: forbidden {rule: parallel-session-limit, status: resolved}, but 1 such alert was published, at 1m',
      '  tests/t.yaml:14:15: expected exclude-service-accounts to drop 2 events, but it dropped 1 event',
      '  published 2 alerts (7 events sent):',
      "    - {rule: parallel-session-limit, key: 'CORP\\jdoe', status: firing, at: 40s}  # warning: CORP\\jdoe holds 5 sessions",
      "    - {rule: parallel-session-limit, key: 'CORP\\jdoe', status: resolved, at: 1m}  # warning: CORP\\jdoe holds 4 sessions",
      '  events dropped: exclude-service-accounts 1',
      'FAIL tests/t.yaml: expects silence',
      '  tests/t.yaml:19:13: expected no alerts (expect: []), but 1 alert was published',
      '  published 1 alert (1 event sent):',
      "    - {rule: leaver-login, key: 'ACME\\mallory', status: firing, at: 0s}  # critical: ACME\\mallory is a leaver",
      '2 tests, 0 passed, 2 failed',
    ]);
    expect(report.ok).toBe(false);
  });

  it('lists what was published under passing tests too when verbose', async () => {
    const { report } = await run(String.raw`
tests:
  - name: a leaver
    start: 2026-11-30T08:00:00Z
    events: [{at: 1m30s, kind: session.start, user: 'ACME\mallory'}]
    expect: [leaver-login]
`);
    expect(formatRuleTestReport(report, { verbose: true })).toEqual([
      'ok   tests/t.yaml: a leaver',
      '  published 1 alert (1 event sent):',
      "    - {rule: leaver-login, key: 'ACME\\mallory', status: firing, at: 1m30s}  # critical: ACME\\mallory is a leaver",
      '1 test, 1 passed, 0 failed',
    ]);
  });
});

describe('rules test: errors in test files', () => {
  it('reports every problem at file:line:column with did-you-mean, and does not run the file', async () => {
    const { report, lines } = await run(String.raw`
timezone: Europe/Stokholm
sessions: {inactivityTimeout: 30s, grace: 5m}
tests:
  - name: broken
    start: 2026-11-30T08:00:00
    events:
      - {at: 10, kind: session.begin, user: jdoe}
      - {time: 1m, kind: session.expired, user: 'CORP\jdoe'}
      - {at: 3m, datagram: x, user: 'CORP\jdoe', rejected: bogus}
      - {at: 4m, kind: connection.open, user: 'CORP\jdoe', app: sales, context: '/a;b'}
    expect:
      - {rule: parallel-sesion-limit, severity: warning}
      - {rule: exclude-service-accounts}
    forbid: [{rule: leaver-login, count: 0}]
    dropped: [leaver-login]
  - name: broken
    start: 2026-11-30T08:00:00Z
    events: []
`);
    expect(lines).toEqual([
      'tests/t.yaml:2:11: timezone must be an IANA time zone name, got "Europe/Stokholm"; did you mean "Europe/Stockholm"?',
      'tests/t.yaml:3:31: inactivityTimeout must be at least 1m, as in the config',
      'tests/t.yaml:3:36: unknown key "grace" in sessions; write "expiryGrace:"',
      'tests/t.yaml:6:12: start "2026-11-30T08:00:00" has no UTC offset, so the time it means depends on the machine; add the offset of the zone, e.g. 2026-11-30T08:00:00+01:00, or Z for UTC',
      'tests/t.yaml:8:14: at must be a duration with a unit, e.g. 1m30s, got "10"',
      'tests/t.yaml:8:24: kind must be one of session.start, session.stop, connection.open, connection.close, got "session.begin"; did you mean "session.start"?',
      'tests/t.yaml:8:45: user must be DIRECTORY\\userId, e.g. \'CORP\\jdoe\' (in single quotes), got "jdoe"',
      'tests/t.yaml:9:9: the event has no at; add its time as an offset from start, e.g. at: 0s or at: 1m30s',
      'tests/t.yaml:9:10: unknown key "time" in an event; the time of an event is "at:", an offset from start such as at: 1m30s',
      "tests/t.yaml:9:26: session.expired is the sidecar's own event and cannot be sent; let virtual time pass instead (advanceTo: past the inactivity timeout plus grace after the user's last event) and the sidecar produces it",
      'tests/t.yaml:10:31: "user" cannot sit next to datagram: a raw datagram carries all its fields itself; write either datagram: or kind:, user:, ...',
      'tests/t.yaml:10:60: rejected must be the reason the sidecar gives, got "bogus"; use one of empty, too-large, invalid-utf8, unknown-prefix, too-few-fields, unknown-command, command-prefix-mismatch, empty-user-id, empty-host',
      'tests/t.yaml:11:65: app must be an app id (a GUID such as e7af59a0-c243-480d-9571-08727551a66f), got "sales"; for another path write context:',
      'tests/t.yaml:11:81: context contains ";", which separates the fields of a datagram, so the sidecar would read other fields; only message: may contain ";"',
      'tests/t.yaml:13:16: no alert rule "parallel-sesion-limit" in the rules under test; did you mean "parallel-session-limit"?',
      'tests/t.yaml:13:39: unknown key "severity" in an entry of expect; the severity follows from the rule; filter by "rule:"',
      'tests/t.yaml:14:16: "exclude-service-accounts" is a drop rule: it publishes no alerts; check what it drops with dropped: [{rule: exclude-service-accounts}]',
      'tests/t.yaml:15:35: unknown key "count" in an entry of forbid; forbid means none may be published; for an exact number use expect: with count:',
      'tests/t.yaml:16:15: "leaver-login" is an alert rule: it drops nothing; check its alerts with expect: or forbid:',
      'tests/t.yaml:17:5: the test checks nothing, so it would always pass; add expect: (alerts that must be published), forbid: (alerts that must not be), dropped:, or expect: [] for "no alert at all"',
      'tests/t.yaml:17:11: test name "broken" is already used at tests/t.yaml:5:11; names must be unique in a file',
      'tests/t.yaml: its tests did not run: the file has errors (above)',
      '0 tests, 0 passed, 0 failed',
    ]);
    expect(report).toMatchObject({ ok: false, filesNotRun: ['tests/t.yaml'] });
    expect(report.issues.every((issue) => issue.severity === 'error')).toBe(true);
  });

  it('explains a backslash in double quotes, unknown top-level keys and an empty file', async () => {
    const report = await runRuleTests({
      ruleSources: [{ name: 'rules.yaml', text: RULES }],
      testSources: [
        {
          name: 'a.yaml',
          text: 'tests:\n  - name: x\n    start: 2026-11-30T08:00:00Z\n    events: [{at: 0s, kind: session.start, user: "CORP\\jdoe"}]\n    expect: []\n',
        },
        { name: 'b.yaml', text: 'test: []\nrules: []\n' },
        { name: 'c.yaml', text: '' },
      ],
      defaultTimezone: 'UTC',
    });
    expect(formatRuleTestReport(report)).toEqual([
      "a.yaml:4:55: YAML syntax error: Invalid escape sequence \\j; in double quotes a backslash starts an escape: write DIRECTORY\\user patterns in single quotes, e.g. 'ACME\\mallory'",
      'b.yaml:1:1: unknown key "test" in a test file; the tests are a list under "tests:"',
      'b.yaml:1:1: the test file has no tests:; add a list of tests, each starting with - name:',
      'b.yaml:2:1: unknown key "rules" in a test file; the rules come from the rules paths; a test file holds tests:, timezone:, sessions: and lists:',
      'c.yaml:1:1: the test file is empty; write tests: [{name: ..., start: ..., events: [...], expect: [...]}]',
      'a.yaml: its tests did not run: the file has errors (above)',
      'b.yaml: its tests did not run: the file has errors (above)',
      'c.yaml: its tests did not run: the file has errors (above)',
      '0 tests, 0 passed, 0 failed',
    ]);
  });

  it('runs no test when the rules have errors, but still checks the test files', async () => {
    const { report, lines } = await run(
      String.raw`
tests:
  - name: x
    start: 2026-11-30T08:00:00Z
    events: [{at: 0s, kind: session.start, user: 'CORP\jdoe'}]
    expect: [no-such-rule]
    forbid: [{rule: x, at: soon}]
`,
      'rules:\n  - id: a\n    when: {all: [{fact: usr, operator: equal, value: x}]}\n',
    );
    expect(lines).toEqual([
      'rules.yaml:3:25: unknown fact "usr"; did you mean "user"?',
      'tests/t.yaml:7:28: at "soon" is not a duration; write e.g. 1m30s (units ms, s, m, h, d)',
      'no test ran: the rules have errors (above)',
      'tests/t.yaml: its tests did not run: the file has errors (above)',
      '0 tests, 0 passed, 0 failed',
    ]);
    expect(report).toMatchObject({ ok: false, rulesLoaded: false, results: [] });
  });

  it('refuses an advanceTo before the last event and a start that is no date', async () => {
    const { lines } = await run(String.raw`
tests:
  - name: x
    start: 2026-02-30T08:00:00Z
    events: [{at: 0s, kind: session.start, user: 'CORP\jdoe', repeat: 3, every: 1m}]
    advanceTo: 1m
    expect: []
`);
    expect(lines.slice(0, 2)).toEqual([
      'tests/t.yaml:4:12: start "2026-02-30T08:00:00Z" is not a valid date and time',
      'tests/t.yaml:6:16: advanceTo 1m is before the last event (at 2m); time only runs forward: leave advanceTo out, or make it later',
    ]);
  });
});

describe('rules test: events', () => {
  it('decodes raw datagrams like the sidecar; an unexpected reject, or a wrong reason, fails the test', async () => {
    const { lines } = await run(String.raw`
tests:
  - name: datagrams
    start: 2026-11-30T08:00:00Z
    events:
      - {at: 0s, datagram: '/qseow-proxy-session/;SENSE-NODE1;Start session;ACME;mallory;AppAccess;/hub/;Start session for user', repeat: 2}
      - {at: 1m, datagram: '/qseow-proxy-session/;SENSE-NODE1;Start session'}
      - {at: 2m, datagram: '/qseow-proxy-session/;SENSE-NODE1;Open session;ACME;x;;/hub/;', rejected: unknown-command}
      - {at: 3m, datagram: 'hello', rejected: too-few-fields}
      - {at: 4m, datagram: '/qseow-proxy-session/;SENSE-NODE1;Stop session;ACME;mallory;;/hub/;', rejected: empty-user-id}
    expect: [{rule: leaver-login, count: 2, at: 0s}]
`);
    expect(lines).toEqual([
      'FAIL tests/t.yaml: datagrams',
      '  tests/t.yaml:7:9: the datagram at 1m is rejected (too-few-fields: datagram has 3 fields; expected at least 7 (type;host;command;directory;userId;origin;context[;message])); fix it, or add rejected: too-few-fields if that is the point',
      '  tests/t.yaml:9:9: expected the datagram at 3m to be rejected as too-few-fields, but the reason is unknown-prefix: unknown prefix "hello"; expected one of "/qseow-proxy-session/", "/qseow-proxy-connection/", "/proxy-session/", "/proxy-connection/"',
      '  tests/t.yaml:10:9: expected the datagram at 4m to be rejected as empty-user-id, but it decodes as session.stop of ACME\\mallory',
      '  published 2 alerts (6 events sent):',
      "    - {rule: leaver-login, key: 'ACME\\mallory', status: firing, at: 0s}  # critical: ACME\\mallory is a leaver",
      "    - {rule: leaver-login, key: 'ACME\\mallory', status: firing, at: 0s}  # critical: ACME\\mallory is a leaver",
      '1 test, 0 passed, 1 failed',
    ]);
  });

  it('replaces {{n}} per repetition and keeps the written order within an instant', async () => {
    const { report } = await run(String.raw`
tests:
  - name: five users are not one user
    start: 2026-11-30T08:00:00Z
    events:
      - {at: 0s, kind: session.start, user: 'CORP\u{{n}}', host: 'NODE-{{n}}', repeat: 5}
    expect: []
  - name: a stop written after the starts of its instant counts after them
    start: 2026-11-30T08:00:00Z
    events:
      - {at: 10s, kind: session.start, user: 'CORP\x', repeat: 5}
      - {at: 10s, kind: session.stop, user: 'CORP\x'}
    expect:
      - {rule: parallel-session-limit, status: firing, at: 10s}
      - {rule: parallel-session-limit, status: resolved, at: 10s}
  - name: events are played in time order whatever order they are written in
    start: 2026-11-30T08:00:00Z
    events:
      - {at: 1m, kind: session.stop, user: 'CORP\x'}
      - {at: 0s, kind: session.start, user: 'CORP\x', repeat: 5, every: 1s}
    expect:
      - {rule: parallel-session-limit, status: firing, at: 4s}
      - {rule: parallel-session-limit, status: resolved, at: 1m}
`);
    expect(report.results.map((result) => [result.name, result.passed, result.failures])).toEqual([
      ['five users are not one user', true, []],
      ['a stop written after the starts of its instant counts after them', true, []],
      ['events are played in time order whatever order they are written in', true, []],
    ]);
  });

  it('defaults host, origin, context and message, and parses the user agent like the sidecar', async () => {
    const rules = String.raw`
rules:
  - id: chrome-on-app
    on: [connection.open]
    when:
      all:
        - {fact: browser, operator: equal, value: Chrome}
        - {fact: appId, operator: equal, value: ${GUID}}
        - {fact: context, operator: equal, value: /app/${GUID}}
        - {fact: origin, operator: equal, value: AppAccess}
    message: '{{user}} on {{host}} with {{browser}} on {{os}} in {{appId}}'
`;
    const { report } = await run(
      String.raw`
tests:
  - name: defaults
    start: 2026-11-30T08:00:00Z
    events:
      - at: 0s
        kind: connection.open
        user: 'CORP\jdoe'
        app: ${GUID}
        userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
    expect: [{rule: chrome-on-app, message: 'CORP\jdoe on SENSE-NODE1 with Chrome on Windows in ${GUID}'}]
`,
      rules,
    );
    expect(report.results[0]?.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

describe('rules test: virtual time', () => {
  it('expires a silent session 35 minutes on as session.expired, which state counts', async () => {
    const { report } = await run(
      String.raw`
tests:
  - name: jdoe is silent, busy keeps an app open
    start: 2026-11-30T08:00:00Z
    events:
      - {at: 0s, kind: session.start, user: 'CORP\jdoe'}
      - {at: 0s, kind: session.start, user: 'CORP\busy'}
      - {at: 1s, kind: connection.open, user: 'CORP\busy', app: ${GUID}}
    advanceTo: 40m
    expect:
      - {rule: expired, key: 'CORP\jdoe', at: 35m10s, count: 1, message: 'CORP\jdoe: 1 expiry'}
    forbid: [{rule: expired, key: 'CORP\busy'}]
  - name: not yet at 35 minutes
    start: 2026-11-30T08:00:00Z
    events: [{at: 0s, kind: session.start, user: 'CORP\jdoe'}]
    advanceTo: 35m
    expect: []
`,
      TIME_RULES,
    );
    expect(report.results.map((result) => result.failures)).toEqual([[], []]);
    expect(report.results[0]?.expired).toEqual([
      { atMs: 35 * 60_000 + 10_000, user: 'CORP\\jdoe', host: 'SENSE-NODE1', sessions: 1 },
    ]);
    expect(report.results[1]?.expired).toEqual([]);
  });

  it('takes the inactivity timeout and grace from the file, and ticks at an advanceTo off the 10 s grid', async () => {
    const { report } = await run(
      String.raw`
sessions: {inactivityTimeout: 10m, expiryGrace: 0s}
tests:
  - name: expiry after 10 minutes
    start: 2026-11-30T08:00:00Z
    events: [{at: 3s, kind: session.start, user: 'CORP\jdoe'}]
    advanceTo: 10m5s
    expect: [{rule: expired, at: 10m5s}]
`,
      TIME_RULES,
    );
    expect(report.results[0]?.failures).toEqual([]);
  });

  it('resolves an alert when its window empties, with no event (a tick re-checks it)', async () => {
    const { report } = await run(
      String.raw`
tests:
  - name: burst resolves by time
    start: 2026-11-30T08:00:00Z
    events: [{at: 0s, kind: session.start, user: 'CORP\jdoe', repeat: 3, every: 10s}]
    advanceTo: 6m
    expect:
      - {rule: burst, status: firing, at: 20s, message: 'CORP\jdoe: 3 starts in 5 minutes'}
      # Counts are bucketed by 10 s: the start at 0s leaves the 5m window at 5m10s.
      - {rule: burst, status: resolved, at: 5m10s, count: 1}
`,
      TIME_RULES,
    );
    expect(report.results[0]?.failures).toEqual([]);
  });
});

describe('rules test: per-file settings', () => {
  const OFFICE = String.raw`
schedules:
  office:
    windows: [{days: weekdays, from: '08:00', to: '17:00'}]
rules:
  - id: after-hours
    on: [session.start]
    when: {all: [{fact: inSchedule, params: {name: office}, operator: equal, value: false}]}
    key: user
`;
  const TEST = String.raw`
tests:
  - name: a log-in at 07:30 UTC
    start: 2026-11-30T07:30:00Z
    events: [{at: 0s, kind: session.start, user: 'CORP\jdoe'}]
    expect: [after-hours]
`;

  it('uses the default timezone, or the file timezone, for schedules without their own', async () => {
    const report = await runRuleTests({
      ruleSources: [{ name: 'rules.yaml', text: OFFICE }],
      testSources: [
        { name: 'utc.yaml', text: TEST },
        // 07:30 UTC is 16:30 in Tokyo: office hours.
        { name: 'tokyo.yaml', text: `timezone: Asia/Tokyo\n${TEST}` },
      ],
      defaultTimezone: 'UTC',
    });
    expect(formatRuleTestReport(report)).toEqual([
      'ok   utc.yaml: a log-in at 07:30 UTC',
      'FAIL tokyo.yaml: a log-in at 07:30 UTC',
      '  tokyo.yaml:7:14: expected {rule: after-hours}, but no such alert was published',
      '  no alerts were published (1 event sent)',
      '2 tests, 1 passed, 1 failed',
    ]);
  });

  it('replaces lists of the rules for the file, and refuses lists the rules do not have', async () => {
    const { report } = await run(String.raw`
lists:
  leavers: ['CORP\test.leaver']
tests:
  - name: the replaced list is used
    start: 2026-11-30T08:00:00Z
    events:
      - {at: 0s, kind: session.start, user: 'CORP\test.leaver'}
      - {at: 0s, kind: session.start, user: 'ACME\mallory'}
    expect: [{rule: leaver-login, key: 'CORP\test.leaver', count: 1}]
    forbid: [{rule: leaver-login, key: 'ACME\mallory'}]
`);
    expect(report.results[0]?.failures).toEqual([]);
    const bad = await run(String.raw`
lists:
  leaver: ['CORP\x', 'nobody']
tests:
  - {name: x, start: 2026-11-30T08:00:00Z, expect: []}
`);
    expect(bad.lines[0]).toBe(
      'tests/t.yaml:3:3: the rules have no list "leaver" to replace; did you mean "leavers"?',
    );
  });
});

describe('rules test: the documented example', () => {
  it('is a valid test file that passes against the rule file example', async () => {
    const source = readFileSync(new URL('../../src/rules/test-runner/index.ts', import.meta.url), 'utf8');
    const block = /```yaml\n([\s\S]*?)\n \* ```/.exec(source)?.[1];
    expect(block).toBeDefined();
    const text = (block ?? '')
      .split('\n')
      .map((line) => line.replace(/^ \* ?/, ''))
      .join('\n');
    const rules = readFileSync(new URL('../fixtures/rules/valid-full/rules.yaml', import.meta.url), 'utf8');
    const report = await runRuleTests({
      ruleSources: [{ name: 'rules.yaml', text: rules }],
      testSources: [{ name: 'example.yaml', text }],
      defaultTimezone: 'UTC',
    });
    expect(
      formatRuleTestReport(report, { verbose: true }).filter((line) => !line.includes('warning: schedule')),
    ).toEqual([
      'ok   example.yaml: mallory reaches the Qlik limit of 5 parallel sessions',
      '  published 2 alerts (11 events sent):',
      "    - {rule: parallel-session-limit, key: 'CORP\\mallory', status: firing, at: 40s}  # warning: CORP\\mallory holds 5 sessions on SENSE-NODE1 (Qlik allows 5)",
      "    - {rule: parallel-session-limit, key: 'CORP\\mallory', status: resolved, at: 35m50s}  # warning: CORP\\mallory holds 0 sessions on SENSE-NODE1 (Qlik allows 5)",
      '  sessions expired:',
      '    - at 35m50s: CORP\\mallory on SENSE-NODE1 (5 sessions)',
      '  events dropped: exclude-service-accounts 3',
      '1 test, 1 passed, 0 failed',
    ]);
  });
});

describe('rules test: helpers', () => {
  it('reads start only with a UTC offset', () => {
    expect(parseStart('2026-11-30T08:00:00+01:00')).toEqual({ value: Date.parse('2026-11-30T07:00:00Z') });
    expect(parseStart('2026-11-30T08:00Z')).toEqual({ value: Date.parse('2026-11-30T08:00:00Z') });
    expect(parseStart('2026-11-30 08:00:00.5-05:30')).toEqual({
      value: Date.parse('2026-11-30T13:30:00.500Z'),
    });
    expect(parseStart('2026-11-30T25:00:00Z')).toEqual({
      problem: 'start "2026-11-30T25:00:00Z" is not a valid date and time',
    });
    expect(parseStart(20261130)).toEqual({
      problem:
        'start must be a date and time with its UTC offset, e.g. 2026-11-30T08:00:00+01:00 (or Z for UTC), got "20261130"',
    });
  });

  it('writes offsets as durations the test format reads back', () => {
    expect([0, 500, 40_000, 90_000, 2_150_000, 3_600_000, 90_061_001].map(formatOffset)).toEqual([
      '0s',
      '500ms',
      '40s',
      '1m30s',
      '35m50s',
      '1h',
      '1d1h1m1s1ms',
    ]);
  });
});
