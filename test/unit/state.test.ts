import { describe, expect, it } from 'vitest';
import type { EventKind, SidecarEvent, UserEvent } from '../../src/core/events.js';
import { LiveState, type LiveStateOptions } from '../../src/state/live-state.js';
import { MAX_CONNECTIONS_PER_PRESENCE } from '../../src/state/session-table.js';

const APP_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const APP_B = 'bbbbbbbb-0000-4000-8000-000000000002';
/** Bucket-aligned (10 s and 1 min), so bucket edges are easy to see. */
const T0 = 1_800_000_000_000;
const MIN = 60_000;

interface Spec {
  readonly host?: string;
  readonly user?: string;
  readonly appId?: string | null;
}

/** A wire event; `user` is `DIR\id` (default CORP\jdoe), host node1, no app. */
function ev(kind: EventKind, spec: Spec = {}): UserEvent {
  const [directory = 'CORP', id = 'jdoe'] = (spec.user ?? 'CORP\\jdoe').split('\\');
  const appId = spec.appId ?? null;
  return {
    kind,
    host: spec.host ?? 'node1',
    user: { directory, id },
    origin: 'AppAccess',
    context: appId === null ? '/hub/' : `/app/${appId}`,
    appId,
    userAgent: null,
    message: '',
  };
}

const OPTIONS: LiveStateOptions = {
  inactivityTimeoutMs: 30 * MIN,
  graceMs: 5 * MIN,
  bucketMs: 10_000,
  maxWindowMs: 3_600_000,
  maxKeys: 1000,
};

function live(options: Partial<LiveStateOptions> = {}): LiveState {
  return new LiveState({ ...OPTIONS, ...options });
}

describe('LiveState sessions', () => {
  it('counts starts and stops, never below zero, and counts a stop without a start', () => {
    const s = live();
    const e = ev('session.start');
    expect(s.apply(ev('session.stop'), T0)).toEqual({ staleStop: true, staleClose: false });
    expect(s.activeSessions('user', e)).toBe(0);
    s.apply(ev('session.start'), T0);
    s.apply(ev('session.start'), T0);
    expect(s.activeSessions('user', e)).toBe(2);
    expect(s.apply(ev('session.stop'), T0)).toEqual({ staleStop: false, staleClose: false });
    expect(s.apply(ev('session.stop'), T0)).toEqual({ staleStop: false, staleClose: false });
    expect(s.apply(ev('session.stop'), T0)).toEqual({ staleStop: true, staleClose: false });
    expect(s.activeSessions('user', e)).toBe(0);
    expect(s.activeSessions('host', e)).toBe(0);
    s.apply(ev('session.start'), T0);
    expect(s.activeSessions('user', e)).toBe(1);
    expect(s.stats()).toMatchObject({ users: 1, sessions: 1, connections: 0, staleStops: 2, staleCloses: 0 });
  });

  it('sums a user over hosts and a host over users; user names are case-insensitive', () => {
    const s = live();
    s.apply(ev('session.start', { host: 'node1' }), T0);
    s.apply(ev('session.start', { host: 'node1', user: 'corp\\JDOE' }), T0);
    s.apply(ev('session.start', { host: 'node2' }), T0);
    s.apply(ev('session.start', { host: 'node1', user: 'CORP\\ann' }), T0);
    const jdoe = ev('connection.open', { host: 'node2' });
    expect(s.activeSessions('user', jdoe)).toBe(3);
    expect(s.activeSessions('user', ev('session.start', { user: 'Corp\\Ann' }))).toBe(1);
    expect(s.activeSessions('host', ev('session.stop', { host: 'node1' }))).toBe(3);
    expect(s.activeSessions('host', jdoe)).toBe(1);
    expect(s.activeSessions('host', ev('session.stop', { host: 'node3' }))).toBe(0);
    expect(s.activeUsers()).toBe(2);
    expect(s.stats()).toMatchObject({ users: 2, sessions: 4 });
  });

  it('counts connections per user, app and host; a close without an open is stale', () => {
    const s = live();
    s.apply(ev('connection.open', { appId: APP_A }), T0);
    s.apply(ev('connection.open', { appId: APP_A }), T0);
    s.apply(ev('connection.open', { appId: APP_B, host: 'node2' }), T0);
    s.apply(ev('connection.open', { appId: null }), T0);
    s.apply(ev('connection.open', { appId: APP_A, user: 'CORP\\ann' }), T0);
    const a = ev('connection.open', { appId: APP_A });
    expect(s.activeConnections('user', a)).toBe(4);
    expect(s.activeConnections('app', a)).toBe(3);
    expect(s.activeConnections('app', ev('connection.open', { appId: APP_B }))).toBe(1);
    expect(s.activeConnections('app', ev('connection.open', { appId: null }))).toBe(0);
    expect(s.activeConnections('host', a)).toBe(4);
    expect(s.activeConnections('host', ev('connection.open', { host: 'node2' }))).toBe(1);

    expect(s.apply(ev('connection.close', { appId: APP_B }), T0)).toEqual({
      staleStop: false,
      staleClose: true,
    });
    expect(s.apply(ev('connection.close', { appId: APP_A }), T0).staleClose).toBe(false);
    expect(s.apply(ev('connection.close', { appId: null }), T0).staleClose).toBe(false);
    expect(s.apply(ev('connection.close', { appId: null }), T0).staleClose).toBe(true);
    expect(s.apply(ev('connection.close', { appId: APP_B, host: 'node2' }), T0).staleClose).toBe(false);
    expect(s.activeConnections('user', a)).toBe(1);
    expect(s.activeConnections('app', a)).toBe(2);
    expect(s.stats()).toMatchObject({ users: 2, connections: 2, staleCloses: 2 });
    expect(s.activeSessions('user', a)).toBe(0);
  });

  it('answers for a SessionExpired event like for a wire event', () => {
    const s = live();
    s.apply(ev('session.start', { host: 'node2' }), T0);
    s.apply(ev('session.start', { host: 'node1' }), T0 + 40 * MIN);
    const [expired] = s.expire(T0 + 40 * MIN);
    expect(expired).toBeDefined();
    const e: SidecarEvent = expired ?? ev('session.start');
    expect(s.activeSessions('user', e)).toBe(1);
    expect(s.activeSessions('host', e)).toBe(0);
    expect(s.activeConnections('app', e)).toBe(0);
  });

  it('rejects bad options with a RangeError', () => {
    expect(() => live({ bucketMs: 0 })).toThrow(RangeError);
    expect(() => live({ maxKeys: 1.5 })).toThrow(RangeError);
    expect(() => live({ graceMs: -1 })).toThrow(RangeError);
    expect(() => live({ maxWindowMs: Number.NaN })).toThrow(RangeError);
    expect(() => new LiveState({ inactivityTimeoutMs: 1, graceMs: 1 })).not.toThrow();
  });
});

describe('LiveState windows', () => {
  it('counts the applied event itself, per node, user, host and app, by kind', () => {
    const s = live();
    s.apply(ev('session.start'), T0);
    s.apply(ev('connection.open', { appId: APP_A }), T0 + 1);
    s.apply(ev('connection.open', { appId: APP_A, user: 'CORP\\ann', host: 'node2' }), T0 + 2);
    const e = ev('connection.open', { appId: APP_A });
    const w = { windowMs: MIN };
    expect(s.eventCount(w, e, T0 + 2)).toBe(3);
    expect(s.eventCount({ ...w, kind: 'connection.open' }, e, T0 + 2)).toBe(2);
    expect(s.eventCount({ ...w, kind: 'session.stop' }, e, T0 + 2)).toBe(0);
    expect(s.eventCount({ ...w, per: 'user' }, e, T0 + 2)).toBe(2);
    expect(s.eventCount({ ...w, per: 'user', kind: 'session.start' }, e, T0 + 2)).toBe(1);
    expect(s.eventCount({ ...w, per: 'host' }, e, T0 + 2)).toBe(2);
    expect(s.eventCount({ ...w, per: 'host' }, ev('session.start', { host: 'node2' }), T0 + 2)).toBe(1);
    expect(s.eventCount({ ...w, per: 'app' }, e, T0 + 2)).toBe(2);
    expect(s.eventCount({ ...w, per: 'app' }, ev('session.start'), T0 + 2)).toBe(0);
    expect(s.eventCount({ ...w, per: 'user' }, ev('session.start', { user: 'CORP\\nobody' }), T0 + 2)).toBe(
      0,
    );
  });

  it('lets an event age out when its whole bucket has left the window', () => {
    const s = live();
    const e = ev('session.start');
    s.apply(e, T0 + 5_000); // bucket [T0, T0 + 10 s)
    const count = (now: number): number => s.eventCount({ windowMs: MIN }, e, now);
    expect(count(T0 + 5_000)).toBe(1);
    expect(count(T0 + 65_000)).toBe(1); // 60 s after the event: still in
    expect(count(T0 + 69_999)).toBe(1); // the window (now − 60 s, now] still overlaps the bucket
    expect(count(T0 + 70_000)).toBe(0); // window starts exactly at the bucket's end
    // an event at the very start of a bucket
    const t = live();
    t.apply(e, T0 + 10_000);
    expect(t.eventCount({ windowMs: 10_000 }, e, T0 + 19_999)).toBe(1);
    expect(t.eventCount({ windowMs: 10_000 }, e, T0 + 20_000)).toBe(1);
    expect(t.eventCount({ windowMs: 10_000 }, e, T0 + 29_999)).toBe(1);
    expect(t.eventCount({ windowMs: 10_000 }, e, T0 + 30_000)).toBe(0);
  });

  it('keeps separate buckets apart and clamps windows to maxWindowMs', () => {
    const s = live({ maxWindowMs: 5 * MIN });
    const e = ev('session.start');
    for (let i = 0; i < 10; i++) s.apply(e, T0 + i * MIN);
    const now = T0 + 9 * MIN;
    expect(s.eventCount({ windowMs: 1 }, e, now)).toBe(1);
    expect(s.eventCount({ windowMs: 0 }, e, now)).toBe(1);
    expect(s.eventCount({ windowMs: 2 * MIN }, e, now)).toBe(3); // T0+7m, 8m, 9m
    expect(s.eventCount({ windowMs: 5 * MIN }, e, now)).toBe(6); // bucket of T0+4m overlaps
    expect(s.eventCount({ windowMs: 60 * MIN }, e, now)).toBe(6); // clamped to 5 minutes
    expect(s.eventCount({ windowMs: 60 * MIN, per: 'user' }, e, now)).toBe(6);
  });

  it('prunes stale keys and buckets as time moves', () => {
    const s = live({ maxWindowMs: MIN });
    for (let i = 0; i < 50; i++) s.apply(ev('session.start', { user: `CORP\\u${i}`, appId: APP_A }), T0);
    s.apply(ev('session.start', { user: 'CORP\\late', host: 'node9' }), T0 + 2 * MIN);
    const counts = s.snapshot().counts;
    expect(counts.users.map(([k]) => k)).toEqual(['corp\\late']);
    expect(counts.hosts.map(([k]) => k)).toEqual(['node9']);
    expect(counts.apps).toEqual([]);
    expect(counts.node.length).toBe(6);
    expect(s.distinctUsers({ windowMs: MIN }, T0 + 2 * MIN)).toBe(1);
  });

  it('counts distinct users per kind, exact at bucket granularity', () => {
    const s = live();
    s.apply(ev('session.start', { user: 'CORP\\a' }), T0);
    s.apply(ev('session.start', { user: 'CORP\\b' }), T0 + MIN);
    s.apply(ev('connection.open', { user: 'corp\\A' }), T0 + 2 * MIN);
    s.apply(ev('connection.open', { user: 'CORP\\a' }), T0 + 2 * MIN);
    s.apply(ev('connection.open', { user: 'CORP\\c' }), T0 + 3 * MIN);
    const now = T0 + 3 * MIN;
    expect(s.distinctUsers({ windowMs: 10 * MIN }, now)).toBe(3);
    expect(s.distinctUsers({ windowMs: 10 * MIN, kind: 'session.start' }, now)).toBe(2);
    expect(s.distinctUsers({ windowMs: 10 * MIN, kind: 'connection.open' }, now)).toBe(2);
    expect(s.distinctUsers({ windowMs: 10 * MIN, kind: 'session.stop' }, now)).toBe(0);
    // a's latest event is at T0+2m, b's at T0+1m
    expect(s.distinctUsers({ windowMs: 90_000 }, now)).toBe(2);
    expect(s.distinctUsers({ windowMs: 90_000, kind: 'session.start' }, now)).toBe(0);
    expect(s.distinctUsers({ windowMs: 1 }, now)).toBe(1);
    // all age out together with the bucket of the latest event
    expect(s.distinctUsers({ windowMs: MIN }, T0 + 4 * MIN + 9_999)).toBe(1);
    expect(s.distinctUsers({ windowMs: MIN }, T0 + 4 * MIN + 10_000)).toBe(0);
  });

  it('never lets time move backwards', () => {
    const s = live();
    const e = ev('session.start');
    s.apply(e, T0 + 5 * MIN);
    s.apply(e, T0); // counted at T0 + 5m
    expect(s.eventCount({ windowMs: 10_000 }, e, T0 + 5 * MIN)).toBe(2);
    expect(s.eventCount({ windowMs: 10_000 }, e, T0)).toBe(2);
  });
});

describe('LiveState expiry', () => {
  const TTL = 35 * MIN; // timeout + grace

  it('expires sessions without a connection after timeout + grace, exactly once', () => {
    const s = live();
    s.apply(ev('session.start', { user: 'CORP\\JDoe' }), T0);
    s.apply(ev('session.start'), T0);
    expect(s.expire(T0 + TTL)).toEqual([]); // not older than the limit yet
    const expired = s.expire(T0 + TTL + 1);
    expect(expired).toEqual([
      {
        kind: 'session.expired',
        host: 'node1',
        user: { directory: 'CORP', id: 'JDoe' },
        origin: '',
        context: '',
        appId: null,
        userAgent: null,
        message: '2 session(s) of CORP\\JDoe expired after 35m without activity',
        sessions: 2,
        lastActivityAt: T0,
      },
    ]);
    expect(s.expire(T0 + TTL + 2)).toEqual([]);
    const e = ev('session.start');
    expect(s.activeSessions('user', e)).toBe(0);
    expect(s.stats()).toMatchObject({ users: 0, sessions: 0, expiredSessions: 2 });
    // the expiry is counted (inside expire) like an applied event
    const now = T0 + TTL + 1;
    expect(s.eventCount({ windowMs: MIN, kind: 'session.expired', per: 'user' }, e, now)).toBe(1);
    expect(s.eventCount({ windowMs: MIN, kind: 'session.expired', per: 'host' }, e, now)).toBe(1);
    expect(s.eventCount({ windowMs: MIN }, e, now)).toBe(1);
    expect(s.distinctUsers({ windowMs: MIN, kind: 'session.expired' }, now)).toBe(1);
    expect(s.expire(T0 + 10 * TTL)).toEqual([]);
    // a stop arriving late is stale now
    expect(s.apply(ev('session.stop'), now).staleStop).toBe(true);
  });

  it('does not expire while a connection is open, and starts the clock at the close', () => {
    const s = live();
    s.apply(ev('session.start'), T0);
    s.apply(ev('connection.open', { appId: APP_A }), T0 + MIN);
    expect(s.expire(T0 + 10 * 60 * MIN)).toEqual([]);
    const closedAt = T0 + 10 * 60 * MIN;
    s.apply(ev('connection.close', { appId: APP_A }), closedAt);
    expect(s.expire(closedAt + TTL)).toEqual([]);
    const [expired] = s.expire(closedAt + TTL + 1);
    expect(expired).toMatchObject({ sessions: 1, lastActivityAt: closedAt });
  });

  it('any event of the user on that host resets the timer; hosts expire independently', () => {
    const s = live();
    s.apply(ev('session.start', { host: 'node1' }), T0);
    s.apply(ev('session.start', { host: 'node2' }), T0);
    s.apply(ev('session.stop', { host: 'node2', user: 'CORP\\other' }), T0 + 20 * MIN); // another user
    s.apply(ev('connection.close', { host: 'node2' }), T0 + 20 * MIN); // stale, still activity
    const expired = s.expire(T0 + TTL + 1);
    expect(expired.map((e) => e.host)).toEqual(['node1']);
    expect(s.activeSessions('user', ev('session.start'))).toBe(1);
    expect(s.expire(T0 + 20 * MIN + TTL + 1).map((e) => e.host)).toEqual(['node2']);
    expect(s.stats()).toMatchObject({ expiredSessions: 2, sessions: 0 });
  });

  it('returns expiries oldest first and keeps the rest', () => {
    const s = live();
    for (let i = 0; i < 5; i++) s.apply(ev('session.start', { user: `CORP\\u${i}` }), T0 + i * MIN);
    expect(s.expire(T0 + 2 * MIN + TTL + 1).map((e) => e.user.id)).toEqual(['u0', 'u1', 'u2']);
    expect(s.stats().sessions).toBe(2);
  });

  it('says seconds in the message when the timeout is short', () => {
    const s = live({ inactivityTimeoutMs: 20_000, graceMs: 5_000 });
    s.apply(ev('session.start'), T0);
    expect(s.expire(T0 + 30_000)[0]?.message).toBe(
      '1 session(s) of CORP\\jdoe expired after 30s without activity',
    );
  });
});

describe('LiveState bounds', () => {
  it('evicts the least recently active presence, one without a connection first', () => {
    const s = live({ maxKeys: 2 });
    s.apply(ev('connection.open', { user: 'CORP\\a', appId: APP_A }), T0);
    s.apply(ev('session.start', { user: 'CORP\\b' }), T0 + 1);
    s.apply(ev('session.start', { user: 'CORP\\c' }), T0 + 2); // evicts b, not the older a
    expect(s.activeConnections('user', ev('session.start', { user: 'CORP\\a' }))).toBe(1);
    expect(s.activeSessions('user', ev('session.start', { user: 'CORP\\b' }))).toBe(0);
    expect(s.activeSessions('user', ev('session.start', { user: 'CORP\\c' }))).toBe(1);
    s.apply(ev('connection.open', { user: 'CORP\\c', appId: APP_B }), T0 + 3);
    s.apply(ev('session.start', { user: 'CORP\\d' }), T0 + 4); // both connected: evicts a
    expect(s.activeConnections('app', ev('session.start', { appId: APP_A }))).toBe(0);
    expect(s.stats()).toMatchObject({ users: 2, sessions: 2, connections: 1 });
    expect(s.stats().keysEvicted.presences).toBe(2);
  });

  it('bounds per-user, per-host and per-app counts, and app totals, and counts evictions', () => {
    const s = live({ maxKeys: 3 });
    for (let i = 0; i < 10; i++) {
      s.apply(ev('connection.open', { user: 'CORP\\x', host: `h${i}`, appId: `app-${i}` }), T0 + i);
      s.apply(ev('connection.close', { user: 'CORP\\x', host: `h${i}`, appId: `app-${i}` }), T0 + i);
    }
    for (let i = 0; i < 10; i++) s.apply(ev('session.start', { user: `CORP\\u${i}` }), T0 + 100 + i);
    const stats = s.stats();
    expect(stats.keysEvicted).toMatchObject({ hostCounts: 8, appCounts: 7, userCounts: 8, presences: 7 });
    expect(s.distinctUsers({ windowMs: MIN }, T0 + 200)).toBe(3);
    expect(s.snapshot().counts.users.map(([k]) => k)).toEqual(['corp\\u7', 'corp\\u8', 'corp\\u9']);

    const t = live({ maxKeys: 1 });
    t.apply(ev('connection.open', { appId: APP_A }), T0);
    t.apply(ev('connection.open', { appId: APP_B }), T0);
    expect(t.stats().keysEvicted.appConnections).toBe(1);
    expect(t.activeConnections('app', ev('session.start', { appId: APP_A }))).toBe(0);
    expect(t.apply(ev('connection.close', { appId: APP_A }), T0).staleClose).toBe(false);
    expect(t.activeConnections('user', ev('session.start'))).toBe(1);
    expect(t.activeConnections('app', ev('session.start', { appId: APP_B }))).toBe(1);
  });

  it('caps the open connections of one presence, dropping the oldest (a lost close)', () => {
    const s = live();
    s.apply(ev('connection.open', { appId: APP_A }), T0);
    for (let i = 1; i < MAX_CONNECTIONS_PER_PRESENCE; i++)
      s.apply(ev('connection.open', { appId: APP_B }), T0);
    const e = ev('connection.open', { appId: APP_A });
    expect(s.activeConnections('user', e)).toBe(MAX_CONNECTIONS_PER_PRESENCE);
    s.apply(ev('connection.open', { appId: null }), T0);
    expect(s.activeConnections('user', e)).toBe(MAX_CONNECTIONS_PER_PRESENCE);
    expect(s.activeConnections('host', e)).toBe(MAX_CONNECTIONS_PER_PRESENCE);
    expect(s.activeConnections('app', e)).toBe(0);
    expect(s.stats().keysEvicted.connections).toBe(1);
    expect(s.apply(ev('connection.close', { appId: APP_A }), T0).staleClose).toBe(true);
    expect(s.apply(ev('connection.close', { appId: null }), T0).staleClose).toBe(false);
  });

  it('never throws under churn with a tiny bound', () => {
    const s = live({ maxKeys: 1 });
    const kinds: EventKind[] = ['session.start', 'connection.open', 'connection.close', 'session.stop'];
    for (let i = 0; i < 500; i++) {
      const kind = kinds[i % 4] ?? 'session.start';
      s.apply(
        ev(kind, { user: `CORP\\u${i % 7}`, host: `h${i % 3}`, appId: i % 2 === 0 ? APP_A : null }),
        T0 + i * 1000,
      );
      s.expire(T0 + i * 1000);
    }
    const stats = s.stats();
    expect(stats.users).toBeLessThanOrEqual(1);
    expect(stats.keysEvicted.presences).toBeGreaterThan(0);
    // The totals and the per-host tables must agree after evictions: nothing counted twice or left behind.
    const hosts = ['h0', 'h1', 'h2'].map((host) => ev('session.start', { host }));
    expect(hosts.reduce((sum, e) => sum + s.activeSessions('host', e), 0)).toBe(stats.sessions);
    expect(hosts.reduce((sum, e) => sum + s.activeConnections('host', e), 0)).toBe(stats.connections);
  });
});
