import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, type EventKind, type UserEvent } from '../../src/core/events.js';
import { RULE_EVENT_KINDS } from '../../src/rules/types.js';
import { LiveState, type LiveStateOptions } from '../../src/state/live-state.js';
import type { LiveStateSnapshot } from '../../src/state/snapshot.js';

const T0 = 1_800_000_000_000;
const MIN = 60_000;
const APPS = ['aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002', null] as const;
const USERS = ['CORP\\Ann', 'CORP\\bob', 'corp\\ANN', 'EXT\\eve', 'CORP\\dan'] as const;
const HOSTS = ['node1', 'node2'] as const;

const OPTIONS: LiveStateOptions = {
  inactivityTimeoutMs: 10 * MIN,
  graceMs: MIN,
  bucketMs: 10_000,
  maxWindowMs: 30 * MIN,
  maxKeys: 1000,
};

function ev(kind: EventKind, user: string, host: string, appId: string | null): UserEvent {
  const [directory = '', id = ''] = user.split('\\');
  return {
    kind,
    host,
    user: { directory, id },
    origin: '',
    context: '',
    appId,
    userAgent: null,
    message: '',
  };
}

/** A deterministic mix of every kind, user, host and app over ~25 minutes. */
function scripted(n: number, seed: number): [UserEvent, number][] {
  const out: [UserEvent, number][] = [];
  let x = seed;
  const next = (m: number): number => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return Math.floor((x / 2_147_483_648) * m); // high bits: an LCG's low bits cycle
  };
  for (let i = 0; i < n; i++) {
    const kind = EVENT_KINDS[next(EVENT_KINDS.length)] ?? 'session.start';
    const e = ev(
      kind,
      USERS[next(USERS.length)] ?? '',
      HOSTS[next(HOSTS.length)] ?? '',
      APPS[next(APPS.length)] ?? null,
    );
    out.push([e, T0 + i * 7_919]);
  }
  return out;
}

/** Every fact for every probe event and a few windows, plus the status counters. */
function answers(s: LiveState, now: number): unknown {
  const probes = USERS.flatMap((u) => HOSTS.flatMap((h) => APPS.map((a) => ev('session.start', u, h, a))));
  const windows = [0, 10_000, 5 * MIN, 30 * MIN, 120 * MIN];
  return {
    stats: s.stats(),
    active: s.activeUsers(),
    facts: probes.map((e) => [
      s.activeSessions('user', e),
      s.activeSessions('host', e),
      s.activeConnections('user', e),
      s.activeConnections('app', e),
      s.activeConnections('host', e),
      windows.map((windowMs) =>
        [undefined, ...RULE_EVENT_KINDS].map((kind) =>
          [undefined, 'user', 'host', 'app'].map((per) =>
            s.eventCount(
              {
                windowMs,
                ...(kind === undefined ? {} : { kind }),
                ...(per === 'user' || per === 'host' || per === 'app' ? { per } : {}),
              },
              e,
              now,
            ),
          ),
        ),
      ),
    ]),
    distinct: windows.map((windowMs) =>
      [undefined, ...RULE_EVENT_KINDS].map((kind) =>
        s.distinctUsers({ windowMs, ...(kind === undefined ? {} : { kind }) }, now),
      ),
    ),
  };
}

function roundTrip(s: LiveState, now: number, options: Partial<LiveStateOptions> = {}): LiveState {
  const json: unknown = JSON.parse(JSON.stringify(s.snapshot()));
  return LiveState.restore(json, { ...OPTIONS, ...options }, now);
}

describe('LiveState snapshot', () => {
  it('is plain versioned JSON data', () => {
    const s = new LiveState(OPTIONS);
    s.apply(ev('connection.open', 'CORP\\Ann', 'node1', APPS[0]), T0);
    const snap = s.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap).toMatchObject({
      version: 1,
      takenAt: T0,
      bucketMs: 10_000,
      presences: [
        { host: 'node1', directory: 'CORP', id: 'Ann', sessions: 0, apps: [APPS[0]], lastActivityAt: T0 },
      ],
    });
  });

  it('round-trips to identical answers, now and after more events and expiries', () => {
    const original = new LiveState(OPTIONS);
    const events = scripted(400, 7);
    const half = 200;
    for (const [e, t] of events.slice(0, half)) {
      original.apply(e, t);
      original.expire(t);
    }
    const cut = events[half - 1]?.[1] ?? T0;
    // the script leaves something in every structure
    expect(original.stats().sessions).toBeGreaterThan(0);
    expect(original.stats().connections).toBeGreaterThan(0);
    expect(original.stats().staleStops).toBeGreaterThan(0);
    expect(original.distinctUsers({ windowMs: 5 * MIN, kind: 'connection.close' }, cut)).toBeGreaterThan(0);
    const restored = roundTrip(original, cut);
    expect(answers(restored, cut)).toEqual(answers(original, cut));
    expect(restored.snapshot()).toEqual(original.snapshot());

    for (const [e, t] of events.slice(half)) {
      expect(restored.apply(e, t)).toEqual(original.apply(e, t));
      expect(restored.expire(t)).toEqual(original.expire(t));
    }
    const last = events.at(-1)?.[1] ?? T0;
    const zed = ev('session.start', 'CORP\\zed', 'node1', null);
    expect(restored.apply(zed, last)).toEqual(original.apply(zed, last));
    const end = last + 20 * MIN;
    const expired = original.expire(end);
    expect(expired.length).toBeGreaterThan(0);
    expect(restored.expire(end)).toEqual(expired);
    expect(answers(restored, end)).toEqual(answers(original, end));
  });

  it('keeps sessions but drops windowed counts when bucketMs changed', () => {
    const s = new LiveState(OPTIONS);
    s.apply(ev('session.start', 'CORP\\Ann', 'node1', null), T0);
    const restored = roundTrip(s, T0, { bucketMs: 5_000 });
    const e = ev('session.stop', 'CORP\\ann', 'node1', null);
    expect(restored.activeSessions('user', e)).toBe(1);
    expect(restored.eventCount({ windowMs: MIN }, e, T0)).toBe(0);
    expect(restored.distinctUsers({ windowMs: MIN }, T0)).toBe(0);
  });

  it('evicts the least recently active entries when restored with a smaller bound', () => {
    const s = new LiveState(OPTIONS);
    s.apply(ev('session.start', 'CORP\\a', 'node1', null), T0);
    s.apply(ev('session.start', 'CORP\\b', 'node1', null), T0 + 20_000);
    s.apply(ev('session.start', 'CORP\\c', 'node1', null), T0 + 40_000);
    const restored = roundTrip(s, T0 + 40_000, { maxKeys: 2 });
    expect(restored.stats()).toMatchObject({ users: 2, sessions: 2 });
    expect(restored.stats().keysEvicted).toMatchObject({ presences: 1, userCounts: 1 });
    expect(restored.activeSessions('user', ev('session.stop', 'CORP\\a', 'node1', null))).toBe(0);
    expect(restored.distinctUsers({ windowMs: MIN }, T0 + 40_000)).toBe(2);
  });

  it('expires, after a restart, sessions whose activity is too old', () => {
    const s = new LiveState(OPTIONS);
    s.apply(ev('session.start', 'CORP\\a', 'node1', null), T0);
    const restored = roundTrip(s, T0 + 12 * MIN);
    expect(restored.expire(T0 + 12 * MIN).map((e) => e.sessions)).toEqual([1]);
  });

  describe('restore of a bad snapshot throws a TypeError naming the problem', () => {
    const good = (): LiveStateSnapshot => {
      const s = new LiveState(OPTIONS);
      s.apply(ev('connection.open', 'CORP\\Ann', 'node1', APPS[0]), T0);
      return JSON.parse(JSON.stringify(s.snapshot())) as LiveStateSnapshot;
    };
    const cases: [string, (snap: Record<string, unknown>) => unknown, RegExp][] = [
      ['not an object', () => null, /snapshot must be an object \(got null\)/],
      ['an array', () => [], /snapshot must be an object \(got an array\)/],
      ['another version', (s) => ({ ...s, version: 2 }), /version must be 1 \(got number\)/],
      ['no presences', (s) => ({ ...s, presences: undefined }), /presences must be an array/],
      [
        'a negative session count',
        (s) => ({ ...s, presences: [{ ...(s.presences as object[])[0], sessions: -1 }] }),
        /presences\[0\]\.sessions must be a non-negative integer/,
      ],
      [
        'a numeric app',
        (s) => ({ ...s, presences: [{ ...(s.presences as object[])[0], apps: [1] }] }),
        /presences\[0\]\.apps\[0\] must be a string or null/,
      ],
      [
        'a repeated presence',
        (s) => ({
          ...s,
          presences: [(s.presences as object[])[0], { ...(s.presences as object[])[0], id: 'ANN' }],
        }),
        /presences\[1\] repeats host node1 and user CORP\\ANN/,
      ],
      [
        'a series of the wrong length',
        (s) => ({ ...s, counts: { ...(s.counts as object), node: [1, 2, 3] } }),
        /counts\.node must hold rows of 6 numbers/,
      ],
      [
        'buckets out of order',
        (s) => ({ ...s, counts: { ...(s.counts as object), node: [5, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0] } }),
        /counts\.node\[6\] must be an integer bucket, greater than the previous row/,
      ],
      [
        'a bad key entry',
        (s) => ({ ...s, counts: { ...(s.counts as object), users: [['x']] } }),
        /counts\.users\[0\] must be a \[key, series\] pair/,
      ],
      [
        'a bucket after the snapshot time',
        (s) => ({ ...s, counts: { ...(s.counts as object), node: [T0 / 10_000 + 1, 0, 0, 0, 0, 0] } }),
        /counts\.node\[0\] is a bucket after takenAt/,
      ],
      [
        'a missing stat',
        (s) => ({ ...s, stats: { ...(s.stats as object), staleStops: 'x' } }),
        /stats\.staleStops/,
      ],
      ['a bad bucket width', (s) => ({ ...s, bucketMs: 0 }), /bucketMs must be a positive number/],
    ];
    for (const [name, corrupt, message] of cases) {
      it(name, () => {
        const bad = corrupt(good() as unknown as Record<string, unknown>);
        expect(() => LiveState.restore(bad, OPTIONS, T0)).toThrow(TypeError);
        expect(() => LiveState.restore(bad, OPTIONS, T0)).toThrow(message);
      });
    }
  });
});
