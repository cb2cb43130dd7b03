/**
 * The cluster facts (catalogued in src/rules/load/cluster-catalog.ts) as json-rules-engine
 * facts, read from the cluster view through a `ClusterPass`: one call of onChanges or tick,
 * which reads each part of the view at most once however many rules and targets ask.
 */
import type { Engine } from 'json-rules-engine';
import type { UserRef } from '../../core/events.js';
import { parseDuration } from '../../core/duration.js';
import { bindFacts } from '../../rules/engine/bind-facts.js';
import { createTimeFacts } from '../../rules/engine/time-facts.js';
import type { ZoneClock } from '../../rules/schedule.js';
import type { Schedule } from '../../rules/types.js';
import type { ClusterView, NodeInfo, Totals } from '../cluster-view.js';
import type { LoginWindow } from './login-window.js';

/** What cluster rules read of the view; a ClusterView is one. */
export type ClusterViewReader = Pick<ClusterView, 'sessionsNow' | 'connectionsNow' | 'totals' | 'nodes'>;

/**
 * What one rule evaluation is about, by the rule's key. `id` is the alert key: the user as
 * `dir\id` in lower case (the view's identity of a user), the node's name, or `cluster`.
 * Plain data: episodes keep it to re-evaluate the rule as time passes.
 */
export type ClusterTarget =
  | { readonly key: 'user'; readonly id: string; readonly user: UserRef }
  | { readonly key: 'node'; readonly id: string }
  | { readonly key: 'cluster'; readonly id: 'cluster' };

export const CLUSTER_TARGET: ClusterTarget = { key: 'cluster', id: 'cluster' };

export interface UserFacts {
  readonly sessions: number;
  readonly connections: number;
  /** Hosts with a session or connection of the user open, sorted. */
  readonly hosts: readonly string[];
}

/** The view as of one call, read lazily and at most once per part. */
export class ClusterPass {
  private nodeMap: Map<string, NodeInfo> | null = null;
  private totalsRead: Totals | null = null;
  private readonly users = new Map<string, UserFacts>();

  constructor(
    readonly view: ClusterViewReader,
    readonly logins: LoginWindow,
    readonly now: number,
  ) {}

  nodes(): ReadonlyMap<string, NodeInfo> {
    this.nodeMap ??= new Map(this.view.nodes(this.now).map((n) => [n.node, n]));
    return this.nodeMap;
  }

  totals(): Totals {
    this.totalsRead ??= this.view.totals();
    return this.totalsRead;
  }

  /** `id` is `dir\id`; the view's filters compare users case-insensitively. */
  user(id: string): UserFacts {
    let facts = this.users.get(id);
    if (facts === undefined) {
      const sessions = this.view.sessionsNow({ user: id });
      const connections = this.view.connectionsNow({ user: id });
      const hosts = new Set<string>();
      for (const s of sessions) hosts.add(s.host);
      for (const c of connections) hosts.add(c.host);
      facts = {
        sessions: sessions.length,
        connections: connections.length,
        hosts: [...hosts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      };
      this.users.set(id, facts);
    }
    return facts;
  }
}

/** What the facts of one engine read; set before each run (an engine runs one target at a time). */
export interface FactContext {
  target: ClusterTarget;
  pass: ClusterPass | null;
}

type Params = Record<string, unknown>;
type Reader = (context: FactContext, pass: ClusterPass, params: Params) => unknown;

const seconds = (ms: number): number => Math.max(0, Math.floor(ms / 1000));

function nodeOf(context: FactContext, pass: ClusterPass): NodeInfo | undefined {
  return context.target.key === 'node' ? pass.nodes().get(context.target.id) : undefined;
}

function userOf(context: FactContext, pass: ClusterPass): UserFacts | undefined {
  return context.target.key === 'user' ? pass.user(context.target.id) : undefined;
}

/** Time since the node's last status arrived (since it was first seen when it never sent one). */
function statusAge(node: NodeInfo, now: number): number {
  return seconds(now - (node.lastStatusReceivedAt ?? node.firstSeenAt));
}

function datagramAge(node: NodeInfo, now: number): number {
  return seconds(now - (node.lastDatagramAt ?? node.firstSeenAt));
}

/** `no-status` wins: without status nothing is known about the datagrams either. */
export function nodeReason(node: NodeInfo): 'none' | 'no-status' | 'no-datagrams' {
  if (node.silent.includes('no-status')) return 'no-status';
  return node.silent.includes('no-datagrams') ? 'no-datagrams' : 'none';
}

/**
 * Each cluster fact. A fact about a user or a node answers undefined for another target (the
 * loader refuses such rules; json-rules-engine treats undefined as "does not hold"), and for
 * a node the view no longer knows, so that its alert resolves.
 */
export const CLUSTER_FACT_READERS: Readonly<Record<string, Reader>> = {
  user: (c) => (c.target.key === 'user' ? `${c.target.user.directory}\\${c.target.user.id}` : undefined),
  userHosts: (c, p) => userOf(c, p)?.hosts.length,
  userSessions: (c, p) => userOf(c, p)?.sessions,
  userConnections: (c, p) => userOf(c, p)?.connections,
  node: (c, p) => nodeOf(c, p)?.node,
  nodeSilent: (c, p) => {
    const node = nodeOf(c, p);
    return node === undefined ? undefined : node.silent.length > 0;
  },
  nodeReason: (c, p) => {
    const node = nodeOf(c, p);
    return node === undefined ? undefined : nodeReason(node);
  },
  nodeSilentFor: (c, p) => {
    const node = nodeOf(c, p);
    if (node === undefined) return undefined;
    switch (nodeReason(node)) {
      case 'no-status':
        return statusAge(node, p.now);
      case 'no-datagrams':
        return datagramAge(node, p.now);
      case 'none':
        return 0;
    }
  },
  nodeStatusAge: (c, p) => {
    const node = nodeOf(c, p);
    return node === undefined ? undefined : statusAge(node, p.now);
  },
  nodeDatagramAge: (c, p) => {
    const node = nodeOf(c, p);
    return node === undefined ? undefined : datagramAge(node, p.now);
  },
  nodeExpected: (c, p) => nodeOf(c, p)?.expected,
  nodeSessions: (c, p) => nodeOf(c, p)?.sessions,
  nodeUsers: (c, p) => nodeOf(c, p)?.users,
  nodeLogins: (c, p, params) =>
    c.target.key === 'node' ? p.logins.count(windowMs(params), p.now, c.target.id) : undefined,
  clusterUsers: (_c, p) => p.totals().users,
  clusterSessions: (_c, p) => p.totals().sessions,
  clusterConnections: (_c, p) => p.totals().connections,
  clusterHosts: (_c, p) => p.totals().hosts,
  clusterSilentNodes: (_c, p) => {
    let silent = 0;
    for (const node of p.nodes().values()) if (node.silent.length > 0) silent += 1;
    return silent;
  },
  clusterLogins: (_c, p, params) => p.logins.count(windowMs(params), p.now),
};

function windowMs(params: Params): number {
  const window = params['window'];
  return typeof window === 'string' ? (parseDuration(window) ?? 0) : 0;
}

export function bindClusterFacts(
  engine: Engine,
  context: () => FactContext,
  schedules: ReadonlyMap<string, Schedule>,
  zones: ZoneClock,
  defaultTimezone: string,
): void {
  for (const [name, read] of Object.entries(CLUSTER_FACT_READERS)) {
    // Uncached: json-rules-engine would hash the params of every call; the pass caches instead.
    engine.addFact(
      name,
      (params: Params) => {
        const current = context();
        return current.pass === null ? undefined : read(current, current.pass, params);
      },
      { cache: false },
    );
  }
  bindFacts(
    engine,
    createTimeFacts(() => context().pass?.now ?? 0, schedules, zones, defaultTimezone),
  );
}

/** The facts bound by bindClusterFacts, for the test that keeps them equal to the catalog. */
export const BOUND_CLUSTER_FACTS: readonly string[] = [
  ...Object.keys(CLUSTER_FACT_READERS),
  'inSchedule',
  'hour',
  'weekday',
];

/** Names a cluster rule's message can use besides facts (CLUSTER_TEMPLATE_FIELDS). */
export function targetFields(target: ClusterTarget, pass: ClusterPass): Record<string, string> {
  switch (target.key) {
    case 'user':
      return {
        user: `${target.user.directory}\\${target.user.id}`,
        hosts: pass.user(target.id).hosts.join(', '),
      };
    case 'node': {
      const node = pass.nodes().get(target.id);
      return {
        node: target.id,
        hosts: node?.hosts.join(', ') ?? '',
        reason: node?.silent.join(', ') ?? 'not known to the view any more',
      };
    }
    case 'cluster':
      return {};
  }
}
