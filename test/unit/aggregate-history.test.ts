import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bucketBounds } from '../../src/aggregate/buckets.js';
import type { ReceivedEnvelope } from '../../src/contract/envelope.js';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import { SCHEMA_VERSION } from '../../src/aggregate/history-schema.js';
import { HistoryStore } from '../../src/aggregate/history-store.js';
import { peakRows } from '../../src/aggregate/peak-rows.js';
import type { PeakRow, SessionEndReason, ViewChange } from '../../src/aggregate/types.js';
import { alertMessage, HOUR, MIN, SEC, seqId, T0, userEvent } from '../fixtures/aggregate/messages.js';

const DAY = 24 * HOUR;
const BASE_DAY = Date.UTC(2026, 10, 30);

/** 'HH:MM[:SS]' on 2026-11-30 UTC, or a full ISO 8601 time. */
function time(text: string): number {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (m === null) {
    const ms = Date.parse(text);
    if (!Number.isFinite(ms)) throw new Error(`bad time in fixture: ${text}`);
    return ms;
  }
  return BASE_DAY + Number(m[1]) * HOUR + Number(m[2]) * MIN + Number(m[3] ?? 0) * SEC;
}

interface FixtureInterval {
  id: string;
  user: string;
  host: string;
  app?: string;
  start: string;
  end?: string;
  reason?: string;
}
interface Fixture {
  sessions: FixtureInterval[];
  connections: FixtureInterval[];
  sessionsAt: { at: string; host?: string; user?: string; app?: string; expect: string[] }[];
  peaks: {
    from: string;
    to: string;
    bucket: 'hour' | 'day';
    host?: string;
    timeZone?: string;
    expect: { start: string; peakUsers: number; peakAt: string; peakSessions: number }[];
  }[];
  logins: { from: string; to: string; bucket: 'minute' | 'hour'; host?: string; expect: number[] }[];
}

const FIXTURE = parse(
  readFileSync(new URL('../fixtures/aggregate/history-cases.yaml', import.meta.url), 'utf8'),
) as Fixture;

function user(text: string): { directory: string; id: string } {
  const [directory = '', id = ''] = text.split('\\');
  return { directory, id };
}

/** The changes a view would have produced for the fixture's intervals. */
function fixtureChanges(): ViewChange[] {
  const out: ViewChange[] = [];
  for (const s of FIXTURE.sessions) {
    out.push({
      kind: 'session.opened',
      id: s.id,
      host: s.host,
      node: s.host,
      user: user(s.user),
      start: time(s.start),
    });
  }
  for (const c of FIXTURE.connections) {
    out.push({
      kind: 'connection.opened',
      id: c.id,
      host: c.host,
      node: c.host,
      user: user(c.user),
      appId: c.app ?? null,
      start: time(c.start),
    });
  }
  for (const s of FIXTURE.sessions) {
    if (s.end === undefined) continue;
    const reason = (s.reason ?? 'stop') as SessionEndReason;
    out.push({ kind: 'session.closed', id: s.id, end: time(s.end), endId: `${s.id}-end`, reason });
  }
  for (const c of FIXTURE.connections) {
    if (c.end !== undefined) {
      out.push({
        kind: 'connection.closed',
        id: c.id,
        end: time(c.end),
        endId: `${c.id}-end`,
        reason: 'close',
      });
    }
  }
  return out;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aggregate-history-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
const KINDS = {
  memory: (): HistoryStore => new HistoryStore(':memory:'),
  file: (): HistoryStore => new HistoryStore(join(dir, `history-${files++}.db`)),
};

describe.each(Object.keys(KINDS) as (keyof typeof KINDS)[])('HistoryStore (%s)', (kind) => {
  const open = KINDS[kind];

  describe('cases (test/fixtures/aggregate/history-cases.yaml)', () => {
    let store: HistoryStore;
    beforeAll(() => {
      store = open();
      store.record(fixtureChanges());
    });
    afterAll(() => store.close());

    for (const c of FIXTURE.sessionsAt) {
      const filters = [
        c.host && `host ${c.host}`,
        c.user && `user ${c.user}`,
        c.app && `app ${c.app}`,
      ].filter(Boolean);
      it(`sessionsAt ${c.at}${filters.length > 0 ? ` (${filters.join(', ')})` : ''} → [${c.expect.join(', ')}]`, () => {
        const entries = store.sessionsAt(time(c.at), { host: c.host, user: c.user, app: c.app });
        expect(entries.map((e) => idOf(e))).toEqual(c.expect);
      });
    }

    function idOf(e: { host: string; user: { directory: string; id: string }; start: string }): string {
      const found = FIXTURE.sessions.find(
        (s) =>
          s.host === e.host &&
          time(s.start) === Date.parse(e.start) &&
          s.user === `${e.user.directory}\\${e.user.id}`,
      );
      return found?.id ?? '?';
    }

    for (const c of FIXTURE.peaks) {
      it(`peaks per ${c.bucket} ${c.from}..${c.to}${c.host === undefined ? '' : ` on ${c.host}`}${c.timeZone === undefined ? '' : ` in ${c.timeZone}`}`, () => {
        const rows = store.peaks({
          from: time(c.from),
          to: time(c.to),
          bucket: c.bucket,
          ...(c.host === undefined ? {} : { host: c.host }),
          ...(c.timeZone === undefined ? {} : { timeZone: c.timeZone }),
        });
        expect(rows).toEqual(
          c.expect.map((e): PeakRow => ({ ...e, start: time(e.start), peakAt: time(e.peakAt) })),
        );
      });
    }

    for (const c of FIXTURE.logins) {
      it(`log-ins per ${c.bucket} ${c.from}..${c.to}${c.host === undefined ? '' : ` on ${c.host}`}`, () => {
        const rows = store.loginsPer({
          from: time(c.from),
          to: time(c.to),
          bucket: c.bucket,
          ...(c.host === undefined ? {} : { host: c.host }),
        });
        expect(rows.map((r) => r.logins)).toEqual(c.expect);
        const step = c.bucket === 'minute' ? MIN : HOUR;
        expect(rows.map((r) => r.start)).toEqual(c.expect.map((_, i) => time(c.from) + i * step));
      });
    }

    it('the sessions and connections of one user over a period', () => {
      expect(store.userSessions('corp\\ANN', { from: time('00:00'), to: time('23:59') })).toEqual([
        {
          id: 's1',
          host: 'N1',
          node: 'N1',
          user: { directory: 'CORP', id: 'Ann' },
          start: time('08:00'),
          end: time('09:00'),
          endReason: 'stop',
        },
        {
          id: 's3',
          host: 'N2',
          node: 'N2',
          user: { directory: 'corp', id: 'ann' },
          start: time('08:45'),
          end: time('09:30'),
          endReason: 'stop',
        },
      ]);
      // Overlapping the period is enough; [from, to) like every range.
      expect(
        store.userSessions('CORP\\ann', { from: time('09:15'), to: time('09:20') }).map((s) => s.id),
      ).toEqual(['s3']);
      expect(store.userSessions('CORP\\ann', { from: time('09:30'), to: time('10:00') })).toEqual([]);
      expect(store.userSessions('CORP\\cid', { from: time('23:00'), to: time('23:30') })).toMatchObject([
        { id: 's4', end: null, endReason: null },
      ]);
      expect(store.userConnections('CORP\\cid', { from: 0, to: time('23:00') })).toMatchObject([
        { id: 'c2', appId: 'app-a', end: null },
      ]);
      expect(store.userSessions('not a user', { from: 0, to: time('23:00') })).toEqual([]);
    });
  });

  it('writes each change once: recording a batch again changes nothing and counts no log-in twice', () => {
    const store = open();
    const changes = fixtureChanges();
    expect(store.record(changes)).toEqual({ written: changes.length, skipped: 0 });
    expect(store.record(changes)).toEqual({ written: 0, skipped: changes.length });
    expect(
      store.loginsPer({ from: time('07:00'), to: time('11:00'), bucket: 'hour' }).map((r) => r.logins),
    ).toEqual([3, 3, 1, 1]);
    // An end for an interval the history never had (opened before it existed) is skipped.
    expect(store.record([{ kind: 'session.closed', id: 'zz', end: 1, endId: 'x', reason: 'stop' }])).toEqual({
      written: 0,
      skipped: 1,
    });
    store.close();
  });

  it('counts log-ins per minute and per hour, per host or for the cluster', () => {
    const store = open();
    const u = { directory: 'CORP', id: 'x' };
    const starts: [string, string][] = [
      ['N1', '08:00:00'],
      ['N1', '08:00:59'],
      ['N2', '08:00:30'],
      ['N2', '08:02:00'],
      ['N1', '08:59:59'],
      ['N2', '09:00:00'],
    ];
    store.record(
      starts.map(([host, at], i) => ({
        kind: 'session.opened',
        id: `l${i}`,
        host,
        node: host,
        user: u,
        start: time(at),
      })),
    );
    const perMinute = (host?: string): number[] =>
      store
        .loginsPer({
          from: time('08:00'),
          to: time('08:03'),
          bucket: 'minute',
          ...(host === undefined ? {} : { host }),
        })
        .map((r) => r.logins);
    expect(perMinute()).toEqual([3, 0, 1]);
    expect(perMinute('N1')).toEqual([2, 0, 0]);
    expect(perMinute('n2')).toEqual([1, 0, 1]);
    expect(store.loginsPer({ from: time('08:00'), to: time('10:00'), bucket: 'hour' })).toEqual([
      { start: time('08:00'), logins: 5 },
      { start: time('09:00'), logins: 1 },
    ]);
    // In a zone: Kolkata's hours begin at :30 UTC: 07:30-08:30 holds the four before 08:30.
    expect(
      store.loginsPer({ from: time('08:00'), to: time('09:00'), bucket: 'hour', timeZone: 'Asia/Kolkata' }),
    ).toEqual([
      { start: time('07:30'), logins: 4 },
      { start: time('08:30'), logins: 2 },
    ]);
    store.close();
  });

  it('moves an end and reopens an interval when a late event re-matched them', () => {
    const store = open();
    const u = { directory: 'CORP', id: 'jdoe' };
    store.record([
      { kind: 'session.opened', id: 'b', host: 'N', node: 'N', user: u, start: time('08:10') },
      { kind: 'session.closed', id: 'b', end: time('08:20'), endId: 'stop', reason: 'stop' },
    ]);
    expect(store.sessionsAt(time('08:30'))).toEqual([]);
    // The late start a (08:00) takes the stop; b is open again.
    store.record([
      { kind: 'session.opened', id: 'a', host: 'N', node: 'N', user: u, start: time('08:00') },
      { kind: 'session.closed', id: 'a', end: time('08:20'), endId: 'stop', reason: 'stop' },
      { kind: 'session.reopened', id: 'b' },
    ]);
    expect(store.sessionsAt(time('08:30'))).toEqual([
      { host: 'N', user: u, start: new Date(time('08:10')).toISOString() },
    ]);
    expect(store.record([{ kind: 'session.reopened', id: 'b' }])).toEqual({ written: 0, skipped: 1 });
    store.close();
  });

  it('keeps alert notices once per message id, newest first', () => {
    const store = open();
    const view = new ClusterView();
    const changes: ViewChange[] = [];
    const msgs = [
      alertMessage({ alertId: 'A', status: 'firing', notification: 1, time: time('08:00') }),
      alertMessage({
        alertId: 'A',
        status: 'firing',
        notification: 2,
        time: time('08:30'),
        firingSince: time('08:00'),
      }),
      alertMessage({ alertId: 'B', status: 'firing', time: time('08:40'), node: 'SENSE-NODE2' }),
      alertMessage({
        alertId: 'A',
        status: 'resolved',
        notification: 2,
        time: time('09:00'),
        firingSince: time('08:00'),
      }),
    ];
    for (const m of [...msgs, ...msgs]) changes.push(...view.apply(m, time('09:00')).changes);
    store.record(changes);
    store.record(changes);
    const all = store.alerts({ from: time('00:00'), to: time('23:00'), limit: 10 });
    expect(all.map((a) => a.id)).toEqual(['A-r', 'B-f1', 'A-f2', 'A-f1']);
    expect(all[2]).toEqual({
      id: 'A-f2',
      alertId: 'A',
      status: 'firing',
      rule: 'parallel-session-limit',
      severity: 'warning',
      key: 'CORP\\mallory',
      host: 'SENSE-NODE1',
      node: 'SENSE-NODE1',
      message: 'CORP\\mallory holds 5 sessions',
      time: time('08:30'),
      firingSince: time('08:00'),
      notification: 2,
      // The explanation survives the history: the page shows it for alerts restored at start.
      description: 'One user holds too many sessions at once',
      conditions: [
        {
          fact: 'activeSessions',
          operator: 'greaterThanInclusive',
          threshold: '5',
          value: '5',
          result: true,
        },
      ],
    });
    expect(store.alerts({ from: time('08:30'), to: time('09:00'), limit: 10 }).map((a) => a.id)).toEqual([
      'B-f1',
      'A-f2',
    ]);
    expect(store.alerts({ from: 0, to: time('23:00'), limit: 1 }).map((a) => a.id)).toEqual(['A-r']);
    expect(
      store.alerts({ from: 0, to: time('23:00'), limit: 9, host: 'sense-node2' }).map((a) => a.id),
    ).toEqual(['B-f1']);
    // Still firing after a restart: B only (A was resolved).
    expect(store.restoreState(0).firingAlerts.map((a) => a.id)).toEqual(['B-f1']);
    store.close();
  });

  it('prunes what ended before now − retention, per kind; open intervals stay', () => {
    const store = open();
    store.record(fixtureChanges());
    const view = new ClusterView();
    store.record(
      view.apply(alertMessage({ alertId: 'A', status: 'firing', time: time('07:00') }), 0).changes,
    );
    const now = time('10:00');
    // Keep 1 h of sessions: those that ended before 09:00 go (s5 f1 f2); s1 (ended 09:00) s2 s3 s6 and open s4 stay.
    const result = store.prune(now, { sessions: HOUR, connections: 0, logins: 2 * HOUR });
    expect(result).toEqual({ sessions: 3, connections: 2, logins: 3, alerts: 0 });
    expect(store.userSessions('CORP\\ann', { from: 0, to: now }).map((s) => s.id)).toEqual(['s1', 's3']);
    expect(store.userSessions('CORP\\dan', { from: 0, to: now })).toEqual([]);
    expect(store.userConnections('CORP\\cid', { from: 0, to: now }).map((c) => c.id)).toEqual(['c2']);
    expect(
      store.loginsPer({ from: time('07:00'), to: time('11:00'), bucket: 'hour' }).map((r) => r.logins),
    ).toEqual([0, 3, 1, 1]);
    expect(store.prune(now + 365 * DAY, 0)).toEqual({ sessions: 4, connections: 0, logins: 5, alerts: 1 });
    expect(store.sessionsAt(now + 365 * DAY).length).toBe(1);
    store.close();
  });

  it('prunes in chunks: many rows go in several statements', () => {
    const store = open();
    const u = { directory: 'CORP', id: 'x' };
    const changes: ViewChange[] = [];
    for (let i = 0; i < 12_000; i++) {
      changes.push({ kind: 'session.opened', id: `s${i}`, host: 'N', node: 'N', user: u, start: T0 + i });
      changes.push({ kind: 'session.closed', id: `s${i}`, end: T0 + i + 1, endId: null, reason: 'timeout' });
    }
    store.record(changes);
    expect(store.prune(T0 + DAY, HOUR).sessions).toBe(12_000);
    store.close();
  });
});

describe('HistoryStore: the database file', () => {
  let dir2 = '';
  beforeAll(() => {
    dir2 = mkdtempSync(join(tmpdir(), 'aggregate-db-'));
  });
  afterAll(() => rmSync(dir2, { recursive: true, force: true }));

  it('creates the schema in an empty database, in WAL mode', () => {
    const path = join(dir2, 'empty.db');
    new DatabaseSync(path).close(); // an empty SQLite file: user_version 0, no tables
    const store = new HistoryStore(path);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.journalMode).toBe('wal');
    store.close();
    const raw = new DatabaseSync(path, { readOnly: true });
    const tables = raw
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .all()
      .map((row) => row.name);
    expect(tables).toEqual(['alerts', 'connections', 'deliveries', 'logins', 'meta', 'sessions']);
    raw.close();
  });

  it('keeps its data when reopened', () => {
    const path = join(dir2, 'reopen.db');
    const first = new HistoryStore(path);
    first.record(fixtureChanges());
    first.close();
    first.close(); // idempotent
    const again = new HistoryStore(path);
    expect(again.schemaVersion).toBe(SCHEMA_VERSION);
    expect(again.sessionsAt(time('09:00')).length).toBe(3);
    expect(again.peaks({ from: time('08:00'), to: time('09:00'), bucket: 'hour' })[0]?.peakUsers).toBe(3);
    again.close();
  });

  it('refuses a database written by a newer schema', () => {
    const path = join(dir2, 'newer.db');
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => new HistoryStore(path)).toThrow(/newer than this program/);
  });
});

describe('HistoryStore with ClusterView', () => {
  it('records what the view folds: now and at-now agree; a restart restores the view', () => {
    const store = new HistoryStore(':memory:');
    const view = new ClusterView();
    const users = ['CORP\\a', 'CORP\\b', 'CORP\\c', 'CORP\\d'];
    const kinds = [
      'session.start',
      'session.start',
      'session.stop',
      'connection.open',
      'connection.close',
    ] as const;
    let now = T0;
    for (let i = 0; i < 500; i++) {
      now += 7 * SEC;
      const kind = kinds[(i * 7) % kinds.length] ?? 'session.start';
      const msg = userEvent({
        id: seqId(i),
        time: now,
        kind,
        user: users[(i * 3) % users.length] ?? '',
        host: i % 3 === 0 ? 'N2' : 'N1',
        app: kind.startsWith('connection') ? `app-${i % 2}` : null,
      });
      store.record(view.apply(msg, now).changes);
    }
    expect(store.sessionsAt(now)).toEqual(view.sessionsNow());
    expect(store.sessionsAt(now, { host: 'n2', user: 'corp\\B' })).toEqual(
      view.sessionsNow({ host: 'n2', user: 'corp\\B' }),
    );
    expect(store.sessionsAt(now).length).toBeGreaterThan(0);

    const fresh = new ClusterView();
    fresh.restore(store.restoreState(now - DAY), now);
    expect(fresh.sessionsNow()).toEqual(view.sessionsNow());
    expect(fresh.connectionsNow()).toEqual(view.connectionsNow());
    expect(fresh.totals()).toEqual(view.totals());
    // Redelivered after the restart: nothing changes.
    const replay = userEvent({ id: seqId(499), time: now, kind: 'session.stop', user: 'CORP\\a' });
    expect(fresh.apply(replay, now).outcome).toBe('duplicate');
    store.close();
  });

  it('any arrival order of a stream writes the same history as the stream in order', () => {
    const steps = fc.array(
      fc.record({
        kind: fc.constantFrom(
          'session.start',
          'session.stop',
          'session.expired',
          'connection.open',
          'connection.close',
        ),
        user: fc.nat(2),
        host: fc.nat(1),
        dt: fc.integer({ min: 0, max: 3 * MIN }),
        sessions: fc.integer({ min: 1, max: 2 }),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(steps, fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), (s, choices) => {
        let t = T0;
        const msgs = s.map((x, i) => {
          t += x.dt;
          return userEvent({
            id: seqId(i),
            time: t,
            kind: x.kind,
            user: `CORP\\u${x.user}`,
            host: `N${x.host}`,
            app: x.kind.startsWith('connection') ? 'app' : null,
            sessions: x.sessions,
          });
        });
        const dump = (order: readonly ReceivedEnvelope[]): unknown => {
          const store = new HistoryStore(':memory:');
          const view = new ClusterView({ reorderWindowMs: DAY });
          for (const m of order) store.record(view.apply(m, t).changes);
          const out = {
            users: [0, 1, 2].map((u) => [
              store.userSessions(`CORP\\u${u}`, { from: 0, to: t + DAY }),
              store.userConnections(`CORP\\u${u}`, { from: 0, to: t + DAY }),
            ]),
            logins: store.loginsPer({ from: T0, to: t + 1, bucket: 'hour' }),
            peaks: store.peaks({ from: T0, to: t + 1, bucket: 'hour' }),
          };
          store.close();
          return out;
        };
        // Per-subject order kept (host + kind), subjects interleaved by `choices`, then a replay of the first half.
        const queues = new Map<string, ReceivedEnvelope[]>();
        for (const m of msgs) {
          const key = `${m.source}|${m.type}`;
          queues.set(key, [...(queues.get(key) ?? []), m]);
        }
        const shuffled: ReceivedEnvelope[] = [];
        for (let i = 0; ; i++) {
          const open = [...queues.values()].filter((q) => q.length > 0);
          if (open.length === 0) break;
          const q = open[(choices[i] ?? 0) % open.length] ?? [];
          const m = q.shift();
          if (m !== undefined) shuffled.push(m);
        }
        shuffled.push(...shuffled.slice(0, shuffled.length / 2));
        expect(dump(shuffled)).toEqual(dump(msgs));
      }),
      { numRuns: 150 },
    );
  });
});

describe('peaks: the sweep against counting at every instant', () => {
  it('matches a brute-force count at each bucket start and each edge', () => {
    const interval = fc
      .record({
        user: fc.nat(5),
        start: fc.integer({ min: 0, max: 6 * 60 }),
        len: fc.integer({ min: 0, max: 120 }),
        open: fc.boolean(),
      })
      .map((r) => [`u${r.user}`, T0 + r.start * MIN, r.open ? null : T0 + (r.start + r.len) * MIN] as const);
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 30 }), (rows) => {
        const bounds = bucketBounds(T0, T0 + 6 * HOUR, 'hour');
        const to = bounds[bounds.length - 1] ?? 0;
        const on = (t: number): { users: number; sessions: number } => {
          const live = rows.filter(([, s, e]) => s <= t && t < (e ?? to));
          return { users: new Set(live.map(([u]) => u)).size, sessions: live.length };
        };
        const got = peakRows(rows, bounds);
        for (let b = 0; b + 1 < bounds.length; b++) {
          const start = bounds[b] ?? 0;
          const end = bounds[b + 1] ?? 0;
          const instants = [
            start,
            ...rows.flatMap(([, s, e]) => [s, e ?? to]).filter((x) => x > start && x < end),
          ];
          const users = Math.max(...instants.map((x) => on(x).users));
          const sessions = Math.max(...instants.map((x) => on(x).sessions));
          expect(got[b]).toMatchObject({ start, peakUsers: users, peakSessions: sessions });
          expect(on(got[b]?.peakAt ?? -1).users).toBe(users);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('bucketBounds', () => {
  const cases: {
    name: string;
    from: string;
    to: string;
    unit: 'minute' | 'hour' | 'day';
    zone?: string;
    expect: string[];
  }[] = [
    {
      name: 'UTC hours, whole buckets around the range',
      from: '2026-11-30T08:30:00Z',
      to: '2026-11-30T10:00:00Z',
      unit: 'hour',
      expect: ['2026-11-30T08:00:00Z', '2026-11-30T09:00:00Z', '2026-11-30T10:00:00Z'],
    },
    {
      name: 'minutes are the same in every zone',
      from: '2026-11-30T08:00:30Z',
      to: '2026-11-30T08:01:30Z',
      unit: 'minute',
      zone: 'Asia/Kolkata',
      expect: ['2026-11-30T08:00:00Z', '2026-11-30T08:01:00Z', '2026-11-30T08:02:00Z'],
    },
    {
      name: 'a half-hour zone: local hours begin at :30 UTC',
      from: '2026-11-30T08:00:00Z',
      to: '2026-11-30T09:00:00Z',
      unit: 'hour',
      zone: 'Asia/Kolkata',
      expect: ['2026-11-30T07:30:00Z', '2026-11-30T08:30:00Z', '2026-11-30T09:30:00Z'],
    },
    {
      name: 'clocks go back in Stockholm: the repeated 02:00 hour is two buckets',
      from: '2026-10-25T00:00:00Z',
      to: '2026-10-25T02:00:00Z',
      unit: 'hour',
      zone: 'Europe/Stockholm',
      expect: ['2026-10-25T00:00:00Z', '2026-10-25T01:00:00Z', '2026-10-25T02:00:00Z'],
    },
    {
      name: 'clocks go back in Stockholm: that day has 25 hours',
      from: '2026-10-25T12:00:00Z',
      to: '2026-10-25T13:00:00Z',
      unit: 'day',
      zone: 'Europe/Stockholm',
      expect: ['2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z'],
    },
    {
      name: 'clocks go forward in Stockholm: 02:00 is skipped, that day has 23 hours',
      from: '2026-03-29T00:30:00Z',
      to: '2026-03-29T01:30:00Z',
      unit: 'hour',
      zone: 'Europe/Stockholm',
      expect: ['2026-03-29T00:00:00Z', '2026-03-29T01:00:00Z', '2026-03-29T02:00:00Z'],
    },
    {
      name: 'days in New York',
      from: '2026-11-30T12:00:00Z',
      to: '2026-12-01T06:00:00Z',
      unit: 'day',
      zone: 'America/New_York',
      expect: ['2026-11-30T05:00:00Z', '2026-12-01T05:00:00Z', '2026-12-02T05:00:00Z'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const bounds = bucketBounds(Date.parse(c.from), Date.parse(c.to), c.unit, c.zone);
      expect(bounds.map((b) => new Date(b).toISOString().replace('.000Z', 'Z'))).toEqual(c.expect);
    });
  }

  it('refuses an empty range, a bad zone and too many buckets', () => {
    expect(() => bucketBounds(T0, T0, 'hour')).toThrow(RangeError);
    expect(() => bucketBounds(T0, T0 + DAY, 'hour', 'Mars/Olympus')).toThrow(RangeError);
    expect(() => bucketBounds(T0, T0 + 365 * DAY, 'minute')).toThrow(/more than 100000 minute buckets/);
  });
});
