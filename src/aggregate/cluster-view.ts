import { type Decoded, decodeMessage } from '../contract/decode.js';
import { subjectAgrees } from '../contract/subjects.js';
import type { ReceivedEnvelope } from '../contract/envelope.js';
import type { AddOutcome } from './ledger.js';
import { SeenIds } from './seen-ids.js';
import type { AlertRecord, RestoreState, SessionEntry, SessionFilter, ViewChange } from './types.js';
import { FiringAlerts } from './view/firing-alerts.js';
import { NodeRoster } from './view/node-roster.js';
import * as queries from './view/presence-queries.js';
import { PresenceTable } from './view/presence-table.js';
import {
  type AppCount,
  type ApplyResult,
  CLUSTER_VIEW_DEFAULTS,
  type ClusterViewOptions,
  type ConnectionEntry,
  type ConnectionFilter,
  type HostCount,
  type NodeInfo,
  type OnlineRow,
  type Totals,
  type UserNow,
  type ViewStats,
} from './view/view-types.js';

export {
  CLUSTER_VIEW_DEFAULTS,
  type AppCount,
  type ApplyOutcome,
  type ApplyResult,
  type ClusterViewOptions,
  type ConnectionEntry,
  type ConnectionFilter,
  type HostCount,
  type NodeInfo,
  type OnlineRow,
  type SilentReason,
  type Totals,
  type UserNow,
  type ViewStats,
} from './view/view-types.js';

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
 * The jobs live in view/: who has what open (PresenceTable, read by presence-queries), the
 * nodes and their liveness (NodeRoster), the alerts firing (FiringAlerts). This class decodes,
 * drops what it has seen (SeenIds) and hands each message to the part it concerns.
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
  private readonly table: PresenceTable;
  private readonly roster: NodeRoster;
  private readonly alerts: FiringAlerts;
  private readonly clusterAlertHost: string | null;
  private readonly counters = {
    applied: 0,
    duplicates: 0,
    beyondHorizon: 0,
    invalid: { 'bad-envelope': 0, 'bad-time': 0, 'bad-data': 0, 'subject-mismatch': 0 },
    ignored: 0,
    late: 0,
    beyondWindow: 0,
  };

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
    this.table = new PresenceTable(this.opts);
    this.roster = new NodeRoster(this.opts.maxNodes);
    this.alerts = new FiringAlerts(this.opts.maxAlerts);
    for (const node of options.expectedNodes ?? []) this.roster.expect(node, now);
  }

  // ---- input --------------------------------------------------------------------------------

  /**
   * Folds one message in; never throws. `now` is the aggregator's clock when it arrived;
   * `subject`, when given, must name the message's node or host (subjectAgrees).
   */
  apply(input: ReceivedEnvelope, now: number, subject?: string): ApplyResult {
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
    if (subject !== undefined && !subjectAgrees(subject, ...namedBySubject(m))) {
      this.counters.invalid['subject-mismatch'] += 1;
      return { outcome: 'invalid', detail: 'subject-mismatch', order: null, changes: NO_CHANGES };
    }
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
        this.roster.event(m.node, m.host, m.time, now);
        order = this.table.applyUserEvent(m, now, changes);
        if (order === 'late') this.counters.late += 1;
        else if (order === 'beyond-window') this.counters.beyondWindow += 1;
        break;
      case 'status':
        this.roster.status(m.node, m.time, m.status, now);
        break;
      case 'reject':
        this.roster.reject(m.node, m.reason, now);
        break;
      case 'alert': {
        if (m.alert.host !== this.clusterAlertHost) this.roster.heard(m.node, now);
        const notice: AlertRecord = { id: m.id, time: m.time, ...m.alert };
        changes.push({ kind: 'alert', ...notice });
        this.alerts.apply(notice);
        break;
      }
    }
    this.table.sweepIdle(now);
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
    if (timeout !== null) this.table.expireIdle(now, timeout, changes);
    this.table.sweepIdle(now);
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
      this.table.restoreOpen(o, connection, now);
      // The node learns its hosts from events; after a restart only the history knows them.
      this.roster.restoredHost(o.node, o.host, o.start, now);
    };
    for (const s of state.sessions) restoreOne(s, false);
    for (const c of state.connections) restoreOne(c, true);
    for (const a of state.firingAlerts) {
      if (!this.seen.has(a.id)) this.seen.add(a.id, -1, a.time, now);
      this.alerts.setFiring(a);
    }
  }

  // ---- queries ------------------------------------------------------------------------------

  /** One entry per open proxy session, oldest first: the body of `GET /api/sessions`. */
  sessionsNow(filter: SessionFilter = {}): SessionEntry[] {
    return queries.sessionsNow(this.table, filter);
  }

  /** One entry per open app connection, oldest first; `app` is the app id (case-insensitive). */
  connectionsNow(filter: ConnectionFilter = {}): ConnectionEntry[] {
    return queries.connectionsNow(this.table, filter);
  }

  /** Every (host, user) with something open, longest on first. */
  onlineNow(): OnlineRow[] {
    return queries.onlineNow(this.table);
  }

  /** Users with a session or connection open anywhere in the cluster, by `DIR\id`. */
  usersNow(): UserNow[] {
    return queries.usersNow(this.table);
  }

  totals(): Totals {
    return queries.totals(this.table);
  }

  /** Per host with something open, sorted by host. */
  hostCounts(): HostCount[] {
    return queries.hostCounts(this.table);
  }

  /** Per app with a connection open, most connections first. */
  appCounts(): AppCount[] {
    return queries.appCounts(this.table);
  }

  /** Firing alerts (not resolved), most recent episode first. */
  alertsNow(): AlertRecord[] {
    return this.alerts.list();
  }

  /** Every known node with liveness, sorted by name. Thresholds default to the options. */
  nodes(
    now: number,
    silentAfterMs = this.opts.statusSilentAfterMs,
    datagramsSilentAfterMs = this.opts.datagramsSilentAfterMs,
  ): NodeInfo[] {
    return this.roster.list(
      now,
      silentAfterMs,
      datagramsSilentAfterMs,
      (host) => this.table.hostTotals(host),
      this.alerts.countByNode(),
    );
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
    const t = this.table.counts;
    return {
      applied: c.applied,
      duplicates: c.duplicates,
      beyondHorizon: c.beyondHorizon,
      invalid: { ...c.invalid },
      ignored: c.ignored,
      late: c.late,
      beyondWindow: c.beyondWindow,
      staleStops: t.staleStops,
      staleCloses: t.staleCloses,
      unmatchedExpired: t.unmatchedExpired,
      timedOut: { sessions: t.timedOutSessions, connections: t.timedOutConnections },
      evicted: {
        presences: t.evictedPresences,
        sessions: t.evictedSessions,
        connections: t.evictedConnections,
        nodes: this.roster.evicted,
        alerts: this.alerts.evicted,
        ids: this.seen.evicted,
      },
      seenIds: this.seen.size,
      presences: this.table.presences,
    };
  }
}

/** What a message's subject must name: the node for a status or reject, the host otherwise. */
function namedBySubject(m: Decoded): ['node' | 'host', string] {
  switch (m.kind) {
    case 'status':
    case 'reject':
      return ['node', m.node];
    case 'alert':
      return ['host', m.alert.host];
    case 'session.start':
    case 'session.stop':
    case 'session.expired':
    case 'connection.open':
    case 'connection.close':
      return ['host', m.host];
  }
}
