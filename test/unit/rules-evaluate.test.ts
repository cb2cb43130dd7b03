import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../src/core/events.js';
import { compileRules } from '../../src/rules/engine/compile.js';
import { RuleEvaluator } from '../../src/rules/engine/evaluator.js';
import { Judge } from '../../src/rules/judge.js';
import { loadRuleSources } from '../../src/rules/load/index.js';
import { LiveState } from '../../src/state/live-state.js';

const T0 = Date.parse('2026-11-30T07:30:00Z'); // Monday 08:30 in Stockholm

function start(user: string, host = 'SENSE-NODE1'): UserEvent {
  const [directory = '', id = ''] = user.split('\\');
  return {
    kind: 'session.start',
    host,
    user: { directory, id },
    origin: 'AppAccess',
    context: '/hub/',
    appId: null,
    userAgent: null,
    message: '',
  };
}
function stop(user: string, host = 'SENSE-NODE1'): UserEvent {
  return { ...start(user, host), kind: 'session.stop' };
}

const STATE_OPTIONS = { inactivityTimeoutMs: 30 * 60_000, graceMs: 5 * 60_000 };

function judgeFor(yaml: string, state = new LiveState(STATE_OPTIONS)): Judge {
  const loaded = loadRuleSources([{ name: 'rules.yaml', text: yaml }], {
    defaultTimezone: 'Europe/Stockholm',
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const compiled = compileRules(loaded.ruleSet, { defaultTimezone: 'Europe/Stockholm', state });
  return new Judge(state, new RuleEvaluator(compiled, { maxEpisodes: 1000 }));
}

const LIMIT = `
rules:
  - id: parallel-session-limit
    severity: warning
    on: [session.start]
    when: {all: [{fact: activeSessions, params: {per: user}, operator: greaterThanInclusive, value: 5}]}
    key: user
    throttle: 30m
    resolve: true
    message: '{{user}} holds {{facts.activeSessions}} sessions on {{host}}'
`;

describe('rule evaluation through the judge', () => {
  it('fires once at the threshold with the facts and thresholds, throttles, then resolves', async () => {
    const judge = judgeFor(LIMIT);
    const fired = [];
    for (let i = 0; i < 7; i++) {
      const { notices } = await judge.event(start('CORP\\mallory'), `E${i}`, T0 + i * 1000);
      fired.push(...notices);
    }
    expect(fired).toHaveLength(1);
    const [alert] = fired;
    expect(alert).toMatchObject({
      status: 'firing',
      key: 'CORP\\mallory',
      notification: 1,
      message: 'CORP\\mallory holds 5 sessions on SENSE-NODE1',
      facts: { activeSessions: 5 },
      eventIds: ['E4'],
      firingSince: T0 + 4000,
    });
    expect(alert?.conditions).toEqual([
      {
        fact: 'activeSessions',
        params: { per: 'user' },
        operator: 'greaterThanInclusive',
        value: 5,
        factResult: 5,
        result: true,
      },
    ]);
    // Sessions 6 and 7 match again inside the throttle: held back, counted.
    expect(judge.evaluator.counters.throttled.get('parallel-session-limit')).toBe(2);

    // Still at the limit: the episode goes on silently; 6 → 5 still holds, 5 → 4 resolves.
    expect((await judge.event(stop('CORP\\mallory'), 'S1', T0 + 10_000)).notices).toEqual([]);
    expect((await judge.event(stop('CORP\\mallory'), 'S2', T0 + 11_000)).notices).toEqual([]);
    const { notices } = await judge.event(stop('CORP\\mallory'), 'S3', T0 + 12_000);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      status: 'resolved',
      alertId: alert?.alertId,
      facts: { activeSessions: 4 },
    });
  });

  it('repeats a firing resolve rule only after its throttle, with the same alert id', async () => {
    const judge = judgeFor(LIMIT);
    const all = [];
    for (let i = 0; i < 5; i++) all.push(...(await judge.event(start('CORP\\m'), `A${i}`, T0)).notices);
    all.push(...(await judge.event(start('CORP\\m'), 'B', T0 + 29 * 60_000)).notices);
    expect(judge.evaluator.counters.throttled.get('parallel-session-limit')).toBe(1);
    all.push(...(await judge.event(start('CORP\\m'), 'C', T0 + 30 * 60_000)).notices);
    expect(all.map((n) => [n.status, n.notification])).toEqual([
      ['firing', 1],
      ['firing', 2],
    ]);
    expect(all[0]?.alertId).toBe(all[1]?.alertId);
  });

  it('keys per user: two users each get their own alert', async () => {
    const judge = judgeFor(LIMIT);
    const keys: string[] = [];
    for (const user of ['CORP\\a', 'CORP\\b']) {
      for (let i = 0; i < 5; i++)
        keys.push(...(await judge.event(start(user), 'x', T0)).notices.map((n) => n.key));
    }
    expect(keys).toEqual(['CORP\\a', 'CORP\\b']);
  });

  it('runs drop rules before state: a dropped event is neither counted nor alerted on', async () => {
    const judge = judgeFor(`
lists:
  service-accounts: ['INTERNAL\\sa_*']
rules:
  - id: exclude-service-accounts
    when: {all: [{fact: user, operator: inList, value: service-accounts}]}
    action: drop
${LIMIT.replace('rules:\n', '')}`);
    for (let i = 0; i < 6; i++) {
      const outcome = await judge.event(start('INTERNAL\\sa_scheduler'), 'x', T0);
      expect(outcome).toEqual({ droppedBy: 'exclude-service-accounts', notices: [] });
    }
    expect(judge.state.activeSessions('user', start('INTERNAL\\sa_scheduler'))).toBe(0);
    expect(judge.evaluator.counters.dropped.get('exclude-service-accounts')).toBe(6);
  });

  it('fires a rule without key or throttle on every match, each with its own id', async () => {
    const judge = judgeFor(`
lists:
  leavers: ['ACME\\mallory']
rules:
  - id: leaver-login
    severity: critical
    on: [session.start]
    when: {all: [{fact: user, operator: inList, value: leavers}]}
    message: '{{user}} is on the leavers list and started a session on {{host}}'
`);
    const a = await judge.event(start('acme\\MALLORY'), 'E1', T0);
    const b = await judge.event(start('ACME\\mallory'), 'E2', T0);
    expect(a.notices[0]?.message).toBe(
      'acme\\MALLORY is on the leavers list and started a session on SENSE-NODE1',
    );
    expect(b.notices).toHaveLength(1);
    expect(a.notices[0]?.alertId).not.toBe(b.notices[0]?.alertId);
    expect((await judge.event(stop('ACME\\mallory'), 'E3', T0)).notices).toEqual([]);
  });

  it('reads hour and weekday and schedules in the zone, across daylight saving', async () => {
    const judge = judgeFor(`
schedules:
  peak-hours:
    timezone: Europe/Stockholm
    windows: [{days: [mon, tue, wed, thu, fri], from: '08:00', to: '10:00'}]
rules:
  - id: peak-login
    on: [session.start]
    when: {all: [{fact: inSchedule, params: {name: peak-hours}, operator: equal, value: true}, {fact: weekday, operator: equal, value: mon}]}
`);
    const at = async (iso: string) =>
      (await judge.event(start(`CORP\\u${iso}`), 'x', Date.parse(iso))).notices.length;
    expect(await at('2026-11-30T07:30:00Z')).toBe(1); // winter: 08:30 local
    expect(await at('2026-11-30T06:30:00Z')).toBe(0); // 07:30 local
    expect(await at('2026-03-30T06:30:00Z')).toBe(1); // summer time: 08:30 local, a Monday
    expect(await at('2026-12-01T07:30:00Z')).toBe(0); // a Tuesday
  });

  it('resolves by time on a tick when a window empties', async () => {
    const judge = judgeFor(`
rules:
  - id: churn
    on: [session.start]
    when: {all: [{fact: eventCount, params: {kind: session.start, per: user, window: 5m}, operator: greaterThan, value: 2}]}
    key: user
    resolve: true
`);
    const fired = [];
    for (let i = 0; i < 3; i++) fired.push(...(await judge.event(start('CORP\\c'), `E${i}`, T0 + i)).notices);
    expect(fired.map((n) => n.status)).toEqual(['firing']);
    expect((await judge.tick(T0 + 60_000, () => 'id')).notices).toEqual([]);
    const later = await judge.tick(T0 + 6 * 60_000, () => 'id');
    expect(later.notices.map((n) => [n.status, n.rule.id, n.key])).toEqual([
      ['resolved', 'churn', 'CORP\\c'],
    ]);
  });

  it('expires silent sessions on a tick and lets rules see the expiry', async () => {
    const judge = judgeFor(`
rules:
  - id: expired
    on: [session.expired]
    when: {all: [{fact: kind, operator: equal, value: session.expired}]}
    key: user
`);
    await judge.event(start('CORP\\lost'), 'E1', T0);
    expect((await judge.tick(T0 + 34 * 60_000, () => 'X')).expired).toEqual([]);
    const { expired, notices } = await judge.tick(T0 + 36 * 60_000, () => 'X1');
    expect(expired.map((e) => [e.id, e.event.user.id, e.event.sessions])).toEqual([['X1', 'lost', 1]]);
    expect(notices.map((n) => n.eventIds)).toEqual([['X1']]);
    expect(judge.state.activeSessions('user', start('CORP\\lost'))).toBe(0);
  });

  it('keeps throttle memory across a reload for unchanged rules only', async () => {
    const judge = judgeFor(LIMIT);
    for (let i = 0; i < 5; i++) await judge.event(start('CORP\\m'), 'x', T0);
    const reload = (yaml: string) => {
      const loaded = loadRuleSources([{ name: 'rules.yaml', text: yaml }], {
        defaultTimezone: 'Europe/Stockholm',
      });
      if (!loaded.ok) throw new Error('bad');
      judge.evaluator.replace(
        compileRules(loaded.ruleSet, { defaultTimezone: 'Europe/Stockholm', state: judge.state }),
      );
    };
    reload(LIMIT);
    expect((await judge.event(start('CORP\\m'), 'y', T0 + 1000)).notices).toEqual([]);
    reload(LIMIT.replace('throttle: 30m', 'throttle: 20m'));
    // Changed rule: its memory is gone, so the still-true condition fires anew.
    expect((await judge.event(start('CORP\\m'), 'z', T0 + 2000)).notices.map((n) => n.status)).toEqual([
      'firing',
    ]);
  });
});

describe('every fact and operator, evaluated by json-rules-engine against live state', () => {
  const APP = 'e7af59a0-c243-480d-9571-08727551a66f';
  const open = (user: string, host = 'SENSE-NODE1'): UserEvent => ({
    ...start(user, host),
    kind: 'connection.open',
    appId: APP,
    context: `/app/${APP}`,
    userAgent: { raw: 'ua', browser: 'Firefox', browserVersion: '121.0', os: 'Linux', osVersion: null },
  });

  /** Whether a one-condition rule on `kinds` matches the last of `events` (all at T0). */
  async function matches(condition: string, events: UserEvent[], on = '[session.start, connection.open]') {
    const judge = judgeFor(`
lists:
  people: ['CORP\\a*']
rules:
  - id: probe
    on: ${on}
    when: {all: [${condition}]}
`);
    let last: readonly unknown[] = [];
    for (const [i, event] of events.entries()) last = (await judge.event(event, `E${i}`, T0 + i)).notices;
    return last.length === 1;
  }

  it.each([
    [
      '{fact: activeSessions, params: {per: host}, operator: equal, value: 2}',
      [start('CORP\\a'), start('CORP\\b')],
      true,
    ],
    [
      '{fact: activeSessions, params: {per: host}, operator: equal, value: 2}',
      [start('CORP\\a'), start('CORP\\b', 'N2')],
      false,
    ],
    [
      '{fact: activeConnections, params: {per: app}, operator: equal, value: 2}',
      [open('CORP\\a'), open('CORP\\b')],
      true,
    ],
    [
      '{fact: activeConnections, params: {per: user}, operator: equal, value: 1}',
      [open('CORP\\a'), open('CORP\\b')],
      true,
    ],
    [
      '{fact: activeConnections, params: {per: host}, operator: equal, value: 2}',
      [open('CORP\\a'), open('CORP\\b', 'N2')],
      false,
    ],
    [
      '{fact: eventCount, params: {window: 1m, per: app}, operator: equal, value: 2}',
      [open('CORP\\a'), open('CORP\\b')],
      true,
    ],
    [
      '{fact: eventCount, params: {window: 1m, kind: connection.open}, operator: equal, value: 1}',
      [start('CORP\\a'), open('CORP\\b')],
      true,
    ],
    [
      '{fact: distinctUsers, params: {window: 1m}, operator: equal, value: 2}',
      [start('CORP\\a'), start('CORP\\a'), start('CORP\\b')],
      true,
    ],
    [
      '{fact: distinctUsers, params: {window: 1m, kind: connection.open}, operator: equal, value: 1}',
      [open('CORP\\a'), start('CORP\\b')],
      true,
    ],
    ['{fact: hour, operator: equal, value: 8}', [start('CORP\\a')], true], // 07:30Z is 08:30 in Stockholm
    ['{fact: weekday, operator: in, value: [sat, sun]}', [start('CORP\\a')], false],
    ['{fact: user, operator: notInList, value: people}', [start('CORP\\bob')], true],
    ['{fact: user, operator: inList, value: people}', [start('corp\\ALICE')], true],
    ["{fact: user, operator: matches, value: '*\\bo*'}", [start('CORP\\bob')], true],
    ["{fact: user, operator: notMatches, value: 'CORP\\*'}", [start('CORP\\bob')], false],
    ['{fact: browser, operator: equal, value: Firefox}', [open('CORP\\a')], true],
    ['{fact: os, operator: equal, value: Linux}', [open('CORP\\a')], true],
    [`{fact: appId, operator: equal, value: ${APP}}`, [open('CORP\\a')], true],
    ['{fact: userDirectory, operator: equal, value: CORP}', [start('CORP\\a')], true],
    ["{fact: userId, operator: matches, value: '*li*'}", [start('CORP\\alice')], true],
    ['{fact: host, operator: notEqual, value: SENSE-NODE1}', [start('CORP\\a')], false],
  ])('%s → %s', async (condition, events, expected) => {
    expect(await matches(condition, events)).toBe(expected);
  });
});

describe('alert memory snapshots', () => {
  it('restores throttle and resolve memory for unchanged rules, and forgets changed ones', async () => {
    const first = judgeFor(LIMIT);
    const fired = [];
    for (let i = 0; i < 5; i++) fired.push(...(await first.event(start('CORP\\m'), `E${i}`, T0)).notices);
    const alertId = fired[0]?.alertId;
    const snapshot = JSON.parse(JSON.stringify(first.evaluator.snapshot())) as ReturnType<
      RuleEvaluator['snapshot']
    >;

    const restoredState = LiveState.restore(first.state.snapshot(), STATE_OPTIONS, T0 + 1000);
    const same = judgeFor(LIMIT, restoredState);
    expect(same.evaluator.restore(snapshot)).toBe(1);
    // Still inside the episode restored from the snapshot: a 6th session does not fire again…
    expect((await same.event(start('CORP\\m'), 'F', T0 + 1000)).notices).toEqual([]);
    // …and going below the limit resolves that same alert.
    await same.event(stop('CORP\\m'), 'S1', T0 + 2000);
    const { notices } = await same.event(stop('CORP\\m'), 'S2', T0 + 3000);
    expect(notices.map((n) => [n.status, n.alertId])).toEqual([['resolved', alertId]]);

    const changed = judgeFor(LIMIT.replace('throttle: 30m', 'throttle: 10m'));
    expect(changed.evaluator.restore(snapshot)).toBe(0);
  });
});
