import type { UserRef } from '../../core/events.js';
import type { InvalidReason, StatusSummary } from '../../contract/decode.js';
import type { AddOutcome } from '../ledger.js';
import type { ViewChange } from '../types.js';

/** The cluster view's options, defaults and the shapes its answers take (see ClusterView). */

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

/** One (host, user) with something open: a row of the page's "who is on" table. */
export interface OnlineRow {
  readonly host: string;
  readonly node: string;
  readonly user: UserRef;
  /** Epoch ms: the oldest open session's start (the oldest open connection's without one). */
  readonly since: number;
  /** Epoch ms: the greatest event time seen for this (host, user). */
  readonly lastEventAt: number;
  readonly sessions: number;
  readonly connections: number;
  /** App ids with a connection open, sorted. */
  readonly apps: readonly string[];
  readonly browser: string | null;
  readonly os: string | null;
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
