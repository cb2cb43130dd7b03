import { userKeyOf } from '../../src/core/events.js';
import fc from 'fast-check';
import { Engine } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import {
  type ClusterDecision,
  type ClusterRules,
  createClusterRules,
  loadClusterRuleFiles,
  loadClusterRuleTexts,
} from '../../src/aggregate/cluster-rules/index.js';
import { type CompiledClusterRules, compileClusterRules } from '../../src/aggregate/cluster-rules/compile.js';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import type { ReceivedEnvelope } from '../../src/contract/envelope.js';

import { formatRuleIssue } from '../../src/rules/types.js';
import {
  alertMessage,
  HOUR,
  MIN,
  SEC,
  seqId,
  statusMessage,
  T0,
  userEvent,
} from '../fixtures/aggregate/messages.js';

const shipped = await loadClusterRuleFiles(['rules/cluster'], 'UTC');
if (!shipped.ok) throw new Error(shipped.issues.map(formatRuleIssue).join('\n'));
const SHIPPED = shipped.rules;

/** Only some of the shipped rules (events from nodes without status would also make them silent). */
function shippedOnly(id: string): CompiledClusterRules {
  const { ruleSet } = SHIPPED;
  return compileClusterRules(
    { ...ruleSet, rules: ruleSet.rules.filter((rule) => rule.id === id) },
    { defaultTimezone: 'UTC' },
  );
}

function rulesOf(text: string): CompiledClusterRules {
  const loaded = loadClusterRuleTexts([{ name: 'test.yaml', text: `scope: cluster\n${text}` }], 'UTC');
  if (!loaded.ok) throw new Error(loaded.issues.map(formatRuleIssue).join('\n'));
  return loaded.rules;
}

/** A view, the cluster rules and a message counter: the aggregator's loop without NATS. */
function harness(rules: CompiledClusterRules = SHIPPED) {
  const view = new ClusterView({}, T0);
  const cluster = createClusterRules({ rules, name: 'aggregator', subjectPrefix: 'sense' });
  let n = 0;
  return {
    view,
    cluster,
    nextId: () => seqId(++n),
    async apply(input: ReceivedEnvelope, now: number): Promise<ClusterDecision[]> {
      return cluster.onChanges(view.apply(input, now).changes, view, now);
    },
    tick: (now: number) => cluster.tick(view, now),
  };
}

function summary(decisions: readonly ClusterDecision[]): string[] {
  return decisions.map((d) => `${d.status} ${d.notice.rule.id} ${d.notice.key} #${d.notice.notification}`);
}

describe('user-on-several-nodes (shipped)', () => {
  const harnessOfRule = () => harness(shippedOnly('user-on-several-nodes'));

  it('fires when a user is on a second node, throttles, repeats after the throttle, resolves on one node', async () => {
    const h = harnessOfRule();
    const start = (host: string, at: number) =>
      h.apply(userEvent({ id: h.nextId(), time: at, kind: 'session.start', user: 'CORP\\jdoe', host }), at);
    const stop = (host: string, at: number) =>
      h.apply(userEvent({ id: h.nextId(), time: at, kind: 'session.stop', user: 'CORP\\jdoe', host }), at);

    expect(await start('SENSE-NODE1', T0)).toEqual([]);
    const [fired, ...more] = await start('SENSE-NODE2', T0 + 10 * SEC);
    expect(more).toEqual([]);
    if (fired === undefined) throw new Error('no alert');
    expect(fired.subject).toBe('sense.alerts.cluster.warning.user-on-several-nodes');
    expect(fired.messageId).toBe(fired.envelope.id);
    expect(fired.envelope).toMatchObject({
      specversion: '1.0',
      id: `${fired.notice.alertId}-f1`,
      source: 'sense-sidecar/aggregator',
      type: 'sense.alert.firing',
      time: new Date(T0 + 10 * SEC).toISOString(),
      data: {
        status: 'firing',
        rule: 'user-on-several-nodes',
        severity: 'warning',
        key: 'corp\\jdoe',
        host: 'cluster',
        node: 'aggregator',
        message: 'CORP\\jdoe is on 2 Sense nodes at once (SENSE-NODE1, SENSE-NODE2)',
        firingSince: new Date(T0 + 10 * SEC).toISOString(),
        notification: 1,
        facts: { userHosts: 2 },
        conditions: [
          { fact: 'userHosts', operator: 'greaterThanInclusive', value: 2, factResult: 2, result: true },
        ],
        eventIds: [seqId(2)],
      },
    });

    // Within the throttle: a third node changes nothing.
    expect(await start('SENSE-NODE3', T0 + 20 * MIN)).toEqual([]);
    expect(h.cluster.stats().throttled).toEqual({ 'user-on-several-nodes': 1 });
    // After the throttle, the next change of the user repeats the alert (same episode).
    const repeat = await start('SENSE-NODE3', T0 + 70 * MIN);
    expect(summary(repeat)).toEqual(['firing user-on-several-nodes corp\\jdoe #2']);
    expect(repeat[0]?.notice.alertId).toBe(fired.notice.alertId);

    // Down to two nodes: still firing; down to one: resolved, same alert id.
    expect(await stop('SENSE-NODE2', T0 + 71 * MIN)).toEqual([]);
    expect(await stop('SENSE-NODE3', T0 + 72 * MIN)).toEqual([]);
    const resolved = await stop('SENSE-NODE3', T0 + 73 * MIN);
    expect(summary(resolved)).toEqual(['resolved user-on-several-nodes corp\\jdoe #0']);
    expect(resolved[0]?.messageId).toBe(`${fired.notice.alertId}-r`);
    expect(resolved[0]?.envelope.type).toBe('sense.alert.resolved');
    expect(resolved[0]?.subject).toBe('sense.alerts.cluster.warning.user-on-several-nodes');
  });

  it('an app connection counts as being on a node; the user key ignores case', async () => {
    const h = harnessOfRule();
    await h.apply(
      userEvent({ id: h.nextId(), time: T0, kind: 'session.start', user: 'CORP\\JDoe', host: 'SENSE-NODE1' }),
      T0,
    );
    const decisions = await h.apply(
      userEvent({
        id: h.nextId(),
        time: T0 + SEC,
        kind: 'connection.open',
        user: 'corp\\jdoe',
        host: 'SENSE-NODE2',
        app: 'e7af59a0-c243-480d-9571-08727551a66f',
      }),
      T0 + SEC,
    );
    expect(summary(decisions)).toEqual(['firing user-on-several-nodes corp\\jdoe #1']);
  });

  it('resolves on the tick when the view times the sessions out', async () => {
    const h = harnessOfRule();
    for (const host of ['SENSE-NODE1', 'SENSE-NODE2']) {
      await h.apply(userEvent({ id: h.nextId(), time: T0, kind: 'session.start', host }), T0);
    }
    expect(h.cluster.stats().fired).toEqual({ 'user-on-several-nodes': 1 });
    const later = T0 + 25 * HOUR;
    const decisions = await h.cluster.onChanges(h.view.expire(later), h.view, later);
    expect(summary(decisions)).toEqual(['resolved user-on-several-nodes corp\\jdoe #0']);
  });
});

describe('cluster-login-storm (shipped)', () => {
  const logins = async (
    h: ReturnType<typeof harness>,
    count: number,
    from: number,
    every: number,
    now?: number,
  ): Promise<ClusterDecision[]> => {
    const out: ClusterDecision[] = [];
    for (let i = 0; i < count; i++) {
      const time = from + i * every;
      const host = `SENSE-NODE${(i % 4) + 1}`;
      const user = `CORP\\user${h.nextId()}`;
      out.push(
        ...(await h.apply(
          userEvent({ id: h.nextId(), time, kind: 'session.start', user, host }),
          now ?? time,
        )),
      );
    }
    return out;
  };

  it('fires above 1000 log-ins across all nodes in 5 minutes, once within the throttle, and resolves as the window empties', async () => {
    const h = harness(shippedOnly('cluster-login-storm'));
    // 1000 log-ins in 4m10s, 250 per node: no single node would notice.
    expect(await logins(h, 1000, T0, 250)).toEqual([]);
    const fired = await logins(h, 1, T0 + 250 * SEC, 0);
    expect(summary(fired)).toEqual(['firing cluster-login-storm cluster #1']);
    expect(fired[0]?.notice.message).toBe('1001 log-ins across the cluster in 5 minutes (threshold 1000)');
    expect(fired[0]?.subject).toBe('sense.alerts.cluster.warning.cluster-login-storm');
    // More log-ins: still firing, no repeat.
    expect(await logins(h, 50, T0 + 251 * SEC, 100)).toEqual([]);
    // Time passes: the 5-minute count falls below the threshold and the tick resolves it.
    expect(await h.tick(T0 + 5 * MIN)).toEqual([]);
    expect(summary(await h.tick(T0 + 6 * MIN))).toEqual(['resolved cluster-login-storm cluster #0']);
  });

  it('counts log-ins by when they started: a backlog delivered late is no storm', async () => {
    const h = harness(shippedOnly('cluster-login-storm'));
    // 2000 log-ins of the last hour, all arriving now (an aggregator catching up).
    const now = T0 + HOUR;
    expect(await logins(h, 2000, T0, 1800, now)).toEqual([]);
    expect(h.cluster.stats().logins.tooOld).toBeGreaterThan(0);
  });
});

describe('node-silent (shipped)', () => {
  it('fires for a node without status for a minute, with its name, reason and hosts; repeats hourly; resolves when it speaks', async () => {
    const h = harness();
    await h.apply(statusMessage(h.nextId(), 'SENSE-NODE1', T0), T0);
    await h.apply(userEvent({ id: h.nextId(), time: T0, kind: 'session.start', host: 'SENSE-NODE1' }), T0);
    // The aggregator's own alerts come back to it: its name becomes a node in the view, never silent for the rules.
    await h.apply(alertMessage({ alertId: 'a1', status: 'firing', time: T0, node: 'aggregator' }), T0);

    expect(await h.tick(T0 + 30 * SEC)).toEqual([]);
    // Silent in the view after 35 s, but the rule waits for a minute.
    expect(await h.tick(T0 + 40 * SEC)).toEqual([]);
    const fired = await h.tick(T0 + 61 * SEC);
    expect(summary(fired)).toEqual(['firing node-silent SENSE-NODE1 #1']);
    expect(fired[0]?.notice.message).toBe(
      'SENSE-NODE1 is silent (no-status) for 61 s; its hosts: SENSE-NODE1',
    );
    expect(fired[0]?.subject).toBe('sense.alerts.cluster.warning.node-silent');
    expect(fired[0]?.envelope.data.facts).toEqual({ nodeSilent: true, nodeSilentFor: 61 });

    expect(await h.tick(T0 + 30 * MIN)).toEqual([]);
    expect(summary(await h.tick(T0 + 62 * MIN))).toEqual(['firing node-silent SENSE-NODE1 #2']);

    await h.apply(statusMessage(h.nextId(), 'SENSE-NODE1', T0 + 63 * MIN, { received: 1 }), T0 + 63 * MIN);
    const resolved = await h.tick(T0 + 63 * MIN);
    expect(summary(resolved)).toEqual(['resolved node-silent SENSE-NODE1 #0']);
    expect(resolved[0]?.notice.alertId).toBe(fired[0]?.notice.alertId);
  });

  it('an expected node that never spoke goes silent too', async () => {
    const view = new ClusterView({ expectedNodes: ['SENSE-NODE9'] }, T0);
    const cluster = createClusterRules({ rules: SHIPPED, name: 'aggregator', subjectPrefix: 'sense' });
    expect(summary(await cluster.tick(view, T0 + 2 * MIN))).toEqual(['firing node-silent SENSE-NODE9 #1']);
  });
});

describe('cluster rules engine', () => {
  it('queues overlapping calls (json-rules-engine is not re-entrant)', async () => {
    const h = harness();
    const inputs = ['SENSE-NODE1', 'SENSE-NODE2', 'SENSE-NODE3'].map((host, i) =>
      h.view.apply(userEvent({ id: h.nextId(), time: T0 + i, kind: 'session.start', host }), T0 + i),
    );
    const all = await Promise.all(inputs.map((r, i) => h.cluster.onChanges(r.changes, h.view, T0 + i)));
    expect(all.flat().map((d) => d.notice.rule.id)).toEqual(['user-on-several-nodes']);
  });

  it('a reload keeps the alert memory of unchanged rules and forgets changed ones', async () => {
    const h = harness();
    for (const host of ['SENSE-NODE1', 'SENSE-NODE2']) {
      await h.apply(userEvent({ id: h.nextId(), time: T0, kind: 'session.start', host }), T0);
    }
    h.cluster.replace(SHIPPED);
    expect(h.cluster.stats().episodes).toBe(1);
    h.cluster.replace(
      rulesOf(
        'rules:\n  - id: user-on-several-nodes\n    key: user\n    resolve: true\n' +
          '    when: {all: [{fact: userHosts, operator: greaterThanInclusive, value: 3}]}\n',
      ),
    );
    expect(h.cluster.stats().episodes).toBe(0);
  });

  it('nodeLogins counts per sidecar node; clusterUsers and friends read the view', async () => {
    const h = harness(
      rulesOf(
        'rules:\n' +
          '  - id: busy-node\n    key: node\n' +
          '    when: {all: [{fact: nodeLogins, params: {window: 1m}, operator: greaterThanInclusive, value: 3}]}\n' +
          "    message: '{{node}} {{facts.nodeLogins}}'\n" +
          '  - id: many-users\n    key: cluster\n    resolve: true\n' +
          '    when: {all: [{fact: clusterUsers, operator: greaterThanInclusive, value: 4}, {fact: clusterSessions, operator: greaterThanInclusive, value: 4}]}\n',
      ),
    );
    const out: string[] = [];
    for (const [i, host] of ['N1', 'N2', 'N1', 'N1'].entries()) {
      const decisions = await h.apply(
        userEvent({ id: h.nextId(), time: T0 + i, kind: 'session.start', user: `CORP\\u${i}`, host }),
        T0 + i,
      );
      out.push(...decisions.map((d) => d.notice.message));
    }
    expect(out).toEqual(['N1 3', 'many-users in the cluster']);
  });

  it('binds facts so that conditions hold exactly as json-rules-engine says for the same values (differential)', async () => {
    const USERS = ['CORP\\a', 'CORP\\b', 'CORP\\c'];
    const HOSTS = ['H1', 'H2', 'H3'];
    const rules = rulesOf(
      'rules:\n  - id: spread\n    key: user\n    resolve: true\n' +
        '    when: {all: [{fact: userHosts, operator: greaterThanInclusive, value: 2}, {fact: userSessions, operator: lessThan, value: 4}]}\n',
    );
    const reference = new Engine([], { allowUndefinedFacts: true });
    reference.addRule({
      name: 'spread',
      conditions: {
        all: [
          { fact: 'userHosts', operator: 'greaterThanInclusive', value: 2 },
          { fact: 'userSessions', operator: 'lessThan', value: 4 },
        ],
      },
      event: { type: 'spread' },
    });
    const step = fc.record({ user: fc.nat(2), host: fc.nat(2), stop: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const h = harness(rules);
        const firing = new Set<string>();
        for (const [i, s] of steps.entries()) {
          const now = T0 + i * SEC;
          const kind = s.stop ? 'session.stop' : 'session.start';
          const user = USERS[s.user] ?? '';
          const host = HOSTS[s.host] ?? '';
          for (const d of await h.apply(userEvent({ id: h.nextId(), time: now, kind, user, host }), now)) {
            if (d.status === 'firing') firing.add(d.notice.key);
            else firing.delete(d.notice.key);
          }
          // What json-rules-engine answers for the facts read independently from the view.
          const expected = new Set<string>();
          for (const u of h.view.usersNow()) {
            const facts = { userHosts: u.hosts.length, userSessions: u.sessions };
            const { results } = await reference.run(facts);
            if (results.length > 0) expected.add(userKeyOf(u.user));
          }
          // A user firing before and whose sessions all closed is no longer in usersNow.
          expect([...firing].sort()).toEqual([...expected].sort());
        }
      }),
      { numRuns: 40 },
    );
  });
});

export type { ClusterRules };
