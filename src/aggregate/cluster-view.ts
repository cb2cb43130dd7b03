import type { UserRef } from '../core/events.js';
import { LinkedList, type Linked } from '../state/linked-list.js';
import { type Decoded, decodeMessage, type InvalidReason, type StatusSummary } from '../contract/decode.js';
import type { ReceivedEnvelope } from '../contract/envelope.js';
import { type AddOutcome, endItem, Ledger, type LedgerChange, startItem } from './ledger.js';
import { SeenIds } from './seen-ids.js';
import {
  type AlertRecord,
  type ConnectionEndReason,
  parseUserRef,
  type RestoreState,
  type SessionEndReason,
  type SessionEntry,
  type SessionFilter,
  userKeyOf,
  type ViewChange,
} from './types.js';

export interface ClusterViewOptions {
  /** CloudEvents ids remembered for idempotency (see SeenIds). Default 1,000,000. */
  readonly maxIds?: number;
  /** Ids older than this (by arrival) are forgotten. Default 24 h. */
  readonly idHorizonMs?: number;
  /**
   * How far (in event time) an event may arrive behind the newest event of its user on its
   * host and still be matched exactly (see Ledger). Default 15 min.
   */
  readonly reorderWindowMs?: number;
  /** (host, user) pairs tracked; the least recently active is evicted (its intervals closed). Default 500,000. */
  readonly maxPresences?: number;
  /** Open sessions, or open connections to one app, of one user on one host; the oldest is evicted. Default 256. */
  readonly maxOpenPerKey?: number;
  /** Sidecar nodes tracked; the least recently heard from is evicted. Default 10,000. */
  readonly maxNodes?: number;
  /** Firing alerts kept, and separately resolved alert ids remembered. Default 10,000. */
  readonly maxAlerts?: number;
  /**
   * The aggregator's own expiry (`expire`): a (host, user) with nothing received for this long
   * has its sessions and connections closed (reason `timeout`). Null: never. Default 24 h.
   */
  readonly idleTimeoutMs?: number | null;
  /** A node without a status message for this long is silent (`no-status`). Default 35 s. */
  readonly statusSilentAfterMs?: number;
  /** A node without any sign of datagrams for this long is silent (`no-datagrams`). Default 30 min. */
  readonly datagramsSilentAfterMs?: number;
  /** Nodes to show (and flag as silent) before they have said anything. */
  readonly expectedNodes?: readonly string[];
  /**
   * The `data.host` of the aggregators' own cluster alerts (`cluster`): such alerts are kept and
   * recorded like any other, but their sender is an aggregator, not a sidecar node, so it is not
   * listed among the nodes (where, never sending a status, it would always be silent).
   */
  readonly clusterAlertHost?: string;
}

export const CLUSTER_VIEW_DEFAULTS = {
  maxIds: 1_000_000,
  idHorizonMs: 24 * 3_600_000,
  reorderWindowMs: 15 * 60_000,
  maxPresences: 500_000,
  maxOpenPerKey: 256,
  maxNodes: 10_000,
  maxAlerts: 10_000,
  idleTimeoutMs: 24 * 3_600_000,
  statusSilentAfterMs: 35_000,
  datagramsSilentAfterMs: 30 * 60_000,
} as const;

/**
 * - `applied`: new, and the view took it (it may still change nothing, e.g. a stale stop);
 * - `duplicate`: its id was seen before; nothing changed;
 * - `beyond-horizon`: its id is no longer remembered but its stream has moved past it (see
 *   SeenIds); treated as a duplicate;
 * - `invalid`: not a well-formed message of a known type (`detail` says why);
 * - `ignored`: a type the view does not use (`detail` is the type).
 */
export type ApplyOutcome = 'applied' | 'duplicate' | 'beyond-horizon' | 'invalid' | 'ignored';

export interface ApplyResult {
  readonly outcome: ApplyOutcome;
  readonly detail: string | null;
  /** For session and connection events: whether it was matched at once, late, or beyond the window. */
  readonly order: AddOutcome | null;
  /** What changed, in order, for the history. */
  readonly changes: readonly ViewChange[];
}

export interface ConnectionEntry {
  readonly host: string;
  readonly user: UserRef;
  readonly appId: string | null;
  /** ISO 8601 of the connection.open. */
  readonly start: string;
}

export interface ConnectionFilter {
  readonly host?: string | undefined;
  readonly user?: string | undefined;
  readonly app?: string | undefined;
}

export interface UserNow {
  readonly user: UserRef;
  readonly sessions: number;
  readonly connections: number;
  /** Hosts where the user has a session or connection open, sorted. */
  readonly hosts: readonly string[];
}

export interface HostCount {
  readonly host: string;
  /** The sidecar node whose events named this host last. */
  readonly node: string;
  readonly sessions: number;
  readonly connections: number;
  readonly users: number;
}

export interface AppCount {
  readonly appId: string;
  readonly connections: number;
  readonly users: number;
}

export interface Totals {
  readonly sessions: number;
  readonly connections: number;
  /** Distinct users with a session or connection open anywhere. */
  readonly users: number;
  readonly hosts: number;
  readonly apps: number;
}

/**
 * - `no-status`: no status message for statusSilentAfterMs (sidecar down, or its NATS path);
 * - `no-datagrams`: no event and no growth of the status `received` counter for
 *   datagramsSilentAfterMs (the proxy's appender is not sending, or truly nobody is on).
 */
export type SilentReason = 'no-status' | 'no-datagrams';

export interface NodeInfo {
  /** The sidecar's `node` (from the CloudEvents source `sense-sidecar/<node>`). */
  readonly node: string;
  /** Listed in expectedNodes. */
  readonly expected: boolean;
  /** Sense hosts (the events' `data.host`) this node's events named, sorted. */
  readonly hosts: readonly string[];
  /** Open sessions, connections and active users on those hosts (users summed per host). */
  readonly sessions: number;
  readonly connections: number;
  readonly users: number;
  /** Epoch ms. `*At` of a message is its CloudEvents `time` (the sidecar's clock); `*ReceivedAt` is `now` when it arrived. */
  readonly firstSeenAt: number;
  readonly lastEventAt: number | null;
  readonly lastEventReceivedAt: number | null;
  readonly lastStatusAt: number | null;
  readonly lastStatusReceivedAt: number | null;
  /** When the aggregator last saw a sign of datagrams: an event, or a status whose `received` grew. */
  readonly lastDatagramAt: number | null;
  readonly status: StatusSummary | null;
  readonly events: number;
  readonly rejects: number;
  readonly rejectsByReason: Readonly<Record<string, number>>;
  readonly alertsFiring: number;
  readonly silent: readonly SilentReason[];
}

export interface ViewStats {
  readonly applied: number;
  readonly duplicates: number;
  readonly beyondHorizon: number;
  readonly invalid: Readonly<Record<InvalidReason, number>>;
  readonly ignored: number;
  /** Events matched by replay because they arrived after a later event of their key. */
  readonly late: number;
  /** Events older than their key's reorder window: placed approximately. */
  readonly beyondWindow: number;
  /** Stops (and closes) that closed nothing: their start was lost, or is still to come. Never negative counts. */
  readonly staleStops: number;
  readonly staleCloses: number;
  /** Sessions an expiry said it closed that the view did not have open. */
  readonly unmatchedExpired: number;
  readonly timedOut: { readonly sessions: number; readonly connections: number };
  readonly evicted: {
    readonly presences: number;
    readonly sessions: number;
    readonly connections: number;
    readonly nodes: number;
    readonly alerts: number;
    readonly ids: number;
  };
  readonly seenIds: number;
  readonly presences: number;
}

interface Presence extends Linked<Presence> {
  readonly host: string;
  readonly userKey: string;
  /** Spelling of the event that created it; intervals show their own start's spelling. */
  readonly user: UserRef;
  node: string;
  readonly sessions: Ledger;
  /** Connections per app id ('' for connections without an app). */
  readonly apps: Map<string, Ledger>;
  openSessions: number;
  openConnections: number;
  /** Greatest event time seen for this pair: the reorder window is measured from it. */
  lastEventTime: number;
  /** `now` of its latest event: the idle timeout and sweeping are measured from it. */
  lastArrival: number;
  /** Unmatched counts already added to the view's totals, per kind. */
  staleStops: number;
  unmatchedExpired: number;
  staleCloses: number;
  /** Unmatched closes of app ledgers dropped when they had aged out. */
  staleClosesGone: number;
}

interface HostEntry {
  readonly presences: Map<string, Presence>;
  node: string;
  sessions: number;
  connections: number;
  /** Presences with something open. */
  users: number;
}

interface UserEntry {
  readonly user: UserRef;
  sessions: number;
  connections: number;
  readonly hosts: Set<string>;
}

interface AppEntry {
  connections: number;
  /** User key → open connections of that user to the app. */
  readonly users: Map<string, number>;
}

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

const NO_CHANGES: readonly ViewChange[] = Object.freeze([]);

/**
 * The cluster as the aggregator sees it now, folded from every sidecar's messages (pure: `now`
 * is passed in, nothing is read from a clock).
 *
 * Nodes and hosts: a message's CloudEvents `source` names the sidecar that sent it (its `node`
 * setting); an event's `data.host` names the Sense node the proxy wrote into the datagram. They
 * are usually the same name, but need not be (a sidecar's node name is its own config, and one
 * sidecar listening on 0.0.0.0 can receive several proxies). Users see hosts, so sessions are
 * kept per host; liveness (status, last event) is a property of the sidecar, so it is kept per
 * node, with the hosts each node reported, and a silent node means its hosts are unknown rather
 * than empty.
 *
 * Idempotent by CloudEvents id (SeenIds): a message seen before changes nothing and returns no
 * changes. Sessions and connections are matched per key by the Ledger's rule (a stop closes the
 * oldest open session), independent of arrival order within the reorder window; apply returns
 * the interval changes it made, which the history store records.
 *
 * Out of order: a stop that arrives before its start closes nothing and is counted in
 * `staleStops`; when the start arrives (with an earlier time) the two are matched, the count
 * goes back down and the changes say opened + closed. A stop whose start never comes stays
 * stale. No count is ever negative. The same holds for connection closes (`staleCloses`) and for
 * expiries that name more sessions than are open (`unmatchedExpired`).
 *
 * Bounded: ids (maxIds, idHorizonMs), presences (maxPresences; evicting one closes its intervals
 * with reason `evicted`), open intervals per key (maxOpenPerKey), events kept per key for
 * reordering (window and MAX_LEDGER_EVENTS), nodes, alerts. Every eviction is counted.
 */
export class ClusterView {
  private readonly opts: Required<
    Omit<ClusterViewOptions, 'expectedNodes' | 'idleTimeoutMs' | 'clusterAlertHost'>
  > & {
    readonly idleTimeoutMs: number | null;
  };
  private readonly seen: SeenIds;
  private readonly hosts = new Map<string, HostEntry>();
  private readonly users = new Map<string, UserEntry>();
  private readonly apps = new Map<string, AppEntry>();
  /** Presences with something open, least recently active first. */
  private readonly active = new LinkedList<Presence>();
  /** Presences with nothing open, kept for the reorder window, least recently active first. */
  private readonly idle = new LinkedList<Presence>();
  private presenceCount = 0;
  /** Nodes, least recently heard from first (re-inserted on every message). */
  private readonly nodeMap = new Map<string, NodeEntry>();
  private readonly firing = new Map<string, AlertRecord>();
  /** Alert ids resolved (tombstones: a late firing notice must not bring them back), oldest first. */
  private readonly resolved = new Map<string, number>();
  private sessionsOpen = 0;
  private connectionsOpen = 0;
  private readonly counters = {
    applied: 0,
    duplicates: 0,
    beyondHorizon: 0,
    invalid: { 'bad-envelope': 0, 'bad-time': 0, 'bad-data': 0 } as Record<InvalidReason, number>,
    ignored: 0,
    late: 0,
    beyondWindow: 0,
    staleStops: 0,
    staleCloses: 0,
    unmatchedExpired: 0,
    timedOutSessions: 0,
    timedOutConnections: 0,
    evictedPresences: 0,
    evictedSessions: 0,
    evictedConnections: 0,
    evictedNodes: 0,
    evictedAlerts: 0,
  };
  /** Scratch for ledger changes; emptied by every use. */
  private readonly ledgerOut: LedgerChange[] = [];
  private readonly clusterAlertHost: string | null;

  /** `now` is when the view starts: expected nodes count as first seen then. */
  constructor(options: ClusterViewOptions = {}, now = 0) {
    const d = CLUSTER_VIEW_DEFAULTS;
    this.opts = {
      maxIds: options.maxIds ?? d.maxIds,
      idHorizonMs: options.idHorizonMs ?? d.idHorizonMs,
      reorderWindowMs: options.reorderWindowMs ?? d.reorderWindowMs,
      maxPresences: options.maxPresences ?? d.maxPresences,
      maxOpenPerKey: options.maxOpenPerKey ?? d.maxOpenPerKey,
      maxNodes: options.maxNodes ?? d.maxNodes,
      maxAlerts: options.maxAlerts ?? d.maxAlerts,
      idleTimeoutMs: options.idleTimeoutMs === undefined ? d.idleTimeoutMs : options.idleTimeoutMs,
      statusSilentAfterMs: options.statusSilentAfterMs ?? d.statusSilentAfterMs,
      datagramsSilentAfterMs: options.datagramsSilentAfterMs ?? d.datagramsSilentAfterMs,
    };
    for (const [name, value] of Object.entries(this.opts)) {
      if (value !== null && (!Number.isFinite(value) || value < (name.startsWith('max') ? 1 : 0))) {
        throw new RangeError(
          `ClusterView: ${name} must be a ${name.startsWith('max') ? 'positive' : 'non-negative'} number (got ${value})`,
        );
      }
    }
    this.clusterAlertHost = options.clusterAlertHost ?? null;
    this.seen = new SeenIds(this.opts.maxIds, this.opts.idHorizonMs);
    for (const node of options.expectedNodes ?? []) this.node(node, now).expected = true;
  }

  // ---- input --------------------------------------------------------------------------------

  /** Folds one message in; never throws. `now` is the aggregator's clock when it arrived. */
  apply(input: ReceivedEnvelope, now: number): ApplyResult {
    const decoded = decodeMessage(input);
    if (!decoded.ok) {
      if (decoded.invalid === null) {
        this.counters.ignored += 1;
        return { outcome: 'ignored', detail: decoded.ignoredType, order: null, changes: NO_CHANGES };
      }
      this.counters.invalid[decoded.invalid] += 1;
      return { outcome: 'invalid', detail: decoded.invalid, order: null, changes: NO_CHANGES };
    }
    const m = decoded.message;
    if (this.seen.has(m.id)) {
      this.counters.duplicates += 1;
      return { outcome: 'duplicate', detail: null, order: null, changes: NO_CHANGES };
    }
    const stream = this.seen.stream(input.source, input.type);
    if (this.seen.isBeyondHorizon(stream, m.time, m.id)) {
      this.counters.beyondHorizon += 1;
      return { outcome: 'beyond-horizon', detail: null, order: null, changes: NO_CHANGES };
    }
    this.seen.add(m.id, stream, m.time, now);
    this.counters.applied += 1;
    const changes: ViewChange[] = [];
    let order: AddOutcome | null = null;
    switch (m.kind) {
      case 'session.start':
      case 'session.stop':
      case 'session.expired':
      case 'connection.open':
      case 'connection.close':
        order = this.applyUserEvent(m, now, changes);
        if (order === 'late') this.counters.late += 1;
        else if (order === 'beyond-window') this.counters.beyondWindow += 1;
        break;
      case 'status':
        this.applyStatus(m.node, m.time, m.status, now);
        break;
      case 'reject': {
        const node = this.node(m.node, now);
        node.rejects += 1;
        node.rejectsByReason.set(m.reason, (node.rejectsByReason.get(m.reason) ?? 0) + 1);
        break;
      }
      case 'alert':
        this.applyAlert(m.node, m.id, m.time, m.alert, now, changes);
        break;
    }
    this.sweepIdle(now);
    return { outcome: 'applied', detail: null, order, changes };
  }

  /**
   * The aggregator's own expiry, for a timer: closes the sessions and connections of every
   * (host, user) with nothing received for idleTimeoutMs (reason `timeout`, end `now`), and
   * forgets what has aged out. Idle is measured in arrival time, so catching up a backlog does
   * not expire anyone. Returns the changes. O(expired + 1).
   */
  expire(now: number): ViewChange[] {
    const changes: ViewChange[] = [];
    const timeout = this.opts.idleTimeoutMs;
    if (timeout !== null) {
      for (let p = this.active.head; p !== null && p.lastArrival < now - timeout; p = this.active.head) {
        const closed = this.closeAll(p, now, 'timeout', changes);
        this.counters.timedOutSessions += closed.sessions;
        this.counters.timedOutConnections += closed.connections;
        this.removePresence(p);
      }
    }
    this.sweepIdle(now);
    this.seen.expire(now);
    return changes;
  }

  /**
   * Rebuilds what was open from the history after a restart: the open intervals (without
   * changes: the history has them), firing alerts, and the ids the history holds, so that
   * their redelivery changes nothing. Call it on a new view before the first apply.
   */
  restore(state: RestoreState, now: number): void {
    for (const id of state.seenIds) if (!this.seen.has(id)) this.seen.add(id, -1, 0, now);
    const restoreOne = (o: RestoreState['sessions'][number], connection: boolean): void => {
      if (!this.seen.has(o.id)) this.seen.add(o.id, -1, o.start, now);
      const p = this.presence(o.host, o.user, o.node, now, []);
      // The node learns its hosts from events; after a restart only the history knows them.
      this.noteHost(this.node(o.node, now), o.host, o.start);
      const ledger = connection ? this.appLedger(p, o.appId) : p.sessions;
      if (ledger.open.some((s) => s.id === o.id)) return;
      const before = this.snapshot(p);
      ledger.restoreOpen(startItem(o.id, o.start, sameUser(o.user, p.user) ? p.user : o.user));
      if (o.start > p.lastEventTime) p.lastEventTime = o.start;
      this.settle(p, before, connection ? o.appId : null, connection ? 1 : 0);
    };
    for (const s of state.sessions) restoreOne(s, false);
    for (const c of state.connections) restoreOne(c, true);
    for (const a of state.firingAlerts) {
      if (!this.seen.has(a.id)) this.seen.add(a.id, -1, a.time, now);
      this.setFiring(a);
    }
  }

  // ---- queries ------------------------------------------------------------------------------

  /** One entry per open proxy session, oldest first: the body of `GET /api/sessions`. */
  sessionsNow(filter: SessionFilter = {}): SessionEntry[] {
    const rows: { time: number; host: string; key: string; id: string; entry: SessionEntry }[] = [];
    for (const p of this.matching(filter.host, filter.user)) {
      for (const s of p.sessions.open) {
        rows.push({
          time: s.time,
          host: p.host,
          key: p.userKey,
          id: s.id,
          entry: { host: p.host, user: s.user ?? p.user, start: iso(s.time) },
        });
      }
    }
    rows.sort(byTimeHostUser);
    return rows.map((r) => r.entry);
  }

  /** One entry per open app connection, oldest first; `app` is the app id (case-insensitive). */
  connectionsNow(filter: ConnectionFilter = {}): ConnectionEntry[] {
    const app = filter.app?.toLowerCase();
    const rows: { time: number; host: string; key: string; id: string; entry: ConnectionEntry }[] = [];
    for (const p of this.matching(filter.host, filter.user)) {
      for (const [appKey, ledger] of p.apps) {
        if (app !== undefined && appKey !== app) continue;
        const appId = appKey === '' ? null : appKey;
        for (const s of ledger.open) {
          rows.push({
            time: s.time,
            host: p.host,
            key: p.userKey,
            id: s.id,
            entry: { host: p.host, user: s.user ?? p.user, appId, start: iso(s.time) },
          });
        }
      }
    }
    rows.sort(byTimeHostUser);
    return rows.map((r) => r.entry);
  }

  /** Users with a session or connection open anywhere in the cluster, by `DIR\id`. */
  usersNow(): UserNow[] {
    const keys = [...this.users.keys()].sort(compareText);
    const out: UserNow[] = [];
    for (const key of keys) {
      const u = this.users.get(key);
      if (u === undefined) continue;
      const hosts = [...u.hosts].sort(compareText);
      out.push({
        user: this.spelling(key, hosts) ?? u.user,
        sessions: u.sessions,
        connections: u.connections,
        hosts,
      });
    }
    return out;
  }

  /**
   * How a user is shown across the cluster: as the oldest open interval's event spelled it, so
   * the answer does not depend on which event happened to arrive first.
   */
  private spelling(userKey: string, hosts: readonly string[]): UserRef | null {
    let best: { time: number; id: string; user: UserRef } | null = null;
    for (const host of hosts) {
      const p = this.hosts.get(host)?.presences.get(userKey);
      if (p === undefined) continue;
      const ledgers = [p.sessions, ...p.apps.values()];
      for (const ledger of ledgers) {
        const s = ledger.open[0];
        if (s?.user == null) continue;
        if (best === null || s.time < best.time || (s.time === best.time && s.id < best.id)) {
          best = { time: s.time, id: s.id, user: s.user };
        }
      }
    }
    return best?.user ?? null;
  }

  totals(): Totals {
    return {
      sessions: this.sessionsOpen,
      connections: this.connectionsOpen,
      users: this.users.size,
      hosts: this.hostsActive(),
      apps: this.apps.size,
    };
  }

  /** Per host with something open, sorted by host. */
  hostCounts(): HostCount[] {
    const out: HostCount[] = [];
    for (const [host, h] of this.hosts) {
      if (h.users === 0) continue;
      out.push({ host, node: h.node, sessions: h.sessions, connections: h.connections, users: h.users });
    }
    return out.sort((a, b) => compareText(a.host, b.host));
  }

  /** Per app with a connection open, most connections first. */
  appCounts(): AppCount[] {
    const out: AppCount[] = [];
    for (const [appId, a] of this.apps) out.push({ appId, connections: a.connections, users: a.users.size });
    return out.sort((a, b) => b.connections - a.connections || compareText(a.appId, b.appId));
  }

  /** Firing alerts (not resolved), most recent episode first. */
  alertsNow(): AlertRecord[] {
    return [...this.firing.values()].sort(
      (a, b) => b.firingSince - a.firingSince || compareText(a.alertId, b.alertId),
    );
  }

  /** Every known node with liveness, sorted by name. Thresholds default to the options. */
  nodes(
    now: number,
    silentAfterMs = this.opts.statusSilentAfterMs,
    datagramsSilentAfterMs = this.opts.datagramsSilentAfterMs,
  ): NodeInfo[] {
    const firingByNode = new Map<string, number>();
    for (const a of this.firing.values()) firingByNode.set(a.node, (firingByNode.get(a.node) ?? 0) + 1);
    const out: NodeInfo[] = [];
    for (const n of this.nodeMap.values()) {
      let sessions = 0;
      let connections = 0;
      let users = 0;
      for (const host of n.hosts.keys()) {
        const h = this.hosts.get(host);
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

  /** The nodes flagged silent (see SilentReason): show their hosts as unknown, not as empty. */
  silentNodes(
    now: number,
    silentAfterMs = this.opts.statusSilentAfterMs,
    datagramsSilentAfterMs = this.opts.datagramsSilentAfterMs,
  ): NodeInfo[] {
    return this.nodes(now, silentAfterMs, datagramsSilentAfterMs).filter((n) => n.silent.length > 0);
  }

  stats(): ViewStats {
    const c = this.counters;
    return {
      applied: c.applied,
      duplicates: c.duplicates,
      beyondHorizon: c.beyondHorizon,
      invalid: { ...c.invalid },
      ignored: c.ignored,
      late: c.late,
      beyondWindow: c.beyondWindow,
      staleStops: c.staleStops,
      staleCloses: c.staleCloses,
      unmatchedExpired: c.unmatchedExpired,
      timedOut: { sessions: c.timedOutSessions, connections: c.timedOutConnections },
      evicted: {
        presences: c.evictedPresences,
        sessions: c.evictedSessions,
        connections: c.evictedConnections,
        nodes: c.evictedNodes,
        alerts: c.evictedAlerts,
        ids: this.seen.evicted,
      },
      seenIds: this.seen.size,
      presences: this.presenceCount,
    };
  }

  // ---- user events --------------------------------------------------------------------------

  private applyUserEvent(
    m: Extract<Decoded, { readonly host: string }>,
    now: number,
    changes: ViewChange[],
  ): AddOutcome {
    const node = this.node(m.node, now);
    if (node.lastEventAt === null || m.time > node.lastEventAt) node.lastEventAt = m.time;
    node.lastEventReceivedAt = now;
    node.lastDatagramAt = now;
    node.events += 1;
    this.noteHost(node, m.host, m.time);

    const p = this.presence(m.host, m.user, m.node, now, changes);
    if (m.time > p.lastEventTime) p.lastEventTime = m.time;
    p.lastArrival = now;
    p.node = m.node;
    const host = this.hosts.get(m.host);
    if (host !== undefined) host.node = m.node;

    const connection = m.kind === 'connection.open' || m.kind === 'connection.close';
    const appId = connection ? m.appId : null;
    const ledger = connection ? this.appLedger(p, appId) : p.sessions;
    const item =
      m.kind === 'session.start' || m.kind === 'connection.open'
        ? startItem(m.id, m.time, sameUser(m.user, p.user) ? p.user : m.user)
        : m.kind === 'session.expired'
          ? endItem(m.id, m.time, m.sessions, 'expired')
          : endItem(m.id, m.time, 1, m.kind === 'session.stop' ? 'stop' : 'close');

    const before = this.snapshot(p);
    const appBefore = connection ? ledger.open.length : 0;
    const out = this.ledgerOut;
    out.length = 0;
    const order = ledger.add(item, out);
    this.emit(p, connection ? appId : undefined, out, changes);
    out.length = 0;
    // Cap the open intervals of one key: each lost stop or close leaves one open for good.
    while (ledger.open.length > this.opts.maxOpenPerKey) {
      const oldest = ledger.open[0];
      if (oldest === undefined || !ledger.removeOpen(oldest)) break;
      changes.push(closedChange(connection, p.user, oldest.id, Math.max(now, oldest.time), null, 'evicted'));
      if (connection) this.counters.evictedConnections += 1;
      else this.counters.evictedSessions += 1;
    }
    this.fold(p, ledger, connection ? appId : undefined);
    this.settle(p, before, appId, connection ? ledger.open.length - appBefore : 0);
    return order;
  }

  /** Folds the key's events older than the reorder window, and drops app ledgers with nothing left. */
  private fold(p: Presence, touched: Ledger, appId: string | null | undefined): void {
    const horizon = p.lastEventTime - this.opts.reorderWindowMs;
    touched.fold(horizon);
    if (appId === undefined) return;
    // Apps of this presence with nothing open age out too (bounded by the apps one user opened).
    for (const [key, ledger] of p.apps) {
      if (ledger.open.length > 0) continue;
      if (ledger !== touched) ledger.fold(horizon);
      if (ledger.empty) {
        p.staleClosesGone += ledger.unmatched;
        p.apps.delete(key);
      }
    }
  }

  /** Turns ledger changes into view changes. `appId` undefined: the sessions ledger. */
  private emit(
    p: Presence,
    appId: string | null | undefined,
    out: readonly LedgerChange[],
    changes: ViewChange[],
  ): void {
    const connection = appId !== undefined;
    for (const c of out) {
      const s = c.start;
      if (c.type === 'opened') {
        changes.push(
          connection
            ? {
                kind: 'connection.opened',
                id: s.id,
                host: p.host,
                node: p.node,
                user: p.user,
                appId,
                start: s.time,
              }
            : { kind: 'session.opened', id: s.id, host: p.host, node: p.node, user: p.user, start: s.time },
        );
      } else if (c.type === 'reopened') {
        changes.push({ kind: connection ? 'connection.reopened' : 'session.reopened', id: s.id });
      } else {
        const end = s.endedBy;
        if (end === null) continue;
        changes.push(closedChange(connection, p.user, s.id, end.time, end.id, end.reason ?? 'stop'));
      }
    }
  }

  /** The open counts of a presence, taken before a change for settle(). */
  private snapshot(p: Presence): { sessions: number; connections: number } {
    return { sessions: p.openSessions, connections: p.openConnections };
  }

  /**
   * Brings the totals in line with the presence's ledgers after a change: open sessions, the
   * connections of `appId` changed by `appDelta`, unmatched counts; relinks or keeps the presence.
   */
  private settle(
    p: Presence,
    before: { sessions: number; connections: number },
    appId: string | null,
    appDelta: number,
  ): void {
    const sessions = p.sessions.open.length;
    const dSessions = sessions - before.sessions;
    const dConnections = appDelta;
    const wasActive = before.sessions + before.connections > 0;
    p.openSessions = sessions;
    p.openConnections = before.connections + dConnections;
    const isActive = p.openSessions + p.openConnections > 0;
    this.sessionsOpen += dSessions;
    this.connectionsOpen += dConnections;

    const host = this.hosts.get(p.host);
    if (host !== undefined) {
      host.sessions += dSessions;
      host.connections += dConnections;
      if (wasActive !== isActive) host.users += isActive ? 1 : -1;
    }
    if (dSessions !== 0 || dConnections !== 0 || wasActive !== isActive) {
      let user = this.users.get(p.userKey);
      if (user === undefined && isActive) {
        user = { user: p.user, sessions: 0, connections: 0, hosts: new Set() };
        this.users.set(p.userKey, user);
      }
      if (user !== undefined) {
        user.sessions += dSessions;
        user.connections += dConnections;
        if (isActive) user.hosts.add(p.host);
        else user.hosts.delete(p.host);
        if (user.hosts.size === 0) this.users.delete(p.userKey);
      }
    }
    if (dConnections !== 0 && appId !== null) this.adjustApp(appId, p.userKey, dConnections);
    this.settleUnmatched(p);
    this.relink(p);
  }

  /** Moves the view's stale counts by what this presence's ledgers now say (replays can lower them). */
  private settleUnmatched(p: Presence): void {
    const expired = p.sessions.unmatchedExpired;
    const stops = p.sessions.unmatched - expired;
    let closes = p.staleClosesGone;
    for (const ledger of p.apps.values()) closes += ledger.unmatched;
    this.counters.staleStops += stops - p.staleStops;
    this.counters.unmatchedExpired += expired - p.unmatchedExpired;
    this.counters.staleCloses += closes - p.staleCloses;
    p.staleStops = stops;
    p.unmatchedExpired = expired;
    p.staleCloses = closes;
  }

  private adjustApp(appId: string, userKey: string, delta: number): void {
    let a = this.apps.get(appId);
    if (a === undefined) {
      if (delta < 0) return;
      a = { connections: 0, users: new Map() };
      this.apps.set(appId, a);
    }
    a.connections += delta;
    const n = (a.users.get(userKey) ?? 0) + delta;
    if (n > 0) a.users.set(userKey, n);
    else a.users.delete(userKey);
    if (a.connections <= 0) this.apps.delete(appId);
  }

  // ---- presences ----------------------------------------------------------------------------

  private presence(host: string, user: UserRef, node: string, now: number, changes: ViewChange[]): Presence {
    const userKey = userKeyOf(user);
    const existing = this.hosts.get(host)?.presences.get(userKey);
    if (existing !== undefined) return existing;
    if (this.presenceCount >= this.opts.maxPresences) this.evictPresence(now, changes);
    let h = this.hosts.get(host);
    if (h === undefined) {
      h = { presences: new Map(), node, sessions: 0, connections: 0, users: 0 };
      this.hosts.set(host, h);
    }
    const p: Presence = {
      host,
      userKey,
      user: { directory: user.directory, id: user.id },
      node,
      sessions: new Ledger(),
      apps: new Map(),
      openSessions: 0,
      openConnections: 0,
      lastEventTime: -Infinity,
      lastArrival: now,
      staleStops: 0,
      unmatchedExpired: 0,
      staleCloses: 0,
      staleClosesGone: 0,
      prev: null,
      next: null,
      list: null,
    };
    h.presences.set(userKey, p);
    this.presenceCount += 1;
    this.idle.append(p);
    return p;
  }

  private appLedger(p: Presence, appId: string | null): Ledger {
    const key = appId ?? '';
    let ledger = p.apps.get(key);
    if (ledger === undefined) {
      ledger = new Ledger();
      p.apps.set(key, ledger);
    }
    return ledger;
  }

  /** Puts a presence at the tail of its list (active or idle). */
  private relink(p: Presence): void {
    p.list?.remove(p);
    if (p.openSessions + p.openConnections > 0) this.active.append(p);
    else this.idle.append(p);
  }

  /** Drops presences with nothing open and nothing received for the reorder window. */
  private sweepIdle(now: number): void {
    const cutoff = now - this.opts.reorderWindowMs;
    for (let p = this.idle.head; p !== null && p.lastArrival < cutoff; p = this.idle.head)
      this.removePresence(p);
  }

  /** Makes room: the least recently active presence with nothing open, else the least recently active one. */
  private evictPresence(now: number, changes: ViewChange[]): void {
    const victim = this.idle.head ?? this.active.head;
    if (victim === null) return;
    const closed = this.closeAll(victim, now, 'evicted', changes);
    this.counters.evictedSessions += closed.sessions;
    this.counters.evictedConnections += closed.connections;
    this.counters.evictedPresences += 1;
    this.removePresence(victim);
  }

  /**
   * Closes every open interval of a presence (the aggregator's verdict: at `now`, never before
   * the interval's start) and takes them out of the totals.
   */
  private closeAll(
    p: Presence,
    now: number,
    reason: 'timeout' | 'evicted',
    changes: ViewChange[],
  ): { sessions: number; connections: number } {
    const sessions = p.openSessions;
    const connections = p.openConnections;
    for (const s of [...p.sessions.open]) {
      p.sessions.removeOpen(s);
      changes.push(closedChange(false, p.user, s.id, Math.max(now, s.time), null, reason));
    }
    this.settle(p, this.snapshot(p), null, 0);
    for (const [key, ledger] of p.apps) {
      const open = [...ledger.open];
      for (const s of open) {
        ledger.removeOpen(s);
        changes.push(closedChange(true, p.user, s.id, Math.max(now, s.time), null, reason));
      }
      if (open.length > 0) this.settle(p, this.snapshot(p), key === '' ? null : key, -open.length);
    }
    return { sessions, connections };
  }

  private removePresence(p: Presence): void {
    p.list?.remove(p);
    const h = this.hosts.get(p.host);
    if (h?.presences.delete(p.userKey) !== true) return;
    this.presenceCount -= 1;
    if (h.presences.size === 0) this.hosts.delete(p.host);
  }

  /** Presences matching a host (case-insensitive) and a `DIR\id` user filter. */
  private *matching(hostFilter: string | undefined, userFilter: string | undefined): Generator<Presence> {
    let userKey: string | undefined;
    if (userFilter !== undefined) {
      const user = parseUserRef(userFilter);
      if (user === null) return;
      userKey = userKeyOf(user);
    }
    const host = hostFilter?.toLowerCase();
    for (const [name, h] of this.hosts) {
      if (host !== undefined && name.toLowerCase() !== host) continue;
      if (userKey !== undefined) {
        const p = h.presences.get(userKey);
        if (p !== undefined) yield p;
      } else {
        yield* h.presences.values();
      }
    }
  }

  private hostsActive(): number {
    let n = 0;
    for (const h of this.hosts.values()) if (h.users > 0) n += 1;
    return n;
  }

  // ---- nodes, status, alerts ----------------------------------------------------------------

  /** The node's entry, created on first mention; moved to the most recently heard end. */
  private node(name: string, now: number): NodeEntry {
    let n = this.nodeMap.get(name);
    if (n !== undefined) {
      this.nodeMap.delete(name);
      this.nodeMap.set(name, n);
      return n;
    }
    if (this.nodeMap.size >= this.opts.maxNodes) {
      const oldest = this.nodeMap.keys().next();
      if (oldest.done !== true) {
        this.nodeMap.delete(oldest.value);
        this.counters.evictedNodes += 1;
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

  private applyStatus(name: string, time: number, status: StatusSummary, now: number): void {
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

  private applyAlert(
    node: string,
    id: string,
    time: number,
    alert: Extract<Decoded, { readonly kind: 'alert' }>['alert'],
    now: number,
    changes: ViewChange[],
  ): void {
    if (alert.host !== this.clusterAlertHost) this.node(node, now);
    const notice: AlertRecord = { id, time, ...alert };
    changes.push({ kind: 'alert', ...notice });
    if (alert.status === 'resolved') {
      this.firing.delete(alert.alertId);
      this.resolved.delete(alert.alertId);
      this.resolved.set(alert.alertId, time);
      while (this.resolved.size > this.opts.maxAlerts) {
        const oldest = this.resolved.keys().next();
        if (oldest.done === true) break;
        this.resolved.delete(oldest.value);
      }
      return;
    }
    if (this.resolved.has(alert.alertId)) return;
    this.setFiring(notice);
  }

  /** Keeps the notice with the highest notification number of a firing alert. */
  private setFiring(notice: AlertRecord): void {
    const current = this.firing.get(notice.alertId);
    if (current !== undefined && current.notification >= notice.notification) return;
    if (current === undefined && this.firing.size >= this.opts.maxAlerts) {
      const oldest = this.firing.keys().next();
      if (oldest.done !== true) {
        this.firing.delete(oldest.value);
        this.counters.evictedAlerts += 1;
      }
    }
    this.firing.set(notice.alertId, notice);
  }
}

function closedChange(
  connection: boolean,
  user: UserRef,
  id: string,
  end: number,
  endId: string | null,
  reason: string,
): ViewChange {
  return connection
    ? { kind: 'connection.closed', id, user, end, endId, reason: reason as ConnectionEndReason }
    : { kind: 'session.closed', id, user, end, endId, reason: reason as SessionEndReason };
}

function sameUser(a: UserRef, b: UserRef): boolean {
  return a.directory === b.directory && a.id === b.id;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Oldest first; then host, user, and the start event's id, so equal times list the same way every time. */
function byTimeHostUser(
  a: { time: number; host: string; key: string; id: string },
  b: { time: number; host: string; key: string; id: string },
): number {
  return (
    a.time - b.time || compareText(a.host, b.host) || compareText(a.key, b.key) || compareText(a.id, b.id)
  );
}
