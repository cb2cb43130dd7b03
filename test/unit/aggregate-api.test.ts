import { describe, expect, it } from 'vitest';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import { HistoryStore } from '../../src/aggregate/history-store.js';
import {
  alertsBody,
  loginsBody,
  nodesBody,
  nowBody,
  onlineBody,
  parseAlertsQuery,
  parseLoginsQuery,
  parseNowQuery,
  parseOnlineQuery,
  parsePeaksQuery,
  parseUserHistoryQuery,
  peaksBody,
  userHistoryBody,
} from '../../src/aggregate/http/api-queries.js';
import { answerSessions, parseSessionsQuery } from '../../src/aggregate/sessions-query.js';
import { alertMessage, HOUR, MIN, statusMessage, T0, userEvent } from '../fixtures/aggregate/messages.js';

const APP = 'e7af59a0-c243-480d-9571-08727551a66f';
const NOW = T0 + 2 * HOUR;
const q = (text: string): URLSearchParams => new URLSearchParams(text);

describe('API query strings', () => {
  it('defaults the ranges to the recent past, ending now', () => {
    expect(parsePeaksQuery(q(''), NOW)).toEqual({
      ok: true,
      query: { unit: 'hour', from: NOW - 24 * HOUR, to: NOW, host: undefined, timeZone: 'UTC' },
    });
    expect(parseLoginsQuery(q('unit=hour&host=SENSE-NODE1'), NOW)).toMatchObject({
      ok: true,
      query: { unit: 'hour', from: NOW - 24 * HOUR, to: NOW, host: 'SENSE-NODE1' },
    });
    expect(parseLoginsQuery(q(''), NOW)).toMatchObject({
      ok: true,
      query: { unit: 'minute', from: NOW - HOUR },
    });
    expect(parseAlertsQuery(q(''), NOW)).toEqual({
      ok: true,
      query: { from: NOW - 24 * HOUR, to: null, limit: 100, host: undefined },
    });
    expect(parseNowQuery(q(''))).toEqual({ ok: true, query: { limit: 1000 } });
  });

  const errors: [string, { ok: boolean; error?: string }, RegExp][] = [
    ['unit=week', parsePeaksQuery(q('unit=week'), NOW), /unit: must be minute, hour or day \(got "week"\)/],
    ['logins unit=day', parseLoginsQuery(q('unit=day'), NOW), /unit: must be minute or hour/],
    [
      'from after to',
      parsePeaksQuery(q('from=2026-11-30T10:00:00Z&to=2026-11-30T09:00:00Z'), NOW),
      /from must be before to/,
    ],
    [
      'no offset',
      parseAlertsQuery(q('from=2026-11-30T10:00:00'), NOW),
      /from: not an ISO 8601 time with an offset/,
    ],
    [
      'too long',
      parseLoginsQuery(q('from=2026-01-01T00:00:00Z&to=2026-11-30T00:00:00Z'), NOW),
      /spans more than 7 days/,
    ],
    ['limit', parseAlertsQuery(q('limit=0'), NOW), /limit: must be an integer between 1 and 1000/],
    ['unknown', parseNowQuery(q('limt=5')), /unknown parameter "limt" \(known: limit\)/],
    ['twice', parsePeaksQuery(q('unit=day&unit=hour'), NOW), /"unit" given more than once/],
    ['tz', parsePeaksQuery(q('tz=Mars/Olympus'), NOW), /tz: not an IANA time zone/],
    ['user', parseUserHistoryQuery('jdoe', q(''), NOW), /user: expected DIRECTORY\\userId/],
    ['app', parseSessionsQuery(q('app=')), /app: must not be empty/],
  ];
  for (const [name, result, error] of errors) {
    it(`says what to change: ${name}`, () => {
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(error);
    });
  }
});

describe('API answers', () => {
  const view = new ClusterView({ expectedNodes: ['SENSE-NODE3'] }, T0);
  const store = new HistoryStore(':memory:');
  const feed = (input: Parameters<ClusterView['apply']>[0], at: number): void => {
    store.record(view.apply(input, at).changes);
  };
  feed(userEvent({ id: 'a1', time: T0, kind: 'session.start', user: 'CORP\\ann' }), T0);
  feed(
    userEvent({ id: 'j1', time: T0 + MIN, kind: 'session.start', user: 'CORP\\jdoe', host: 'SENSE-NODE2' }),
    T0 + MIN,
  );
  feed(
    userEvent({
      id: 'j2',
      time: T0 + 2 * MIN,
      kind: 'connection.open',
      user: 'CORP\\jdoe',
      host: 'SENSE-NODE2',
      app: APP,
      userAgent: {
        raw: 'Mozilla/5.0',
        browser: 'Chrome',
        browserVersion: '120.0',
        os: 'Windows',
        osVersion: '10',
      },
    }),
    T0 + 2 * MIN,
  );
  feed(userEvent({ id: 'a2', time: T0 + HOUR, kind: 'session.stop', user: 'CORP\\ann' }), T0 + HOUR);
  feed(statusMessage('st1', 'SENSE-NODE1', NOW - 1000, { received: 2 }), NOW - 1000);
  feed(alertMessage({ alertId: 'al', status: 'firing', time: T0 + 3 * MIN }), T0 + 3 * MIN);

  it('/api/now: totals, hosts, apps and users', () => {
    expect(nowBody(view, NOW)).toEqual({
      at: '2026-11-30T10:00:00.000Z',
      totals: { sessions: 1, connections: 1, users: 1, hosts: 1, apps: 1 },
      hosts: [{ host: 'SENSE-NODE2', node: 'SENSE-NODE2', sessions: 1, connections: 1, users: 1 }],
      apps: [{ appId: APP, connections: 1, users: 1 }],
      users: [
        { user: { directory: 'CORP', id: 'jdoe' }, sessions: 1, connections: 1, hosts: ['SENSE-NODE2'] },
      ],
      truncated: { apps: false, users: false },
    });
    expect(nowBody(view, NOW, 0).truncated).toEqual({ apps: true, users: true });
  });

  it('/api/online: one row per host and user, with since, apps, browser and OS', () => {
    expect(onlineBody(view, NOW)).toEqual({
      at: '2026-11-30T10:00:00.000Z',
      total: 1,
      truncated: false,
      rows: [
        {
          host: 'SENSE-NODE2',
          node: 'SENSE-NODE2',
          user: { directory: 'CORP', id: 'jdoe' },
          since: '2026-11-30T08:01:00.000Z',
          lastEventAt: '2026-11-30T08:02:00.000Z',
          sessions: 1,
          connections: 1,
          apps: [APP],
          browser: 'Chrome 120.0',
          os: 'Windows 10',
        },
      ],
    });
    expect(onlineBody(view, NOW, 0)).toMatchObject({ total: 1, truncated: true, rows: [] });
    expect(parseOnlineQuery(q('limit=100001'))).toMatchObject({ ok: false });
    expect(parseOnlineQuery(q('host=x'))).toMatchObject({ ok: false, error: /unknown parameter "host"/ });
  });

  it('/api/nodes: liveness with ISO times and a reason for silence', () => {
    const body = nodesBody(view, NOW, { statusSilentAfterMs: 35_000, datagramsSilentAfterMs: 30 * MIN });
    const byName = Object.fromEntries(body.nodes.map((n) => [n.node, n]));
    expect(byName['SENSE-NODE1']).toMatchObject({
      silent: true,
      silentReasons: ['no-datagrams'],
      lastStatusAt: '2026-11-30T09:59:59.000Z',
      lastEventAt: '2026-11-30T09:00:00.000Z',
      lastSeenAgeSeconds: 1,
    });
    expect(byName['SENSE-NODE1']?.reason).toMatch(/^no datagram received for over 30 minutes/);
    expect(byName['SENSE-NODE3']).toMatchObject({ expected: true, silent: true, lastStatusAt: null });
    expect(byName['SENSE-NODE3']?.reason).toMatch(/^no status message for over 35 seconds/);
  });

  it('/api/sessions with app: users with a connection to the app, now and in the past alike', () => {
    const now = answerSessions({ app: APP.toUpperCase() }, NOW, view, store);
    const past = answerSessions({ app: APP, at: T0 + 30 * MIN }, NOW, view, store);
    const rows = (r: typeof now): string[] =>
      r.ok ? r.body.sessions.map((s) => `${s.host} ${s.user.id}`) : [];
    expect(rows(now)).toEqual(['SENSE-NODE2 jdoe']);
    expect(rows(past)).toEqual(['SENSE-NODE2 jdoe']);
    expect(rows(answerSessions({ app: 'other' }, NOW, view, store))).toEqual([]);
  });

  it('/api/users/<user>/history: sessions and connections with how they ended', () => {
    const parsed = parseUserHistoryQuery('corp\\ANN', q(''), NOW);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(userHistoryBody(store, parsed.query)).toEqual({
      user: 'corp\\ANN',
      from: '2026-11-23T10:00:00.000Z',
      to: '2026-11-30T10:00:00.000Z',
      sessions: [
        {
          id: 'a1',
          host: 'SENSE-NODE1',
          node: 'SENSE-NODE1',
          user: { directory: 'CORP', id: 'ann' },
          start: '2026-11-30T08:00:00.000Z',
          end: '2026-11-30T09:00:00.000Z',
          endReason: 'stop',
        },
      ],
      connections: [],
      truncated: { sessions: false, connections: false },
    });
  });

  it('/api/peaks and /api/logins: buckets over the history', () => {
    const peaks = parsePeaksQuery(q('from=2026-11-30T08:00:00Z&to=2026-11-30T10:00:00Z'), NOW);
    if (!peaks.ok) throw new Error(peaks.error);
    expect(peaksBody(store, peaks.query).buckets).toEqual([
      {
        start: '2026-11-30T08:00:00.000Z',
        peakUsers: 2,
        peakAt: '2026-11-30T08:01:00.000Z',
        peakSessions: 2,
      },
      {
        start: '2026-11-30T09:00:00.000Z',
        peakUsers: 1,
        peakAt: '2026-11-30T09:00:00.000Z',
        peakSessions: 1,
      },
    ]);
    const minutes = parsePeaksQuery(q('unit=minute&from=2026-11-30T08:00:00Z&to=2026-11-30T08:03:00Z'), NOW);
    if (!minutes.ok) throw new Error(minutes.error);
    expect(peaksBody(store, minutes.query).buckets.map((b) => b.peakUsers)).toEqual([1, 2, 2]);
    expect(parsePeaksQuery(q('unit=minute&from=2026-11-27T00:00:00Z'), NOW)).toMatchObject({
      ok: false,
      error: /spans more than 2 days/,
    });
    const logins = parseLoginsQuery(q('unit=hour&from=2026-11-30T08:00:00Z&to=2026-11-30T10:00:00Z'), NOW);
    if (!logins.ok) throw new Error(logins.error);
    expect(loginsBody(store, logins.query)).toMatchObject({
      unit: 'hour',
      host: null,
      total: 2,
      buckets: [
        { start: '2026-11-30T08:00:00.000Z', logins: 2 },
        { start: '2026-11-30T09:00:00.000Z', logins: 0 },
      ],
    });
  });

  it('/api/alerts: firing now plus recent notices with ISO times', () => {
    const parsed = parseAlertsQuery(q('limit=5'), NOW);
    if (!parsed.ok) throw new Error(parsed.error);
    const body = alertsBody(view, store, parsed.query);
    expect(body.to).toBeNull();
    expect(body.firing.map((a) => [a.alertId, a.time])).toEqual([['al', '2026-11-30T08:03:00.000Z']]);
    expect(body.alerts.map((a) => [a.id, a.status])).toEqual([['al-f1', 'firing']]);
  });
});
