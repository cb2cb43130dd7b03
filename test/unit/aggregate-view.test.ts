import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ClusterView, type ClusterViewOptions } from '../../src/aggregate/cluster-view.js';
import type { ReceivedEnvelope } from '../../src/contract/envelope.js';
import type { ViewChange } from '../../src/aggregate/types.js';
import {
  alertMessage,
  HOUR,
  MIN,
  rejectMessage,
  SEC,
  statusMessage,
  T0,
  userEvent,
  type UserKind,
} from '../fixtures/aggregate/messages.js';

/** Closed changes name their user; these cases are about the intervals. */
const ANY_USER: unknown = expect.anything();

interface CaseEvent {
  id: string;
  at: number;
  kind: UserKind;
  user?: string;
  host?: string;
  app?: string;
  sessions?: number;
}
interface Case {
  name: string;
  events: CaseEvent[];
  arrive?: string[];
  expect: {
    sessions?: string[];
    connections?: string[];
    stale?: { staleStops?: number; staleCloses?: number; unmatchedExpired?: number };
    changes?: string[];
  };
}

const CASES = parse(
  readFileSync(new URL('../fixtures/aggregate/view-cases.yaml', import.meta.url), 'utf8'),
) as Case[];
const NOW = T0 + HOUR;

function toInput(e: CaseEvent): ReceivedEnvelope {
  return userEvent({
    id: e.id,
    time: T0 + e.at * SEC,
    kind: e.kind,
    ...(e.user === undefined ? {} : { user: e.user }),
    ...(e.host === undefined ? {} : { host: e.host }),
    ...(e.app === undefined ? {} : { app: e.app }),
    ...(e.sessions === undefined ? {} : { sessions: e.sessions }),
  });
}

const at = (iso: string): number => (Date.parse(iso) - T0) / SEC;

function describeChange(c: ViewChange): string {
  return `${c.kind} ${c.id}`;
}

describe('ClusterView: matching cases (test/fixtures/aggregate/view-cases.yaml)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const view = new ClusterView();
      const byId = new Map(c.events.map((e) => [e.id, toInput(e)]));
      const order = c.arrive ?? c.events.map((e) => e.id);
      let last: readonly ViewChange[] = [];
      for (const id of order) {
        const input = byId.get(id);
        if (input === undefined) throw new Error(`case ${c.name}: unknown id ${id}`);
        last = view.apply(input, NOW).changes;
      }
      if (c.expect.sessions !== undefined) {
        expect(
          view.sessionsNow().map((s) => `${s.host} ${s.user.directory}\\${s.user.id} @${at(s.start)}`),
        ).toEqual(c.expect.sessions);
        expect(view.totals().sessions).toBe(c.expect.sessions.length);
      }
      if (c.expect.connections !== undefined) {
        expect(
          view
            .connectionsNow()
            .map((s) => `${s.host} ${s.user.directory}\\${s.user.id} ${s.appId ?? '-'} @${at(s.start)}`),
        ).toEqual(c.expect.connections);
      }
      const stats = view.stats();
      expect({
        staleStops: stats.staleStops,
        staleCloses: stats.staleCloses,
        unmatchedExpired: stats.unmatchedExpired,
      }).toEqual({ staleStops: 0, staleCloses: 0, unmatchedExpired: 0, ...c.expect.stale });
      if (c.expect.changes !== undefined) expect(last.map(describeChange)).toEqual(c.expect.changes);
    });
  }
});

describe('ClusterView: now', () => {
  function cluster(): ClusterView {
    const view = new ClusterView();
    const events: Parameters<typeof userEvent>[0][] = [
      { id: 'e1', time: T0, kind: 'session.start', user: 'CORP\\jdoe', host: 'SENSE-NODE1' },
      { id: 'e2', time: T0 + SEC, kind: 'session.start', user: 'CORP\\ann', host: 'SENSE-NODE1' },
      { id: 'e3', time: T0 + 2 * SEC, kind: 'session.start', user: 'CORP\\jdoe', host: 'SENSE-NODE2' },
      {
        id: 'e4',
        time: T0 + 3 * SEC,
        kind: 'connection.open',
        user: 'CORP\\jdoe',
        host: 'SENSE-NODE1',
        app: 'app-a',
      },
      {
        id: 'e5',
        time: T0 + 4 * SEC,
        kind: 'connection.open',
        user: 'CORP\\ann',
        host: 'SENSE-NODE1',
        app: 'app-a',
      },
      {
        id: 'e6',
        time: T0 + 5 * SEC,
        kind: 'connection.open',
        user: 'CORP\\jdoe',
        host: 'SENSE-NODE2',
        app: 'app-b',
      },
      { id: 'e7', time: T0 + 6 * SEC, kind: 'session.start', user: 'EXT\\eve', host: 'SENSE-NODE2' },
      { id: 'e8', time: T0 + 7 * SEC, kind: 'session.stop', user: 'EXT\\eve', host: 'SENSE-NODE2' },
    ];
    for (const e of events) view.apply(userEvent(e), T0 + 10 * SEC);
    return view;
  }

  it('lists one entry per open session, oldest first, in the API shape', () => {
    expect(cluster().sessionsNow()).toEqual([
      { host: 'SENSE-NODE1', user: { directory: 'CORP', id: 'jdoe' }, start: '2026-11-30T08:00:00.000Z' },
      { host: 'SENSE-NODE1', user: { directory: 'CORP', id: 'ann' }, start: '2026-11-30T08:00:01.000Z' },
      { host: 'SENSE-NODE2', user: { directory: 'CORP', id: 'jdoe' }, start: '2026-11-30T08:00:02.000Z' },
    ]);
  });

  it('filters by host and by DIR\\id, both case-insensitive', () => {
    const view = cluster();
    expect(view.sessionsNow({ host: 'sense-node2' }).map((s) => s.user.id)).toEqual(['jdoe']);
    expect(view.sessionsNow({ user: 'corp\\JDOE' }).map((s) => s.host)).toEqual([
      'SENSE-NODE1',
      'SENSE-NODE2',
    ]);
    expect(view.sessionsNow({ host: 'SENSE-NODE1', user: 'CORP\\ann' })).toHaveLength(1);
    expect(view.sessionsNow({ user: 'nobody' })).toEqual([]);
    expect(view.sessionsNow({ host: 'SENSE-NODE9' })).toEqual([]);
  });

  it('counts per host, per app and per user; users on now across the cluster', () => {
    const view = cluster();
    expect(view.totals()).toEqual({ sessions: 3, connections: 3, users: 2, hosts: 2, apps: 2 });
    expect(view.hostCounts()).toEqual([
      { host: 'SENSE-NODE1', node: 'SENSE-NODE1', sessions: 2, connections: 2, users: 2 },
      { host: 'SENSE-NODE2', node: 'SENSE-NODE2', sessions: 1, connections: 1, users: 1 },
    ]);
    expect(view.appCounts()).toEqual([
      { appId: 'app-a', connections: 2, users: 2 },
      { appId: 'app-b', connections: 1, users: 1 },
    ]);
    expect(view.usersNow()).toEqual([
      { user: { directory: 'CORP', id: 'ann' }, sessions: 1, connections: 1, hosts: ['SENSE-NODE1'] },
      {
        user: { directory: 'CORP', id: 'jdoe' },
        sessions: 2,
        connections: 2,
        hosts: ['SENSE-NODE1', 'SENSE-NODE2'],
      },
    ]);
    expect(view.connectionsNow({ app: 'APP-A' }).map((c) => c.user.id)).toEqual(['jdoe', 'ann']);
    expect(view.connectionsNow({ host: 'SENSE-NODE2' })).toEqual([
      {
        host: 'SENSE-NODE2',
        user: { directory: 'CORP', id: 'jdoe' },
        appId: 'app-b',
        start: '2026-11-30T08:00:05.000Z',
      },
    ]);
  });

  it('returns the interval changes each event made, for the history', () => {
    const view = new ClusterView();
    const start = view.apply(userEvent({ id: 'a', time: T0, kind: 'session.start', node: 'sidecar-1' }), T0);
    expect(start).toEqual({
      outcome: 'applied',
      detail: null,
      order: 'in-order',
      changes: [
        {
          kind: 'session.opened',
          id: 'a',
          host: 'SENSE-NODE1',
          node: 'sidecar-1',
          user: { directory: 'CORP', id: 'jdoe' },
          start: T0,
        },
      ],
    });
    const stop = view.apply(userEvent({ id: 'b', time: T0 + MIN, kind: 'session.stop' }), T0 + MIN);
    expect(stop.changes).toEqual([
      { kind: 'session.closed', id: 'a', user: ANY_USER, end: T0 + MIN, endId: 'b', reason: 'stop' },
    ]);
    const open = view.apply(
      userEvent({ id: 'c', time: T0 + MIN, kind: 'connection.open', app: 'x' }),
      T0 + MIN,
    );
    expect(open.changes).toEqual([
      {
        kind: 'connection.opened',
        id: 'c',
        host: 'SENSE-NODE1',
        node: 'SENSE-NODE1',
        user: { directory: 'CORP', id: 'jdoe' },
        appId: 'x',
        start: T0 + MIN,
      },
    ]);
  });

  it('applies a duplicated or redelivered message once', () => {
    const view = new ClusterView();
    const msg = userEvent({ id: 'a', time: T0, kind: 'session.start' });
    expect(view.apply(msg, T0).outcome).toBe('applied');
    const again = view.apply(structuredClone(msg), T0 + HOUR);
    expect(again).toEqual({ outcome: 'duplicate', detail: null, order: null, changes: [] });
    expect(view.sessionsNow()).toHaveLength(1);
    expect(view.stats().duplicates).toBe(1);
  });

  it('refuses and counts a message whose subject names another node or host than it does', () => {
    const view = new ClusterView();
    const event = userEvent({ id: 'e1', time: T0, kind: 'session.start', host: 'SENSE-NODE1' });
    const status = statusMessage('s1', 'SENSE-NODE1', T0);
    const reject = rejectMessage('r1', 'SENSE-NODE1', T0);
    const alert = alertMessage({ alertId: 'a1', status: 'firing', time: T0, host: 'sense.node-1' });
    const forged: [ReceivedEnvelope, string][] = [
      [event, 'sense.events.SENSE-NODE2.session.start'],
      [status, 'sense.status.SENSE-NODE2'],
      [reject, 'acme.sense.rejects.SENSE-NODE2'],
      [alert, 'sense.alerts.SENSE-NODE1.warning.parallel-session-limit'],
    ];
    for (const [input, subject] of forged)
      expect(view.apply(input, T0, subject)).toMatchObject({
        outcome: 'invalid',
        detail: 'subject-mismatch',
      });
    expect(view.stats().invalid['subject-mismatch']).toBe(4);
    expect(view.sessionsNow()).toEqual([]);
    const agreeing: [ReceivedEnvelope, string][] = [
      [event, 'sense.events.SENSE-NODE1.session.start'],
      [status, 'sense.status.SENSE-NODE1'],
      [reject, 'acme.sense.rejects.SENSE-NODE1'],
      // a host's subject token: characters outside A-Za-z0-9_- become _
      [alert, 'sense.alerts.sense_node-1.warning.parallel-session-limit'],
    ];
    for (const [input, subject] of agreeing) expect(view.apply(input, T0, subject).outcome).toBe('applied');
    expect(view.sessionsNow()).toHaveLength(1);
  });

  it('counts invalid and ignored messages and never throws on them', () => {
    const view = new ClusterView();
    const good = userEvent({ id: 'a', time: T0, kind: 'session.start' });
    const bad: [ReceivedEnvelope, string][] = [
      [{ ...good, id: '' }, 'bad-envelope'],
      [{ ...good, time: 'yesterday' }, 'bad-time'],
      [{ ...good, data: null }, 'bad-data'],
      [{ ...good, data: { host: 'H', user: { directory: 'D', id: '' } } }, 'bad-data'],
      [{ ...good, data: { host: '', user: { directory: 'D', id: 'x' } } }, 'bad-data'],
      [{ ...good, type: 'sense.session.expired' }, 'bad-data'],
    ];
    for (const [input, reason] of bad)
      expect(view.apply(input, T0)).toMatchObject({ outcome: 'invalid', detail: reason });
    expect(view.apply({ ...good, type: 'sense.rules.rejected' }, T0)).toMatchObject({
      outcome: 'ignored',
      detail: 'sense.rules.rejected',
    });
    expect(view.stats().invalid).toEqual({
      'bad-envelope': 1,
      'bad-time': 1,
      'bad-data': 4,
      'subject-mismatch': 0,
    });
    expect(view.stats().ignored).toBe(1);
    expect(view.sessionsNow()).toEqual([]);
    // An invalid message is not remembered: the well-formed one with the same id still applies.
    expect(view.apply(good, T0).outcome).toBe('applied');
  });
});

describe('ClusterView: nodes and liveness', () => {
  const OPTIONS: ClusterViewOptions = { statusSilentAfterMs: 35 * SEC, datagramsSilentAfterMs: 30 * MIN };

  it('tracks per node its hosts, last event and last status, rejects and firing alerts', () => {
    const view = new ClusterView(OPTIONS, T0);
    view.apply(
      userEvent({ id: 'a', time: T0, kind: 'session.start', host: 'sense1.corp.example', node: 'SENSE1' }),
      T0,
    );
    view.apply(statusMessage('s1', 'SENSE1', T0 + 5 * SEC, { received: 1 }), T0 + 5 * SEC);
    view.apply(rejectMessage('r1', 'SENSE1', T0 + 6 * SEC), T0 + 6 * SEC);
    view.apply(rejectMessage('r2', 'SENSE1', T0 + 7 * SEC, 'too-few-fields'), T0 + 7 * SEC);
    view.apply(
      alertMessage({ alertId: 'al1', status: 'firing', time: T0 + 8 * SEC, node: 'SENSE1' }),
      T0 + 8 * SEC,
    );
    const [node] = view.nodes(T0 + 10 * SEC);
    expect(node).toEqual({
      node: 'SENSE1',
      expected: false,
      hosts: ['sense1.corp.example'],
      sessions: 1,
      connections: 0,
      users: 1,
      firstSeenAt: T0,
      lastEventAt: T0,
      lastEventReceivedAt: T0,
      lastStatusAt: T0 + 5 * SEC,
      lastStatusReceivedAt: T0 + 5 * SEC,
      lastDatagramAt: T0,
      status: expect.objectContaining({ received: 1, nats: 'connected', version: '0.1.0' }) as unknown,
      events: 1,
      rejects: 2,
      rejectsByReason: { 'unknown-prefix': 1, 'too-few-fields': 1 },
      alertsFiring: 1,
      silent: [],
    });
    expect(view.hostCounts()).toEqual([
      { host: 'sense1.corp.example', node: 'SENSE1', sessions: 1, connections: 0, users: 1 },
    ]);
  });

  it('flags a node without status (sidecar down) and one without datagrams (appender broken)', () => {
    const view = new ClusterView(OPTIONS, T0);
    // NODE1: status keeps coming and its received counter grows: fine.
    // NODE2: status keeps coming but nothing is received: the proxy's appender sends nothing.
    // NODE3: had events, then its sidecar went quiet.
    view.apply(userEvent({ id: 'n3', time: T0, kind: 'session.start', host: 'NODE3' }), T0);
    for (let i = 0; i <= 200; i++) {
      const t = T0 + i * 10 * SEC;
      view.apply(statusMessage(`a${i}`, 'NODE1', t, { received: i }), t);
      view.apply(statusMessage(`b${i}`, 'NODE2', t, { received: 7 }), t);
      if (i < 3) view.apply(statusMessage(`c${i}`, 'NODE3', t, { received: 1 }), t);
    }
    const now = T0 + 2000 * SEC;
    const silent = view.silentNodes(now);
    expect(silent.map((n) => [n.node, n.silent])).toEqual([
      ['NODE2', ['no-datagrams']],
      ['NODE3', ['no-status', 'no-datagrams']],
    ]);
    // The hosts of a silent node: unknown rather than "nobody on".
    expect(silent[1]?.hosts).toEqual(['NODE3']);
    expect(silent[1]?.sessions).toBe(1);
    // Thresholds can be given per call.
    expect(view.silentNodes(now, HOUR, HOUR)).toEqual([]);
  });

  it('a sidecar restart with datagrams counts as a sign of life; an older status is not news', () => {
    const view = new ClusterView(OPTIONS, T0);
    view.apply(statusMessage('s1', 'N', T0, { received: 50, startedAt: T0 - HOUR }), T0);
    view.apply(
      statusMessage('s2', 'N', T0 + 10 * SEC, { received: 3, startedAt: T0 + 5 * SEC }),
      T0 + 10 * SEC,
    );
    expect(view.nodes(T0 + 10 * SEC)[0]?.lastDatagramAt).toBe(T0 + 10 * SEC);
    view.apply(statusMessage('s0', 'N', T0 - 10 * SEC, { received: 999 }), T0 + 20 * SEC);
    const [n] = view.nodes(T0 + 20 * SEC);
    expect(n?.status?.received).toBe(3);
    expect(n?.lastStatusReceivedAt).toBe(T0 + 20 * SEC);
    expect(n?.lastDatagramAt).toBe(T0 + 10 * SEC);
  });

  it('shows expected nodes that never said anything, and flags them once the thresholds pass', () => {
    const view = new ClusterView({ ...OPTIONS, expectedNodes: ['SENSE-NODE4'] }, T0);
    expect(view.nodes(T0)).toMatchObject([{ node: 'SENSE-NODE4', expected: true, silent: [] }]);
    expect(view.silentNodes(T0 + MIN).map((n) => n.silent)).toEqual([['no-status']]);
  });
});

describe('ClusterView: alerts', () => {
  it('keeps firing alerts until resolved; a late firing notice does not bring one back', () => {
    const view = new ClusterView();
    const f1 = alertMessage({ alertId: 'A', status: 'firing', notification: 1, time: T0 });
    const f2 = alertMessage({
      alertId: 'A',
      status: 'firing',
      notification: 2,
      time: T0 + 30 * MIN,
      firingSince: T0,
    });
    const r = alertMessage({
      alertId: 'A',
      status: 'resolved',
      notification: 2,
      time: T0 + 40 * MIN,
      firingSince: T0,
    });
    expect(view.apply(f2, T0).changes).toMatchObject([{ kind: 'alert', id: 'A-f2', status: 'firing' }]);
    view.apply(f1, T0);
    expect(view.alertsNow()).toMatchObject([{ alertId: 'A', notification: 2, firingSince: T0 }]);
    view.apply(r, T0);
    expect(view.alertsNow()).toEqual([]);
    const late = alertMessage({ alertId: 'A', status: 'firing', notification: 3, time: T0 + 35 * MIN });
    expect(view.apply(late, T0).changes).toHaveLength(1); // recorded in the history …
    expect(view.alertsNow()).toEqual([]); // … but not firing again
    expect(view.apply(r, T0).outcome).toBe('duplicate');
  });
});

describe('ClusterView: expiry, bounds and evictions', () => {
  it('expire(now) closes what received nothing for idleTimeoutMs, with reason timeout', () => {
    const view = new ClusterView({ idleTimeoutMs: 12 * HOUR });
    view.apply(userEvent({ id: 'a', time: T0, kind: 'session.start' }), T0);
    view.apply(userEvent({ id: 'b', time: T0, kind: 'connection.open', app: 'x' }), T0);
    view.apply(
      userEvent({ id: 'c', time: T0 + 6 * HOUR, kind: 'session.start', user: 'CORP\\ann' }),
      T0 + 6 * HOUR,
    );
    expect(view.expire(T0 + 12 * HOUR)).toEqual([]);
    expect(view.expire(T0 + 12 * HOUR + 1)).toEqual([
      {
        kind: 'session.closed',
        id: 'a',
        user: ANY_USER,
        end: T0 + 12 * HOUR + 1,
        endId: null,
        reason: 'timeout',
      },
      {
        kind: 'connection.closed',
        id: 'b',
        user: ANY_USER,
        end: T0 + 12 * HOUR + 1,
        endId: null,
        reason: 'timeout',
      },
    ]);
    expect(view.totals()).toEqual({ sessions: 1, connections: 0, users: 1, hosts: 1, apps: 0 });
    expect(view.stats().timedOut).toEqual({ sessions: 1, connections: 1 });
    expect(new ClusterView({ idleTimeoutMs: null }).expire(T0 + 1000 * HOUR)).toEqual([]);
  });

  it('caps the open sessions of one user on one host, closing the oldest (reason evicted)', () => {
    const view = new ClusterView({ maxOpenPerKey: 3 });
    let last: readonly ViewChange[] = [];
    for (let i = 0; i < 5; i++) {
      last = view.apply(
        userEvent({ id: `s${i}`, time: T0 + i * SEC, kind: 'session.start' }),
        T0 + 10 * SEC,
      ).changes;
    }
    expect(last).toEqual([
      expect.objectContaining({ kind: 'session.opened', id: 's4' }),
      {
        kind: 'session.closed',
        id: 's1',
        user: ANY_USER,
        end: T0 + 10 * SEC,
        endId: null,
        reason: 'evicted',
      },
    ]);
    expect(view.sessionsNow().map((s) => s.start)).toHaveLength(3);
    expect(view.stats().evicted.sessions).toBe(2);
  });

  it('evicts the least recently active (host, user), preferring one with nothing open', () => {
    const view = new ClusterView({ maxPresences: 2 });
    view.apply(userEvent({ id: 'a', time: T0, kind: 'session.start', user: 'CORP\\a' }), T0);
    view.apply(userEvent({ id: 'b', time: T0, kind: 'session.stop', user: 'CORP\\b' }), T0 + 1);
    const c = view.apply(userEvent({ id: 'c', time: T0, kind: 'session.start', user: 'CORP\\c' }), T0 + 2);
    expect(c.changes.map((x) => x.kind)).toEqual(['session.opened']); // b (nothing open) made room
    const d = view.apply(userEvent({ id: 'd', time: T0, kind: 'session.start', user: 'CORP\\d' }), T0 + 3);
    expect(d.changes).toEqual([
      {
        kind: 'session.closed',
        id: 'a',
        user: ANY_USER,
        end: T0 + 3,
        endId: null,
        reason: 'evicted',
      },
      expect.objectContaining({ kind: 'session.opened', id: 'd' }),
    ]);
    expect(view.usersNow().map((u) => u.user.id)).toEqual(['c', 'd']);
    expect(view.stats().evicted).toMatchObject({ presences: 2, sessions: 1 });
  });

  it('forgets a user on a host with nothing open once the reorder window has passed', () => {
    const view = new ClusterView({ reorderWindowMs: 10 * MIN });
    view.apply(userEvent({ id: 'a', time: T0, kind: 'session.stop' }), T0);
    expect(view.stats().presences).toBe(1);
    view.apply(statusMessage('s', 'SENSE-NODE1', T0 + 11 * MIN), T0 + 11 * MIN);
    expect(view.stats().presences).toBe(0);
    expect(view.stats().staleStops).toBe(1); // the count stays
  });

  it('places an event older than what its key folded away approximately, and counts it', () => {
    const view = new ClusterView({ reorderWindowMs: 10 * MIN });
    view.apply(userEvent({ id: 'a', time: T0, kind: 'session.start' }), T0);
    // 30 min later: a is more than the window behind the newest event of the key and is folded.
    view.apply(userEvent({ id: 'b', time: T0 + 30 * MIN, kind: 'session.start' }), T0 + 30 * MIN);
    // A stop newer than everything folded is still placed exactly: it closes a.
    const exact = new ClusterView({ reorderWindowMs: 10 * MIN });
    exact.apply(userEvent({ id: 'a', time: T0, kind: 'session.start' }), T0);
    exact.apply(userEvent({ id: 'b', time: T0 + 30 * MIN, kind: 'session.start' }), T0 + 30 * MIN);
    const stop = exact.apply(userEvent({ id: 'c', time: T0 + MIN, kind: 'session.stop' }), T0 + 31 * MIN);
    expect(stop.order).toBe('late');
    expect(stop.changes).toEqual([
      { kind: 'session.closed', id: 'a', user: ANY_USER, end: T0 + MIN, endId: 'c', reason: 'stop' },
    ]);
    // A stop from before a's start cannot be placed among the folded events: it is taken as the
    // oldest event of the window; it closes nothing newer than itself, so it is stale.
    const late = view.apply(userEvent({ id: 'c', time: T0 - MIN, kind: 'session.stop' }), T0 + 31 * MIN);
    expect(late.order).toBe('beyond-window');
    expect(late.changes).toEqual([]);
    expect(view.stats().staleStops).toBe(1);
    expect(view.stats().beyondWindow).toBe(1);
    expect(view.sessionsNow()).toHaveLength(2);
  });

  it('past maxIds, a forgotten id of a stream is recognised by the stream’s watermark', () => {
    const view = new ClusterView({ maxIds: 3 });
    const msgs = [0, 1, 2, 3, 4].map((i) =>
      userEvent({ id: `0${i}`, time: T0 + i * SEC, kind: 'session.start', user: `CORP\\u${i}` }),
    );
    for (const m of msgs) view.apply(m, T0 + 10 * SEC);
    // 00 and 01 are forgotten; their stream (node, type) has moved past them.
    expect(view.stats().evicted.ids).toBe(2);
    expect(view.apply(msgs[0] as ReceivedEnvelope, T0 + 20 * SEC).outcome).toBe('beyond-horizon');
    expect(view.apply(msgs[4] as ReceivedEnvelope, T0 + 20 * SEC).outcome).toBe('duplicate');
    // Another stream (a stop, another type) is not affected by that watermark.
    const stop = userEvent({ id: '00x', time: T0, kind: 'session.stop', user: 'CORP\\u0' });
    expect(view.apply(stop, T0 + 20 * SEC).outcome).toBe('applied');
    expect(view.totals().sessions).toBe(4);
  });

  it('forgets ids older than idHorizonMs', () => {
    const view = new ClusterView({ idHorizonMs: HOUR });
    const m = userEvent({ id: 'a', time: T0, kind: 'session.start' });
    view.apply(m, T0);
    view.expire(T0 + 2 * HOUR);
    expect(view.stats().seenIds).toBe(0);
    expect(view.apply(m, T0 + 2 * HOUR).outcome).toBe('beyond-horizon');
  });

  it('refuses nonsensical options', () => {
    expect(() => new ClusterView({ maxIds: 0 })).toThrow(RangeError);
    expect(() => new ClusterView({ reorderWindowMs: -1 })).toThrow(/reorderWindowMs/);
  });
});

describe('ClusterView: restore after a restart', () => {
  it('takes the open intervals, firing alerts and known ids from the history without changes', () => {
    const view = new ClusterView();
    view.restore(
      {
        sessions: [
          {
            id: 's1',
            host: 'N1',
            node: 'N1',
            user: { directory: 'CORP', id: 'jdoe' },
            start: T0,
            appId: null,
          },
          {
            id: 's2',
            host: 'N1',
            node: 'N1',
            user: { directory: 'CORP', id: 'jdoe' },
            start: T0 + MIN,
            appId: null,
          },
        ],
        connections: [
          {
            id: 'c1',
            host: 'N1',
            node: 'N1',
            user: { directory: 'CORP', id: 'jdoe' },
            start: T0,
            appId: 'x',
          },
        ],
        firingAlerts: [
          {
            id: 'A-f1',
            alertId: 'A',
            status: 'firing',
            rule: 'r',
            severity: 'warning',
            key: 'k',
            host: 'N1',
            node: 'N1',
            message: 'm',
            time: T0,
            firingSince: T0,
            notification: 1,
            description: '',
            conditions: [],
          },
        ],
        seenIds: ['stop-1'],
      },
      T0 + HOUR,
    );
    expect(view.totals()).toEqual({ sessions: 2, connections: 1, users: 1, hosts: 1, apps: 1 });
    expect(view.alertsNow()).toHaveLength(1);
    // The node's hosts come back too, so per-node counts are right before its next event.
    expect(view.nodes(T0 + HOUR).map((n) => [n.node, n.hosts, n.sessions, n.connections])).toEqual([
      ['N1', ['N1'], 2, 1],
    ]);
    const stopAgain = userEvent({ id: 'stop-1', time: T0 + 2 * MIN, kind: 'session.stop', host: 'N1' });
    expect(view.apply(stopAgain, T0 + HOUR).outcome).toBe('duplicate');
    const stop = userEvent({ id: 'stop-2', time: T0 + 2 * MIN, kind: 'session.stop', host: 'N1' });
    expect(view.apply(stop, T0 + HOUR).changes).toEqual([
      {
        kind: 'session.closed',
        id: 's1',
        user: ANY_USER,
        end: T0 + 2 * MIN,
        endId: 'stop-2',
        reason: 'stop',
      },
    ]);
  });
});
