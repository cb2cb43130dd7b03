import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, type EventKind, type UserEvent } from '../../src/core/events.js';
import { LiveState } from '../../src/state/live-state.js';

/**
 * Properties of LiveState against a reference model written independently of src/state: plain
 * maps of counts for sessions and connections, and a plain list of events for windowed counts.
 */

const T0 = 1_800_000_000_000;
const USERS = ['CORP\\ann', 'CORP\\ANN', 'CORP\\bob', 'EXT\\Eve', 'ext\\eve', 'CORP\\dan'];
const HOSTS = ['node1', 'node2', 'node3'];
const APPS = ['aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002', null];

interface Step {
  readonly kind: EventKind;
  readonly user: number;
  readonly host: number;
  readonly app: number;
  readonly dt: number;
}

/** Milliseconds up to max, mostly whole seconds or whole buckets, so bucket edges are hit often. */
function ms(max: number): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.nat(max), weight: 1 },
    { arbitrary: fc.nat(Math.floor(max / 1000)).map((s) => s * 1000), weight: 2 },
    { arbitrary: fc.nat(Math.floor(max / 10_000)).map((b) => b * 10_000), weight: 4 },
  );
}

function step(maxDt: number): fc.Arbitrary<Step> {
  return fc.record({
    kind: fc.constantFrom(...EVENT_KINDS),
    user: fc.nat(USERS.length - 1),
    host: fc.nat(HOSTS.length - 1),
    app: fc.nat(APPS.length - 1),
    dt: ms(maxDt),
  });
}

function toEvent(s: Step): UserEvent {
  const [directory = '', id = ''] = (USERS[s.user] ?? '').split('\\');
  return {
    kind: s.kind,
    host: HOSTS[s.host] ?? '',
    user: { directory, id },
    origin: '',
    context: '',
    appId: APPS[s.app] ?? null,
    userAgent: null,
    message: '',
  };
}

const lower = (e: UserEvent): string => `${e.user.directory}\\${e.user.id}`.toLowerCase();

describe('LiveState properties', () => {
  it('sessions and connections never go negative and equal starts − matched stops (no expiry, no eviction)', () => {
    fc.assert(
      fc.property(fc.array(step(120_000), { maxLength: 300 }), (steps) => {
        const state = new LiveState({ inactivityTimeoutMs: 1e12, graceMs: 0, maxKeys: 10_000 });
        const sessions = new Map<string, number>(); // host|user → count
        const connections = new Map<string, number>(); // host|user|app → count
        let staleStops = 0;
        let staleCloses = 0;
        let now = T0;
        for (const s of steps) {
          now += s.dt;
          const e = toEvent(s);
          const pk = `${e.host}|${lower(e)}`;
          const ck = `${pk}|${e.appId ?? '-'}`;
          const n = sessions.get(pk) ?? 0;
          const c = connections.get(ck) ?? 0;
          if (e.kind === 'session.start') sessions.set(pk, n + 1);
          if (e.kind === 'session.stop') {
            if (n === 0) staleStops += 1;
            else sessions.set(pk, n - 1);
          }
          if (e.kind === 'connection.open') connections.set(ck, c + 1);
          if (e.kind === 'connection.close') {
            if (c === 0) staleCloses += 1;
            else connections.set(ck, c - 1);
          }
          const outcome = state.apply(e, now);
          expect(outcome.staleStop).toBe(e.kind === 'session.stop' && n === 0);
          expect(outcome.staleClose).toBe(e.kind === 'connection.close' && c === 0);
          expect(state.expire(now)).toEqual([]);

          const sum = (map: Map<string, number>, match: (key: string[]) => boolean): number =>
            [...map].filter(([k]) => match(k.split('|'))).reduce((a, [, v]) => a + v, 0);
          const user = lower(e);
          const userSessions = sum(sessions, ([, u]) => u === user);
          expect(state.activeSessions('user', e)).toBe(userSessions);
          expect(state.activeSessions('user', e)).toBeGreaterThanOrEqual(0);
          expect(state.activeSessions('host', e)).toBe(sum(sessions, ([h]) => h === e.host));
          expect(state.activeConnections('user', e)).toBe(sum(connections, ([, u]) => u === user));
          expect(state.activeConnections('host', e)).toBe(sum(connections, ([h]) => h === e.host));
          expect(state.activeConnections('app', e)).toBe(
            e.appId === null ? 0 : sum(connections, ([, , a]) => a === e.appId),
          );
        }
        const stats = state.stats();
        expect(stats.staleStops).toBe(staleStops);
        expect(stats.staleCloses).toBe(staleCloses);
        expect(stats.sessions).toBe(sum0(sessions));
        expect(stats.connections).toBe(sum0(connections));
        const activeUsers = new Set(
          [...sessions, ...connections].filter(([, v]) => v > 0).map(([k]) => k.split('|')[1]),
        );
        expect(state.activeUsers()).toBe(activeUsers.size);
      }),
      { numRuns: 200 },
    );
  });

  it('totals stay consistent with the presences through expiry, eviction and restore', () => {
    fc.assert(
      fc.property(
        fc.array(step(10 * 60_000), { maxLength: 150 }),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(149),
        (steps, maxKeys, restoreAt) => {
          const options = {
            inactivityTimeoutMs: 20 * 60_000,
            graceMs: 60_000,
            maxKeys,
            maxWindowMs: 30 * 60_000,
          };
          let state = new LiveState(options);
          let now = T0;
          steps.forEach((s, i) => {
            now += s.dt;
            state.apply(toEvent(s), now);
            for (const e of state.expire(now)) {
              expect(e.sessions).toBeGreaterThan(0);
              expect(now - e.lastActivityAt).toBeGreaterThan(21 * 60_000);
            }
            if (i === restoreAt)
              state = LiveState.restore(JSON.parse(JSON.stringify(state.snapshot())), options, now);

            const snap = state.snapshot();
            const stats = state.stats();
            expect(snap.presences.length).toBeLessThanOrEqual(maxKeys);
            expect(stats.sessions).toBe(snap.presences.reduce((a, p) => a + p.sessions, 0));
            expect(stats.connections).toBe(snap.presences.reduce((a, p) => a + p.apps.length, 0));
            const userKeys = new Set(snap.presences.map((p) => `${p.directory}\\${p.id}`.toLowerCase()));
            expect(state.activeUsers()).toBe(userKeys.size);
            for (const p of snap.presences) {
              expect(p.sessions > 0 || p.apps.length > 0).toBe(true);
              const probe = { ...toEvent(s), host: p.host, user: { directory: p.directory, id: p.id } };
              const mine = snap.presences.filter(
                (q) => `${q.directory}\\${q.id}`.toLowerCase() === `${p.directory}\\${p.id}`.toLowerCase(),
              );
              expect(state.activeSessions('user', probe)).toBe(mine.reduce((a, q) => a + q.sessions, 0));
              expect(state.activeConnections('user', probe)).toBe(
                mine.reduce((a, q) => a + q.apps.length, 0),
              );
              const onHost = snap.presences.filter((q) => q.host === p.host);
              expect(state.activeSessions('host', probe)).toBe(onHost.reduce((a, q) => a + q.sessions, 0));
              expect(state.activeConnections('host', probe)).toBe(
                onHost.reduce((a, q) => a + q.apps.length, 0),
              );
            }
            for (const app of APPS) {
              if (app === null) continue;
              const open = snap.presences.reduce((a, p) => a + p.apps.filter((x) => x === app).length, 0);
              const probe = { ...toEvent(s), appId: app };
              // equal unless the per-app totals map itself evicted that app (then it knows less)
              if (stats.keysEvicted.appConnections === 0)
                expect(state.activeConnections('app', probe)).toBe(open);
              else expect(state.activeConnections('app', probe)).toBeLessThanOrEqual(open);
            }
            expect(state.distinctUsers({ windowMs: 30 * 60_000 }, now)).toBeLessThanOrEqual(maxKeys);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('windowed counts and distinct users equal a plain list of events, bucketed', () => {
    const bucketMs = 10_000;
    const maxWindowMs = 10 * 60_000;
    fc.assert(
      fc.property(
        fc.array(step(30_000), { maxLength: 200 }),
        fc.array(
          fc.record({
            // queries run between applies too: distinct-user trackers are built on first use
            // and must then be maintained by later applies
            atStep: fc.nat(200),
            windowMs: ms(2 * maxWindowMs),
            after: ms(5 * 60_000),
            kind: fc.option(fc.constantFrom(...EVENT_KINDS), { nil: undefined }),
            per: fc.option(fc.constantFrom('user' as const, 'host' as const, 'app' as const), {
              nil: undefined,
            }),
            probe: step(0),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        (steps, queries) => {
          const state = new LiveState({ inactivityTimeoutMs: 1e12, graceMs: 0, bucketMs, maxWindowMs });
          const seen: { e: UserEvent; bucket: number }[] = [];
          let now = T0;
          const ask = (q: (typeof queries)[number]): void => {
            const at = now + q.after;
            const first = Math.floor((at - Math.min(q.windowMs, maxWindowMs)) / bucketMs);
            const probe = toEvent(q.probe);
            const inWindow = seen.filter(
              ({ e, bucket }) => bucket >= first && (q.kind === undefined || e.kind === q.kind),
            );
            const expected = inWindow.filter(({ e }) => {
              if (q.per === 'user') return lower(e) === lower(probe);
              if (q.per === 'host') return e.host === probe.host;
              if (q.per === 'app') return probe.appId !== null && e.appId === probe.appId;
              return true;
            }).length;
            const query = {
              windowMs: q.windowMs,
              ...(q.kind === undefined ? {} : { kind: q.kind }),
              ...(q.per === undefined ? {} : { per: q.per }),
            };
            expect(state.eventCount(query, probe, at)).toBe(expected);
            const distinct = new Set(inWindow.map(({ e }) => lower(e))).size;
            const kind = q.kind === undefined ? {} : { kind: q.kind };
            expect(state.distinctUsers({ windowMs: q.windowMs, ...kind }, at)).toBe(distinct);
          };
          steps.forEach((s, i) => {
            for (const q of queries) if (q.atStep === i) ask(q);
            now += s.dt;
            const e = toEvent(s);
            state.apply(e, now);
            seen.push({ e, bucket: Math.floor(now / bucketMs) });
          });
          for (const q of queries) if (q.atStep >= steps.length) ask(q);
        },
      ),
      { numRuns: 300 },
    );
  });
});

function sum0(map: Map<string, number>): number {
  let total = 0;
  for (const v of map.values()) total += v;
  return total;
}
