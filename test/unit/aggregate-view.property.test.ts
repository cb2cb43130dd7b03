import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import type { ReceivedEnvelope } from '../../src/contract/envelope.js';
import type { ViewChange } from '../../src/aggregate/types.js';
import {
  alertMessage,
  HOUR,
  MIN,
  seqId,
  T0,
  userEvent,
  type UserKind,
} from '../fixtures/aggregate/messages.js';

/**
 * Arrival order must not matter: JetStream keeps the order of one subject
 * (`sense.events.<host>.<kind>`, `sense.alerts.<host>.<severity>.<rule>`), but not across
 * subjects, and redelivers after a restart. Any interleaving of the per-subject sequences, with
 * any message delivered again later, must give the view (and the history its changes describe)
 * that applying the stream once in order gives.
 */

const USERS = ['CORP\\ann', 'CORP\\ANN', 'CORP\\bob', 'EXT\\eve'];
const HOSTS = ['SENSE-NODE1', 'SENSE-NODE2'];
const APPS = ['app-1', 'app-2', null];
const KINDS: readonly UserKind[] = [
  'session.start',
  'session.start',
  'session.stop',
  'session.expired',
  'connection.open',
  'connection.close',
];

interface Msg {
  readonly subject: string;
  readonly input: ReceivedEnvelope;
}

const step = fc.record({
  kind: fc.nat(KINDS.length - 1),
  user: fc.nat(USERS.length - 1),
  host: fc.nat(HOSTS.length - 1),
  app: fc.nat(APPS.length - 1),
  sessions: fc.integer({ min: 0, max: 3 }),
  alert: fc.nat(20),
  dt: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 5 * MIN })),
});

/** The stream in order: user events, and now and then an alert notice (firing, repeat, resolved). */
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function stream(steps: Step[]): Msg[] {
  let time = T0;
  const msgs: Msg[] = [];
  const episodes = new Map<string, { episode: number; notices: number }>();
  steps.forEach((s, i) => {
    time += s.dt;
    const host = HOSTS[s.host] ?? '';
    if (s.alert < 2) {
      // Alerts of one host: notices 1, 2, … of an episode, then resolved; the next episode has a new alertId.
      const e = episodes.get(host) ?? { episode: 0, notices: 0 };
      episodes.set(host, e);
      const alertId = `alert-${host}-${e.episode}`;
      if (s.alert === 1 && e.notices > 0) {
        msgs.push({
          subject: `alerts.${host}`,
          input: alertMessage({ alertId, status: 'resolved', time, node: host }),
        });
        e.episode += 1;
        e.notices = 0;
      } else {
        e.notices += 1;
        const input = alertMessage({ alertId, status: 'firing', notification: e.notices, time, node: host });
        msgs.push({ subject: `alerts.${host}`, input });
      }
      return;
    }
    const kind = KINDS[s.kind] ?? 'session.start';
    const input = userEvent({
      id: seqId(i),
      time,
      kind,
      user: USERS[s.user] ?? '',
      host,
      app: kind.startsWith('connection') ? (APPS[s.app] ?? null) : null,
      sessions: s.sessions,
    });
    msgs.push({ subject: `events.${host}.${kind}`, input });
  });
  return msgs;
}

/** Interleaves the per-subject sequences by `choices`, then delivers some messages again later. */
function arrival(msgs: Msg[], choices: number[], dups: { of: number; after: number }[]): ReceivedEnvelope[] {
  const queues = new Map<string, Msg[]>();
  for (const m of msgs) {
    const q = queues.get(m.subject) ?? [];
    q.push(m);
    queues.set(m.subject, q);
  }
  const out: ReceivedEnvelope[] = [];
  let i = 0;
  for (;;) {
    const open = [...queues.values()].filter((q) => q.length > 0);
    if (open.length === 0) break;
    const q = open[(choices[i++] ?? 0) % open.length] ?? [];
    const m = q.shift();
    if (m !== undefined) out.push(m.input);
  }
  for (const d of dups) {
    if (out.length === 0) break;
    const p = d.of % out.length;
    const original = out[p];
    if (original === undefined) continue;
    const at = p + 1 + (d.after % (out.length - p));
    out.splice(at, 0, structuredClone(original));
  }
  return out;
}

const NOW = T0 + 10 * HOUR;

function snapshot(view: ClusterView): unknown {
  const s = view.stats();
  return {
    sessions: view.sessionsNow(),
    connections: view.connectionsNow(),
    users: view.usersNow(),
    totals: view.totals(),
    hosts: view.hostCounts(),
    apps: view.appCounts(),
    alerts: view.alertsNow(),
    nodes: view.nodes(NOW),
    stale: [s.staleStops, s.staleCloses, s.unmatchedExpired],
  };
}

interface Interval {
  start: number;
  end: number | null;
  endId: string | null;
  reason: string | null;
}

/** The history the changes describe: every interval by id, and every alert notice id. */
function history(changes: readonly ViewChange[]): { intervals: Map<string, Interval>; alerts: string[] } {
  const intervals = new Map<string, Interval>();
  const alerts: string[] = [];
  for (const c of changes) {
    switch (c.kind) {
      case 'session.opened':
      case 'connection.opened':
        expect(intervals.has(c.id)).toBe(false);
        intervals.set(c.id, { start: c.start, end: null, endId: null, reason: null });
        break;
      case 'session.closed':
      case 'connection.closed': {
        const i = intervals.get(c.id);
        expect(i).toBeDefined();
        if (i !== undefined) Object.assign(i, { end: c.end, endId: c.endId, reason: c.reason });
        break;
      }
      case 'session.reopened':
      case 'connection.reopened': {
        const i = intervals.get(c.id);
        expect(i?.end).not.toBeNull();
        if (i !== undefined) Object.assign(i, { end: null, endId: null, reason: null });
        break;
      }
      case 'alert':
        alerts.push(c.id);
        break;
    }
  }
  return { intervals: new Map([...intervals].sort(([a], [b]) => (a < b ? -1 : 1))), alerts: alerts.sort() };
}

describe('ClusterView: arrival order and repeats do not matter', () => {
  // Long enough that nothing leaves the reorder window or the id memory in these streams.
  const options = { reorderWindowMs: 7 * 24 * HOUR, idleTimeoutMs: null };

  it('any per-subject-ordered interleaving with redeliveries gives the in-order view and history', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
        fc.array(fc.record({ of: fc.nat(), after: fc.nat() }), { maxLength: 20 }),
        (steps, choices, dups) => {
          const msgs = stream(steps);
          const inOrder = new ClusterView(options, NOW);
          const inOrderChanges: ViewChange[] = [];
          for (const m of msgs) inOrderChanges.push(...inOrder.apply(m.input, NOW).changes);

          const shuffled = new ClusterView(options, NOW);
          const shuffledChanges: ViewChange[] = [];
          const arrived = arrival(msgs, choices, dups);
          let duplicates = 0;
          for (const input of arrived) {
            const r = shuffled.apply(input, NOW);
            if (r.outcome === 'duplicate') duplicates += 1;
            else expect(r.outcome).toBe('applied');
            shuffledChanges.push(...r.changes);
          }
          expect(snapshot(shuffled)).toEqual(snapshot(inOrder));
          expect(history(shuffledChanges)).toEqual(history(inOrderChanges));
          expect(duplicates).toBe(arrived.length - msgs.length);
          expect(shuffled.stats().beyondWindow).toBe(0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('counts never go negative and equal the open intervals listed, whatever arrives', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 80 }),
        fc.array(fc.nat(), { minLength: 80, maxLength: 80 }),
        (steps, choices) => {
          const view = new ClusterView({ reorderWindowMs: 10 * MIN, maxOpenPerKey: 3 }, NOW);
          for (const input of arrival(stream(steps), choices, [])) view.apply(input, NOW);
          const totals = view.totals();
          expect(totals.sessions).toBe(view.sessionsNow().length);
          expect(totals.connections).toBe(view.connectionsNow().length);
          expect(totals.users).toBe(view.usersNow().length);
          for (const h of view.hostCounts()) {
            expect(h.sessions).toBeGreaterThanOrEqual(0);
            expect(h.connections).toBeGreaterThanOrEqual(0);
            expect(h.users).toBeGreaterThan(0);
          }
          const apps = view.appCounts().reduce((n, a) => n + a.connections, 0);
          expect(apps).toBe(view.connectionsNow().filter((c) => c.appId !== null).length);
          const s = view.stats();
          expect(Math.min(s.staleStops, s.staleCloses, s.unmatchedExpired)).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
