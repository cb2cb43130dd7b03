import { describe, expect, it } from 'vitest';
import { clusterRulePaths, parseSnapshot } from '../../src/aggregate/cluster-alerting.js';
import { AlertOutbox, ClusterRuleFeed } from '../../src/aggregate/cluster-rule-hand-offs.js';
import {
  type ClusterDecision,
  type ClusterRules,
  createClusterRules,
  loadClusterRuleTexts,
} from '../../src/aggregate/cluster-rules/index.js';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import type { ViewChange } from '../../src/aggregate/types.js';
import { alertMessage, SEC, T0, userEvent } from '../fixtures/aggregate/messages.js';

const RULES = `scope: cluster
rules:
  - id: several
    severity: warning
    key: user
    when: { all: [{ fact: userHosts, operator: greaterThanInclusive, value: 2 }] }
    resolve: true
`;

function rules(): ClusterRules {
  const loaded = loadClusterRuleTexts([{ name: 'users.yaml', text: RULES }], 'UTC');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return createClusterRules({ rules: loaded.rules, name: 'agg', subjectPrefix: 'sense' });
}

const decision = (n: number): ClusterDecision =>
  ({ status: 'firing', subject: `s.${n}`, messageId: `m${n}` }) as unknown as ClusterDecision;

describe('ClusterRuleFeed', () => {
  it('evaluates the changes of folds made during an evaluation together, and skips alert-only changes', async () => {
    const view = new ClusterView({}, T0);
    const calls: number[] = [];
    const inner = rules();
    const counting: ClusterRules = {
      ...inner,
      onChanges: (changes, v, now) => {
        calls.push(changes.length);
        return inner.onChanges(changes, v, now);
      },
    };
    const decided: ClusterDecision[] = [];
    const feed = new ClusterRuleFeed({
      rules: counting,
      view,
      decided: (d) => decided.push(...d),
      failed: (e) => {
        throw e;
      },
    });
    const fold = (input: ReturnType<typeof userEvent>): void => {
      feed.add(view.apply(input, T0 + SEC).changes, T0 + SEC);
    };
    fold(userEvent({ id: 'e1', time: T0, kind: 'session.start', host: 'H1', user: 'CORP\\ann' }));
    fold(userEvent({ id: 'e2', time: T0, kind: 'session.start', host: 'H2', user: 'CORP\\ann' }));
    fold(userEvent({ id: 'e3', time: T0, kind: 'session.start', host: 'H3', user: 'CORP\\bob' }));
    feed.add(
      view.apply(alertMessage({ alertId: 'x', status: 'firing', time: T0 }), T0 + SEC).changes,
      T0 + SEC,
    );
    await feed.idle();
    expect(calls).toEqual([1, 2]);
    expect(decided.map((d) => [d.status, d.notice.key])).toEqual([['firing', 'corp\\ann']]);
    expect(feed.stats()).toMatchObject({ evaluations: 2, failures: 0, changesDropped: 0, pendingChanges: 0 });
  });

  it('gives up changes past its bound while an evaluation runs, and counts them', async () => {
    const view = new ClusterView({}, T0);
    const feed = new ClusterRuleFeed({
      rules: rules(),
      view,
      decided: () => undefined,
      failed: () => undefined,
      maxPendingChanges: 1,
    });
    const opened = (id: string): ViewChange[] => [
      ...view.apply(userEvent({ id, time: T0, kind: 'session.start', user: `CORP\\${id}` }), T0).changes,
    ];
    feed.add(opened('a'), T0); // taken by the running evaluation
    feed.add(opened('b'), T0); // pending
    feed.add(opened('c'), T0); // over the bound
    await feed.idle();
    expect(feed.stats()).toMatchObject({ evaluations: 2, changesDropped: 1 });
  });
});

describe('AlertOutbox', () => {
  it('publishes in order, keeps a failed one at the head and retries it, and refuses past its capacity', async () => {
    const sent: string[] = [];
    let failNext = 1;
    let retry: (() => void) | null = null;
    const outbox = new AlertOutbox({
      send: (d) => {
        if (failNext > 0) {
          failNext -= 1;
          return Promise.reject(new Error('no responders'));
        }
        sent.push(d.messageId);
        return Promise.resolve();
      },
      capacity: 3,
      schedule: (run) => {
        retry = run;
        return { cancel: () => (retry = null) };
      },
    });
    outbox.enqueue([decision(1), decision(2), decision(3), decision(4)]);
    await outbox.settled();
    expect(sent).toEqual([]);
    expect(outbox.stats()).toEqual({
      published: { firing: 0, resolved: 0 },
      errors: 1,
      dropped: 1,
      queued: 3,
    });
    expect(retry).not.toBeNull();
    (retry as unknown as () => void)();
    await outbox.settled();
    expect(sent).toEqual(['m1', 'm2', 'm3']);
    expect(outbox.stats()).toEqual({
      published: { firing: 3, resolved: 0 },
      errors: 1,
      dropped: 1,
      queued: 0,
    });
  });

  it('counts what is still queued at stop as dropped', async () => {
    const outbox = new AlertOutbox({
      send: () => Promise.reject(new Error('down')),
      schedule: () => ({ cancel: () => undefined }),
    });
    outbox.enqueue([decision(1), decision(2)]);
    await outbox.stop();
    expect(outbox.stats()).toMatchObject({ errors: 1, dropped: 2, queued: 0 });
  });
});

describe('clusterRulePaths', () => {
  const exists = (present: string[]) => (p: string) => present.includes(p);
  it('falls back to the shipped rules only for the default path missing from the working directory', () => {
    expect(clusterRulePaths(['rules/cluster'], exists(['/pkg/rules/cluster']), '/pkg/rules/cluster')).toEqual(
      {
        paths: ['/pkg/rules/cluster'],
        shipped: true,
      },
    );
    expect(
      clusterRulePaths(
        ['rules/cluster'],
        exists(['rules/cluster', '/pkg/rules/cluster']),
        '/pkg/rules/cluster',
      ),
    ).toEqual({ paths: ['rules/cluster'], shipped: false });
    expect(clusterRulePaths(['mine'], exists(['/pkg/rules/cluster']), '/pkg/rules/cluster')).toEqual({
      paths: ['mine'],
      shipped: false,
    });
  });
});

describe('parseSnapshot', () => {
  it('takes back what snapshot() wrote and refuses anything else', async () => {
    const r = rules();
    const view = new ClusterView({}, T0);
    for (const [id, host] of [
      ['e1', 'H1'],
      ['e2', 'H2'],
    ] as const)
      await r.onChanges(
        view.apply(userEvent({ id, time: T0, kind: 'session.start', host }), T0).changes,
        view,
        T0,
      );
    const text = JSON.stringify(r.snapshot());
    const parsed = parseSnapshot(text);
    expect(parsed?.episodes).toHaveLength(1);
    expect(rules().restore(parsed ?? { version: 1, fingerprints: {}, episodes: [] })).toBe(1);
    expect(parseSnapshot(text.slice(0, -5))).toBeNull();
    expect(parseSnapshot('{"version":2,"fingerprints":{},"episodes":[]}')).toBeNull();
    expect(parseSnapshot('{"version":1,"fingerprints":{},"episodes":[{"ruleId":1}]}')).toBeNull();
  });
});

describe('ClusterView clusterAlertHost', () => {
  it("keeps the aggregators' own alerts without listing their sender as a node", () => {
    const view = new ClusterView({ clusterAlertHost: 'cluster' }, T0);
    view.apply(alertMessage({ alertId: 'c', status: 'firing', time: T0, node: 'agg', host: 'cluster' }), T0);
    view.apply(
      alertMessage({ alertId: 's', status: 'firing', time: T0, node: 'NODE-A', host: 'NODE-A' }),
      T0,
    );
    expect(
      view
        .alertsNow()
        .map((a) => a.alertId)
        .sort(),
    ).toEqual(['c', 's']);
    expect(view.nodes(T0 + 3_600_000).map((n) => n.node)).toEqual(['NODE-A']);
  });
});
