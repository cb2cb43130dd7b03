/**
 * What a cluster rule file (`scope: cluster`) may say: the facts of the aggregator's cluster
 * view, the keys a cluster rule is evaluated per, and the names its message may use. The same
 * loader checks both kinds of file; this is the cluster's half of what catalog.ts is for the
 * sidecar. The aggregator binds every fact here (src/aggregate/cluster-rules/facts.ts); a test
 * keeps the two lists equal.
 *
 * Hosts and nodes: a *host* is a Sense node as the proxy names it in its events (what users
 * are on); a *node* is a sidecar (what goes silent). They are usually the same name.
 */
import { WEEKDAYS } from '../types.js';
import type { FactSpec } from './catalog.js';

/**
 * The key a cluster rule is evaluated per, which is also its alert key:
 * - `user`: each user with a change (a session or connection opened) and, as time passes,
 *   each user whose alert is firing; the alert key is the user (`dir\id`, lower case);
 * - `node`: every sidecar node the view knows, on every tick; the alert key is the node;
 * - `cluster`: the cluster as a whole, after every batch of changes and on every tick; the
 *   alert key is `cluster`.
 */
export const CLUSTER_RULE_KEYS = ['user', 'node', 'cluster'] as const;
export type ClusterRuleKey = (typeof CLUSTER_RULE_KEYS)[number];

/** Values of `nodeReason`: why the view calls a node silent (no-status wins when both hold). */
export const NODE_REASONS = ['none', 'no-status', 'no-datagrams'] as const;

function number(name: string, extra: Partial<FactSpec> = {}): FactSpec {
  return { name, type: 'number', nullable: false, params: [], ...extra };
}

const WINDOW = [{ name: 'window', required: true, value: { kind: 'window' } }] as const;

export const CLUSTER_FACTS: readonly FactSpec[] = [
  // About one user (key: user).
  { name: 'user', type: 'text', nullable: false, params: [], subject: 'user' },
  number('userHosts', { subject: 'user' }),
  number('userSessions', { subject: 'user' }),
  number('userConnections', { subject: 'user' }),
  // About one sidecar node (key: node).
  { name: 'node', type: 'text', nullable: false, params: [], subject: 'node' },
  { name: 'nodeSilent', type: 'boolean', nullable: false, params: [], subject: 'node' },
  { name: 'nodeReason', type: 'text', nullable: false, values: NODE_REASONS, params: [], subject: 'node' },
  number('nodeSilentFor', { subject: 'node' }),
  number('nodeStatusAge', { subject: 'node' }),
  number('nodeDatagramAge', { subject: 'node' }),
  { name: 'nodeExpected', type: 'boolean', nullable: false, params: [], subject: 'node' },
  number('nodeSessions', { subject: 'node' }),
  number('nodeUsers', { subject: 'node' }),
  number('nodeLogins', { subject: 'node', params: WINDOW }),
  // The whole cluster (any key).
  number('clusterUsers'),
  number('clusterSessions'),
  number('clusterConnections'),
  number('clusterHosts'),
  number('clusterSilentNodes'),
  number('clusterLogins', { params: WINDOW }),
  // Time, as for the sidecar.
  {
    name: 'inSchedule',
    type: 'boolean',
    nullable: false,
    params: [{ name: 'name', required: true, value: { kind: 'schedule' } }],
  },
  number('hour', { range: { min: 0, max: 23 } }),
  { name: 'weekday', type: 'text', nullable: false, values: WEEKDAYS, params: [] },
];

export const CLUSTER_FACT_NAMES: readonly string[] = CLUSTER_FACTS.map((fact) => fact.name);

/**
 * Names a cluster rule's message may use besides `facts.*`: the subject's (`user`, `node`,
 * `hosts`: the user's hosts or the node's, comma-separated; `reason`: the node's silence
 * reasons) and the alert's own. A name that does not apply to the rule's key renders empty.
 */
export const CLUSTER_TEMPLATE_FIELDS = [
  'user',
  'node',
  'hosts',
  'reason',
  'rule',
  'key',
  'severity',
] as const;
