import { describe, expect, it } from 'vitest';
import { BOUND_CLUSTER_FACTS } from '../../src/aggregate/cluster-rules/facts.js';
import { loadClusterRuleFiles } from '../../src/aggregate/cluster-rules/index.js';
import {
  type LoadRuleOptions,
  type RuleSource,
  CLUSTER_FACT_NAMES,
  loadClusterRuleSources,
  loadRuleSources,
  loadRules,
} from '../../src/rules/load/index.js';
import { type RuleLoadResult, formatRuleIssue } from '../../src/rules/types.js';

type Load = (sources: readonly RuleSource[], options: LoadRuleOptions) => RuleLoadResult<string>;

function issuesOf(text: string, load: Load = loadClusterRuleSources): string[] {
  const result = load([{ name: 'c.yaml', text }], { defaultTimezone: 'UTC' });
  return result.ok ? result.warnings.map(formatRuleIssue) : result.issues.map(formatRuleIssue);
}

const RULE = (lines: string): string => `scope: cluster\nrules:\n  - id: r\n${lines}`;

describe('cluster rule files', () => {
  it('the shipped cluster rules load without a warning', async () => {
    const loaded = await loadClusterRuleFiles(['rules/cluster'], 'UTC');
    if (!loaded.ok) throw new Error(loaded.issues.map(formatRuleIssue).join('\n'));
    expect(loaded.warnings).toEqual([]);
    expect(loaded.rules.ruleSet.rules.map((r) => [r.id, r.key])).toEqual([
      ['cluster-login-storm', 'cluster'],
      ['node-silent', 'node'],
      ['user-on-several-nodes', 'user'],
    ]);
  });

  it('the sidecar default path does not reach rules/cluster (directories are not read recursively)', async () => {
    const loaded = await loadRules(['rules'], { defaultTimezone: 'UTC' });
    if (!loaded.ok) throw new Error(loaded.issues.map(formatRuleIssue).join('\n'));
    expect(loaded.ruleSet.files.some((file) => file.includes('cluster'))).toBe(false);
  });

  it('the sidecar refuses a cluster rule file, pointing at its scope', async () => {
    const loaded = await loadRules(['rules/cluster/nodes.yaml'], { defaultTimezone: 'UTC' });
    expect(loaded.ok ? [] : loaded.issues.map(formatRuleIssue)).toEqual([
      'rules/cluster/nodes.yaml:6:8: this file holds cluster rules (scope: cluster): the aggregator loads them, ' +
        'not the sidecar; keep it out of rules.paths, e.g. in rules/cluster/ (rule directories are not read recursively)',
    ]);
  });

  it('the aggregator refuses a sidecar rule file', () => {
    expect(
      issuesOf('rules:\n  - id: a\n    when: {all: [{fact: user, operator: equal, value: x}]}\n'),
    ).toEqual([
      'c.yaml:1:1: this is not a cluster rule file: add scope: cluster at the top (without it, it holds sidecar ' +
        'rules, which the sidecar loads from rules.paths)',
    ]);
  });

  it('a bad scope value', () => {
    expect(issuesOf('scope: clustr\nrules: []\n')).toEqual([
      'c.yaml:1:8: scope must be cluster (a cluster rule file, for the aggregator) or sidecar (the default), got "clustr"',
    ]);
  });

  it('sidecar-only rule keys are refused with what to do instead', () => {
    const issues = issuesOf(
      RULE(
        '    on: [session.start]\n    action: drop\n    key: user\n    when: {all: [{fact: userHosts, operator: greaterThan, value: 1}]}\n',
      ),
    );
    expect(issues).toEqual([
      'c.yaml:4:5: on is not a key of a cluster rule: cluster rules are not run on event kinds: key: user runs on ' +
        'each change of a user, key: node and key: cluster as the view changes and time passes; remove on',
      'c.yaml:5:5: action is not a key of a cluster rule: cluster rules only alert (events are dropped by the ' +
        'sidecars, before they count); remove action',
    ]);
  });

  it('an unknown fact gets a suggestion; a sidecar fact says which file it belongs in', () => {
    expect(
      issuesOf(RULE('    key: user\n    when: {all: [{fact: userHost, operator: greaterThan, value: 1}]}\n')),
    ).toEqual(['c.yaml:5:25: unknown fact "userHost"; did you mean "userHosts"?']);
    expect(
      issuesOf(
        RULE(
          '    key: user\n    when: {all: [{fact: activeSessions, params: {per: user}, operator: greaterThan, value: 1}]}\n',
        ),
      ),
    ).toEqual([
      'c.yaml:5:25: unknown fact "activeSessions"; activeSessions is a sidecar fact, and this is a cluster rule file ' +
        '(a sidecar rule file has no scope: cluster)',
    ]);
    // And the other way round.
    expect(
      issuesOf(
        'rules:\n  - id: a\n    when: {all: [{fact: clusterUsers, operator: greaterThan, value: 1}]}\n',
        loadRuleSources,
      ),
    ).toEqual([
      'c.yaml:3:25: unknown fact "clusterUsers"; clusterUsers is a cluster fact, and this is a sidecar rule file ' +
        '(a cluster rule file starts with scope: cluster)',
    ]);
  });

  it('a fact about a user or a node needs that key', () => {
    expect(issuesOf(RULE('    when: {all: [{fact: userHosts, operator: greaterThan, value: 1}]}\n'))).toEqual(
      [
        'c.yaml:4:25: userHosts is a fact about one user, but the rule is evaluated per cluster (no key: given); write key: user',
      ],
    );
    expect(
      issuesOf(RULE('    key: user\n    when: {all: [{fact: nodeSilent, operator: equal, value: true}]}\n')),
    ).toEqual([
      'c.yaml:5:25: nodeSilent is a fact about one node, but the rule is evaluated per user; write key: node',
    ]);
  });

  it('keys, windows, values and message names are checked as for the sidecar', () => {
    expect(
      issuesOf(
        RULE(
          '    key: host\n' +
            '    when: {all: [{fact: clusterLogins, params: {window: 48h}, operator: greaterThan, value: "10"}]}\n' +
            "    message: '{{host}} {{facts.clusterLogin}}'\n",
        ),
      ),
    ).toEqual([
      'c.yaml:4:10: key must be one of user, node, cluster, got "host"',
      'c.yaml:5:57: params.window "48h" is too long; at most 24h',
      'c.yaml:5:93: value must be a number, got "10" (a string compares as text: "10" > "9" is false); write 10 without quotes',
      'c.yaml:6:17: message: unknown name {{host}}; did you mean {{hosts}}?',
    ]);
    expect(
      issuesOf(
        RULE(
          "    key: node\n    when: {all: [{fact: nodeReason, operator: equal, value: silent}]}\n    message: '{{facts.clusterLogins}}'\n",
        ),
      ),
    ).toEqual([
      'c.yaml:5:61: nodeReason is one of none, no-status, no-datagrams, got "silent"',
      "c.yaml:6:17: warning: message: {{facts.clusterLogins}} is always empty: the rule's conditions do not use the fact clusterLogins",
    ]);
  });

  it('a message field that has no value for the rule key is a warning', () => {
    expect(
      issuesOf(
        RULE(
          "    key: user\n    when: {all: [{fact: userHosts, operator: greaterThan, value: 1}]}\n    message: '{{user}} {{node}}'\n",
        ),
      ),
    ).toEqual([
      'c.yaml:6:26: warning: message: {{node}} is always empty for a rule with key: user; it has {{user}}, {{hosts}}, {{rule}}, {{key}}, {{severity}}',
    ]);
  });

  it('every catalogued cluster fact is bound, and nothing else', () => {
    expect([...BOUND_CLUSTER_FACTS].sort()).toEqual([...CLUSTER_FACT_NAMES].sort());
  });
});
