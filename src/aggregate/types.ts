import type { AlertSummary } from '../contract/decode.js';
import type { UserRef } from '../core/events.js';

/**
 * Types shared by the cluster view (pure, in memory) and the history store (SQLite), and the
 * shapes the HTTP API answers with. Times are epoch milliseconds unless a field says ISO.
 */

/**
 * `DIR\id` (as operators and Qlik write it) → the user; null unless both parts are non-empty.
 * Only the first backslash separates: a user id may itself contain one.
 */
export function parseUserRef(text: string): UserRef | null {
  const at = text.indexOf('\\');
  if (at <= 0 || at === text.length - 1) return null;
  return { directory: text.slice(0, at), id: text.slice(at + 1) };
}

/** One active proxy session, exactly as `GET /api/sessions` lists it. */
export interface SessionEntry {
  readonly host: string;
  readonly user: UserRef;
  /** ISO 8601 (UTC): the `time` of the session.start event. */
  readonly start: string;
}

/** Filters of session queries; `user` is `DIR\id` (case-insensitive), `host` is case-insensitive. */
export interface SessionFilter {
  readonly host?: string | undefined;
  readonly user?: string | undefined;
}

/** `app`: only sessions of users with a connection to that app (id, case-insensitive) open at t on that host. */
export interface SessionAtFilter extends SessionFilter {
  readonly app?: string | undefined;
}

/** How an interval ended. `timeout` and `evicted` are the aggregator's own verdicts. */
export type SessionEndReason = 'stop' | 'expired' | 'timeout' | 'evicted';
export type ConnectionEndReason = 'close' | 'timeout' | 'evicted';

/**
 * Where and when a session or connection began, and whose it is: what every interval record
 * (an opening change, an open interval to restore, a history row) starts with. `id` is the
 * CloudEvents id of the event that opened it.
 */
export interface IntervalStart {
  readonly id: string;
  readonly host: string;
  readonly node: string;
  readonly user: UserRef;
  readonly start: number;
}

/**
 * What one apply (or expire) changed, for the history store. Intervals are identified by the
 * CloudEvents id of the event that opened them (sessions have no id on the wire), so recording
 * the same change twice writes once.
 *
 * - `*.opened`: a new interval; for sessions this is also the log-in the store counts.
 * - `*.closed`: the interval's end was set, or moved (a late event re-matched the ends, see
 *   ClusterView); `endId` is the CloudEvents id of the stop/close/expiry, null for the
 *   aggregator's own timeout and eviction.
 * - `*.reopened`: a late event took this interval's end for an older one; it is open again.
 */
export type ViewChange =
  | ({ readonly kind: 'session.opened' } & IntervalStart)
  | {
      readonly kind: 'session.closed';
      readonly id: string;
      /** Whose session it was (cluster rules re-check that user: a close can make a rule hold). */
      readonly user?: UserRef;
      readonly end: number;
      readonly endId: string | null;
      readonly reason: SessionEndReason;
    }
  | { readonly kind: 'session.reopened'; readonly id: string }
  | ({
      readonly kind: 'connection.opened';
      /** Null when the connection named no app. */
      readonly appId: string | null;
    } & IntervalStart)
  | {
      readonly kind: 'connection.closed';
      readonly id: string;
      readonly user?: UserRef;
      readonly end: number;
      readonly endId: string | null;
      readonly reason: ConnectionEndReason;
    }
  | { readonly kind: 'connection.reopened'; readonly id: string }
  | ({ readonly kind: 'alert' } & AlertRecord);

/** One alert message (firing, repeat or resolved), as the history keeps it. */
export type AlertRecord = AlertSummary & {
  /** The CloudEvents id: `<alertId>-f<n>` or `<alertId>-r`. */
  readonly id: string;
  /** The message's `time`. */
  readonly time: number;
};

/** Where the view's changes go; the history store is one, tests use an array. */
export interface HistorySink {
  record(changes: readonly ViewChange[]): void;
}

/** A session or connection still open in the history, for rebuilding the view after a restart. */
export interface OpenInterval extends IntervalStart {
  /** Connections only: the app, or null when the connection named none. */
  readonly appId: string | null;
}

/** What the history can hand a fresh view (see ClusterView.restore). */
export interface RestoreState {
  readonly sessions: readonly OpenInterval[];
  readonly connections: readonly OpenInterval[];
  /** Latest notice of every alert whose last notice is a firing one. */
  readonly firingAlerts: readonly AlertRecord[];
  /** CloudEvents ids the history already holds (starts, ends, alerts) since the given time. */
  readonly seenIds: readonly string[];
}

/** A time range [from, to), epoch ms. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

export type PeakBucket = 'minute' | 'hour' | 'day';
export type LoginBucket = 'minute' | 'hour';

/** Buckets are in UTC unless `timeZone` names an IANA zone; `host` is case-insensitive. */
export interface PeaksQuery extends TimeRange {
  readonly bucket: PeakBucket;
  readonly host?: string | undefined;
  readonly timeZone?: string | undefined;
}

export interface LoginsQuery extends TimeRange {
  readonly bucket: LoginBucket;
  readonly host?: string | undefined;
  readonly timeZone?: string | undefined;
}

export interface AlertsQuery extends TimeRange {
  readonly limit: number;
  readonly host?: string | undefined;
}

/** Peak concurrency in one bucket [start, start of next bucket). */
export interface PeakRow {
  readonly start: number;
  /** Most distinct users with an open session at one instant of the bucket. */
  readonly peakUsers: number;
  /** First instant the peak was reached (the bucket start when carried over from before). */
  readonly peakAt: number;
  /** Most open sessions at one instant of the bucket. */
  readonly peakSessions: number;
}

export interface LoginRow {
  readonly start: number;
  readonly logins: number;
}

/** One session of the history, with how it ended. */
export interface SessionInterval extends IntervalStart {
  readonly end: number | null;
  readonly endReason: SessionEndReason | null;
}

export interface ConnectionInterval extends IntervalStart {
  readonly appId: string | null;
  readonly end: number | null;
  readonly endReason: ConnectionEndReason | null;
}

/** How long each kind of history is kept; a number applies to all. */
export type Retention =
  | number
  | {
      readonly sessions?: number;
      readonly connections?: number;
      readonly logins?: number;
      readonly alerts?: number;
    };

/**
 * The history behind the API: the store implements it over SQLite; the view and its tests do
 * not need it.
 */
export interface History extends HistorySink {
  sessionsAt(t: number, filter?: SessionAtFilter): SessionEntry[];
  peaks(
    query: TimeRange & { readonly bucket: PeakBucket; readonly host?: string; readonly timeZone?: string },
  ): PeakRow[];
  loginsPer(
    query: TimeRange & { readonly bucket: LoginBucket; readonly host?: string; readonly timeZone?: string },
  ): LoginRow[];
  userSessions(user: string, range: TimeRange): SessionInterval[];
  userConnections(user: string, range: TimeRange): ConnectionInterval[];
  alerts(query: AlertsQuery): AlertRecord[];
  restoreState(since: number): RestoreState;
  prune(now: number, retention: Retention): PruneResult;
  close(): void;
}

export interface PruneResult {
  readonly sessions: number;
  readonly connections: number;
  readonly logins: number;
  readonly alerts: number;
}
