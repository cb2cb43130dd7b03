import type { StatusSummary } from '../../contract/decode.js';
import { compareText } from './order.js';
import type { NodeInfo, SilentReason } from './view-types.js';

interface NodeEntry {
  readonly node: string;
  expected: boolean;
  firstSeenAt: number;
  /** Host → greatest event time naming it. */
  readonly hosts: Map<string, number>;
  lastEventAt: number | null;
  lastEventReceivedAt: number | null;
  lastStatusAt: number | null;
  lastStatusReceivedAt: number | null;
  lastDatagramAt: number | null;
  status: StatusSummary | null;
  events: number;
  rejects: number;
  readonly rejectsByReason: Map<string, number>;
}

/** Hosts remembered per node. */
const MAX_HOSTS_PER_NODE = 1000;

/** What is open on one host, for a node's totals. */
export interface HostTotals {
  readonly sessions: number;
  readonly connections: number;
  readonly users: number;
}

/**
 * The sidecar nodes the view has heard of, with their liveness: last event, last status and
 * the counters it carried, the Sense hosts each node's events named, rejects by reason.
 * Liveness is a property of the sidecar (its `source`), not of the hosts it reports, so a
 * silent node means its hosts are unknown rather than empty.
 *
 * Bounded: `maxNodes` nodes, the least recently heard from out first (counted), and
 * MAX_HOSTS_PER_NODE hosts per node, the one named longest ago out first.
 */
export class NodeRoster {
  /** Least recently heard from first (re-inserted on every message). */
  private readonly nodeMap = new Map<string, NodeEntry>();
  private evictedCount = 0;

  constructor(private readonly maxNodes: number) {}

  get evicted(): number {
    return this.evictedCount;
  }

  /** A node listed in the configuration: shown (and flagged silent) before it says anything. */
  expect(name: string, now: number): void {
    this.node(name, now).expected = true;
  }

  /** Any message from the node: it is known and most recently heard. */
  heard(name: string, now: number): void {
    this.node(name, now);
  }

  /** A user event of the node naming `host` at event time `time`. */
  event(name: string, host: string, time: number, now: number): void {
    const node = this.node(name, now);
    if (node.lastEventAt === null || time > node.lastEventAt) node.lastEventAt = time;
    node.lastEventReceivedAt = now;
    node.lastDatagramAt = now;
    node.events += 1;
    this.noteHost(node, host, time);
  }

  /** A host the history says the node had open intervals on (after a restart). */
  restoredHost(name: string, host: string, time: number, now: number): void {
    this.noteHost(this.node(name, now), host, time);
  }

  reject(name: string, reason: string, now: number): void {
    const node = this.node(name, now);
    node.rejects += 1;
    node.rejectsByReason.set(reason, (node.rejectsByReason.get(reason) ?? 0) + 1);
  }

  status(name: string, time: number, status: StatusSummary, now: number): void {
    const n = this.node(name, now);
    n.lastStatusReceivedAt = now;
    // An older status (redelivered late) tells nothing new about the counters.
    if (n.lastStatusAt !== null && time < n.lastStatusAt) return;
    const prev = n.status;
    const received = status.received ?? 0;
    if (prev !== null) {
      const restarted = status.startedAt !== prev.startedAt;
      if (received > (prev.received ?? 0) || (restarted && received > 0)) n.lastDatagramAt = now;
    }
    n.lastStatusAt = time;
    n.status = status;
  }

  /** Every known node with liveness, sorted by name. */
  list(
    now: number,
    silentAfterMs: number,
    datagramsSilentAfterMs: number,
    hostTotals: (host: string) => HostTotals | undefined,
    firingByNode: ReadonlyMap<string, number>,
  ): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const n of this.nodeMap.values()) {
      let sessions = 0;
      let connections = 0;
      let users = 0;
      for (const host of n.hosts.keys()) {
        const h = hostTotals(host);
        if (h === undefined) continue;
        sessions += h.sessions;
        connections += h.connections;
        users += h.users;
      }
      const silent: SilentReason[] = [];
      if ((n.lastStatusReceivedAt ?? n.firstSeenAt) < now - silentAfterMs) silent.push('no-status');
      if ((n.lastDatagramAt ?? n.firstSeenAt) < now - datagramsSilentAfterMs) silent.push('no-datagrams');
      out.push({
        node: n.node,
        expected: n.expected,
        hosts: [...n.hosts.keys()].sort(compareText),
        sessions,
        connections,
        users,
        firstSeenAt: n.firstSeenAt,
        lastEventAt: n.lastEventAt,
        lastEventReceivedAt: n.lastEventReceivedAt,
        lastStatusAt: n.lastStatusAt,
        lastStatusReceivedAt: n.lastStatusReceivedAt,
        lastDatagramAt: n.lastDatagramAt,
        status: n.status,
        events: n.events,
        rejects: n.rejects,
        rejectsByReason: Object.fromEntries(n.rejectsByReason),
        alertsFiring: firingByNode.get(n.node) ?? 0,
        silent,
      });
    }
    return out.sort((a, b) => compareText(a.node, b.node));
  }

  /** The node's entry, created on first mention; moved to the most recently heard end. */
  private node(name: string, now: number): NodeEntry {
    let n = this.nodeMap.get(name);
    if (n !== undefined) {
      this.nodeMap.delete(name);
      this.nodeMap.set(name, n);
      return n;
    }
    if (this.nodeMap.size >= this.maxNodes) {
      const oldest = this.nodeMap.keys().next();
      if (oldest.done !== true) {
        this.nodeMap.delete(oldest.value);
        this.evictedCount += 1;
      }
    }
    n = {
      node: name,
      expected: false,
      firstSeenAt: now,
      hosts: new Map(),
      lastEventAt: null,
      lastEventReceivedAt: null,
      lastStatusAt: null,
      lastStatusReceivedAt: null,
      lastDatagramAt: null,
      status: null,
      events: 0,
      rejects: 0,
      rejectsByReason: new Map(),
    };
    this.nodeMap.set(name, n);
    return n;
  }

  private noteHost(node: NodeEntry, host: string, time: number): void {
    const last = node.hosts.get(host);
    if (last !== undefined) {
      if (time > last) node.hosts.set(host, time);
      return;
    }
    if (node.hosts.size >= MAX_HOSTS_PER_NODE) {
      let oldest: string | null = null;
      let oldestTime = Infinity;
      for (const [h, t] of node.hosts) {
        if (t < oldestTime) {
          oldest = h;
          oldestTime = t;
        }
      }
      if (oldest !== null) node.hosts.delete(oldest);
    }
    node.hosts.set(host, time);
  }
}
