import { isValidTimeZone } from '../../core/timezone.js';
import type {
  AppCount,
  ClusterView,
  HostCount,
  NodeInfo,
  OnlineRow,
  SilentReason,
  Totals,
  UserNow,
} from '../cluster-view.js';
import type { StatusSummary } from '../../contract/decode.js';
import { badText, checkNames } from '../param-text.js';
import { parseIsoTime } from '../sessions-query.js';
import { type AlertRecord, type History, type LoginBucket, type PeakBucket, parseUserRef } from '../types.js';

/**
 * The JSON API's query strings and answers, pure: each `parse*` takes the query string and the
 * aggregator's `now` and gives a query or a 400 message saying what to change; each `*Body`
 * builds the response from the view or the history. Times in responses are ISO 8601 (UTC);
 * time parameters need an offset (`Z` or `±HH:MM`).
 */

export type Parsed<T> =
  { readonly ok: true; readonly query: T } | { readonly ok: false; readonly error: string };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

function timeParam(params: URLSearchParams, name: string): number | null | string {
  const text = params.get(name);
  if (text === null) return null;
  const ms = parseIsoTime(text);
  return ms ?? `${name}: not an ISO 8601 time with an offset, e.g. 2026-11-30T08:00:00Z (got "${text}")`;
}

interface Range {
  readonly from: number;
  readonly to: number;
}

/** `from`/`to`, defaulting to [to − span, now); at most `max` long. */
function rangeParams(params: URLSearchParams, now: number, span: number, max: number): Parsed<Range> {
  const to = timeParam(params, 'to');
  if (typeof to === 'string') return { ok: false, error: to };
  const from = timeParam(params, 'from');
  if (typeof from === 'string') return { ok: false, error: from };
  const end = to ?? now;
  const start = from ?? end - span;
  if (start >= end) return { ok: false, error: `from must be before to (got ${iso(start)} .. ${iso(end)})` };
  if (end - start > max)
    return {
      ok: false,
      error: `from..to spans more than ${describeSpan(max)}; ask for a shorter range or a coarser unit`,
    };
  return { ok: true, query: { from: start, to: end } };
}

/** `a or b`, `a, b or c`. */
function orList(names: readonly string[]): string {
  return names.length <= 2 ? names.join(' or ') : `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`;
}

function describeSpan(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} days`;
  if (ms % HOUR === 0) return `${ms / HOUR} hours`;
  if (ms % MINUTE === 0) return `${ms / MINUTE} minutes`;
  return `${ms / 1000} seconds`;
}

function limitParam(params: URLSearchParams, fallback: number, max: number): number | string {
  const text = params.get('limit');
  if (text === null) return fallback;
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > max)
    return `limit: must be an integer between 1 and ${max} (got "${text}")`;
  return Number(text);
}

function hostParam(params: URLSearchParams): string | undefined | { error: string } {
  const host = params.get('host');
  if (host === null) return undefined;
  return host === '' ? { error: 'host: must not be empty' } : host;
}

function zoneParam(params: URLSearchParams): string | { error: string } {
  const tz = params.get('tz');
  if (tz === null) return 'UTC';
  return isValidTimeZone(tz)
    ? tz
    : { error: `tz: not an IANA time zone, e.g. Europe/Stockholm or UTC (got "${tz}")` };
}

// ---- /api/now ---------------------------------------------------------------------------------

export interface NowBody {
  readonly at: string;
  readonly totals: Totals;
  /** Hosts with something open, by name. */
  readonly hosts: readonly HostCount[];
  /** Apps with a connection open, most connections first; at most `limit`. */
  readonly apps: readonly AppCount[];
  /** Users with something open, by `DIR\id`; at most `limit`. */
  readonly users: readonly UserNow[];
  /** Whether apps or users were cut at `limit` (totals count them all). */
  readonly truncated: { readonly apps: boolean; readonly users: boolean };
}

export const NOW_LIMIT = { default: 1_000, max: 100_000 } as const;

export function parseNowQuery(params: URLSearchParams): Parsed<{ limit: number }> {
  const bad = checkNames(params, ['limit']);
  if (bad !== null) return { ok: false, error: bad };
  const limit = limitParam(params, NOW_LIMIT.default, NOW_LIMIT.max);
  return typeof limit === 'string' ? { ok: false, error: limit } : { ok: true, query: { limit } };
}

export function nowBody(view: ClusterView, now: number, limit: number = NOW_LIMIT.default): NowBody {
  const apps = view.appCounts();
  const users = view.usersNow();
  return {
    at: iso(now),
    totals: view.totals(),
    hosts: view.hostCounts(),
    apps: apps.slice(0, limit),
    users: users.slice(0, limit),
    truncated: { apps: apps.length > limit, users: users.length > limit },
  };
}

// ---- /api/online -------------------------------------------------------------------------------

export const ONLINE_LIMIT = { default: 10_000, max: 100_000 } as const;

export interface OnlineRowBody extends Omit<OnlineRow, 'since' | 'lastEventAt'> {
  readonly since: string;
  readonly lastEventAt: string;
}

export interface OnlineBody {
  readonly at: string;
  /** Rows there are; `rows` holds the first `limit` of them, longest on first. */
  readonly total: number;
  readonly truncated: boolean;
  readonly rows: readonly OnlineRowBody[];
}

export function parseOnlineQuery(params: URLSearchParams): Parsed<{ limit: number }> {
  const bad = checkNames(params, ['limit']);
  if (bad !== null) return { ok: false, error: bad };
  const limit = limitParam(params, ONLINE_LIMIT.default, ONLINE_LIMIT.max);
  return typeof limit === 'string' ? { ok: false, error: limit } : { ok: true, query: { limit } };
}

export function onlineBody(view: ClusterView, now: number, limit: number = ONLINE_LIMIT.default): OnlineBody {
  const rows = view.onlineNow();
  return {
    at: iso(now),
    total: rows.length,
    truncated: rows.length > limit,
    rows: rows.slice(0, limit).map((r) => ({ ...r, since: iso(r.since), lastEventAt: iso(r.lastEventAt) })),
  };
}

// ---- /api/nodes -------------------------------------------------------------------------------

export interface NodeStatusBody extends Omit<StatusSummary, 'startedAt'> {
  readonly startedAt: string | null;
}

/** NodeInfo's epoch-ms times; the body gives them as ISO 8601. */
type NodeTime =
  | 'firstSeenAt'
  | 'lastEventAt'
  | 'lastEventReceivedAt'
  | 'lastStatusAt'
  | 'lastStatusReceivedAt'
  | 'lastDatagramAt';

/** Each epoch-ms field as ISO 8601 text; a time that may be null stays nullable. */
type AsIso<T> = { readonly [K in keyof T]: null extends T[K] ? string | null : string };

/**
 * One node as `GET /api/nodes` lists it: NodeInfo with its times in ISO 8601 and its silence
 * spelled out (a flag, the reasons, a sentence). Derived from NodeInfo so a field added there
 * has to be answered here (nodeBody will not compile until it is).
 */
export interface NodeBody
  extends Omit<NodeInfo, NodeTime | 'status' | 'silent'>, AsIso<Pick<NodeInfo, NodeTime>> {
  /** Seconds since the aggregator last heard anything from the node (status or event); since first seen before that. */
  readonly lastSeenAgeSeconds: number;
  readonly silent: boolean;
  readonly silentReasons: readonly SilentReason[];
  /** One sentence saying why it is silent; null when it is not. */
  readonly reason: string | null;
  readonly status: NodeStatusBody | null;
}

export interface NodesBody {
  readonly at: string;
  readonly nodes: readonly NodeBody[];
}

export interface SilenceThresholds {
  readonly statusSilentAfterMs: number;
  readonly datagramsSilentAfterMs: number;
}

export function lastSeenAt(n: NodeInfo): number {
  return Math.max(n.firstSeenAt, n.lastStatusReceivedAt ?? -Infinity, n.lastEventReceivedAt ?? -Infinity);
}

function silenceReason(reasons: readonly SilentReason[], t: SilenceThresholds): string | null {
  const parts = reasons.map((r) =>
    r === 'no-status'
      ? `no status message for over ${describeSpan(t.statusSilentAfterMs)} (the sidecar is down or cannot reach NATS)`
      : `no datagram received for over ${describeSpan(t.datagramsSilentAfterMs)} (the proxy is not sending, or nobody is on)`,
  );
  return parts.length === 0 ? null : parts.join('; ');
}

export function nodeBody(n: NodeInfo, now: number, t: SilenceThresholds): NodeBody {
  return {
    node: n.node,
    expected: n.expected,
    hosts: n.hosts,
    sessions: n.sessions,
    connections: n.connections,
    users: n.users,
    firstSeenAt: iso(n.firstSeenAt),
    lastEventAt: isoOrNull(n.lastEventAt),
    lastEventReceivedAt: isoOrNull(n.lastEventReceivedAt),
    lastStatusAt: isoOrNull(n.lastStatusAt),
    lastStatusReceivedAt: isoOrNull(n.lastStatusReceivedAt),
    lastDatagramAt: isoOrNull(n.lastDatagramAt),
    lastSeenAgeSeconds: Math.max(0, Math.round((now - lastSeenAt(n)) / 100) / 10),
    silent: n.silent.length > 0,
    silentReasons: n.silent,
    reason: silenceReason(n.silent, t),
    status: n.status === null ? null : { ...n.status, startedAt: isoOrNull(n.status.startedAt) },
    events: n.events,
    rejects: n.rejects,
    rejectsByReason: n.rejectsByReason,
    alertsFiring: n.alertsFiring,
  };
}

export function parseNoQuery(params: URLSearchParams): Parsed<Record<string, never>> {
  const bad = checkNames(params, []);
  return bad === null ? { ok: true, query: {} } : { ok: false, error: bad };
}

export function nodesBody(view: ClusterView, now: number, t: SilenceThresholds): NodesBody {
  return {
    at: iso(now),
    nodes: view.nodes(now, t.statusSilentAfterMs, t.datagramsSilentAfterMs).map((n) => nodeBody(n, now, t)),
  };
}

// ---- /api/users/<DIR\id>/history -----------------------------------------------------------------

export const USER_HISTORY = { defaultSpan: 7 * DAY, maxSpan: 400 * DAY, limit: 1_000 } as const;

export interface IntervalBody {
  readonly id: string;
  readonly host: string;
  readonly node: string;
  readonly user: { readonly directory: string; readonly id: string };
  readonly start: string;
  readonly end: string | null;
  readonly endReason: string | null;
}

export interface UserHistoryBody {
  readonly user: string;
  readonly from: string;
  readonly to: string;
  readonly sessions: readonly IntervalBody[];
  readonly connections: readonly (IntervalBody & { readonly appId: string | null })[];
  /** Whether sessions or connections were cut at 1,000 (the oldest are listed). */
  readonly truncated: { readonly sessions: boolean; readonly connections: boolean };
}

export function parseUserHistoryQuery(
  user: string,
  params: URLSearchParams,
  now: number,
): Parsed<Range & { user: string }> {
  const badUser = badText('user', user);
  if (badUser !== null) return { ok: false, error: badUser };
  if (parseUserRef(user) === null)
    return {
      ok: false,
      error: `user: expected DIRECTORY\\userId, URL-encoded (CORP%5Cjdoe) (got "${user}")`,
    };
  const bad = checkNames(params, ['from', 'to']);
  if (bad !== null) return { ok: false, error: bad };
  const range = rangeParams(params, now, USER_HISTORY.defaultSpan, USER_HISTORY.maxSpan);
  return range.ok ? { ok: true, query: { ...range.query, user } } : range;
}

export function userHistoryBody(history: History, q: Range & { user: string }): UserHistoryBody {
  const sessions = history.userSessions(q.user, q);
  const connections = history.userConnections(q.user, q);
  const limit = USER_HISTORY.limit;
  const interval = (r: (typeof sessions)[number] | (typeof connections)[number]): IntervalBody => ({
    id: r.id,
    host: r.host,
    node: r.node,
    user: r.user,
    start: iso(r.start),
    end: isoOrNull(r.end),
    endReason: r.endReason,
  });
  return {
    user: q.user,
    from: iso(q.from),
    to: iso(q.to),
    sessions: sessions.slice(0, limit).map(interval),
    connections: connections.slice(0, limit).map((c) => ({ ...interval(c), appId: c.appId })),
    truncated: { sessions: sessions.length > limit, connections: connections.length > limit },
  };
}

// ---- /api/peaks and /api/logins ------------------------------------------------------------------

interface BucketQuery<U extends string> extends Range {
  readonly unit: U;
  readonly host: string | undefined;
  readonly timeZone: string;
}

/** Per unit: the default range and the longest one. */
const PEAK_UNITS: Readonly<Record<PeakBucket, { span: number; max: number }>> = {
  minute: { span: 6 * HOUR, max: 2 * DAY },
  hour: { span: DAY, max: 93 * DAY },
  day: { span: 30 * DAY, max: 3660 * DAY },
};
const LOGIN_UNITS: Readonly<Record<LoginBucket, { span: number; max: number }>> = {
  minute: { span: HOUR, max: 7 * DAY },
  hour: { span: DAY, max: 93 * DAY },
};

function parseBuckets<U extends string>(
  params: URLSearchParams,
  now: number,
  units: Readonly<Record<U, { span: number; max: number }>>,
  fallback: U,
): Parsed<BucketQuery<U>> {
  const bad = checkNames(params, ['unit', 'from', 'to', 'host', 'tz']);
  if (bad !== null) return { ok: false, error: bad };
  const text = params.get('unit') ?? fallback;
  const names = Object.keys(units) as U[];
  const unit = names.find((u) => u === text);
  if (unit === undefined) return { ok: false, error: `unit: must be ${orList(names)} (got "${text}")` };
  const { span, max } = units[unit];
  const range = rangeParams(params, now, span, max);
  if (!range.ok) return range;
  const host = hostParam(params);
  if (typeof host === 'object') return { ok: false, error: host.error };
  const timeZone = zoneParam(params);
  if (typeof timeZone === 'object') return { ok: false, error: timeZone.error };
  return { ok: true, query: { ...range.query, unit, host, timeZone } };
}

export function parsePeaksQuery(params: URLSearchParams, now: number): Parsed<BucketQuery<PeakBucket>> {
  return parseBuckets(params, now, PEAK_UNITS, 'hour');
}

export function parseLoginsQuery(params: URLSearchParams, now: number): Parsed<BucketQuery<LoginBucket>> {
  return parseBuckets(params, now, LOGIN_UNITS, 'minute');
}

export interface PeaksBody {
  readonly unit: PeakBucket;
  readonly from: string;
  readonly to: string;
  readonly host: string | null;
  readonly timeZone: string;
  readonly buckets: readonly {
    readonly start: string;
    readonly peakUsers: number;
    readonly peakAt: string;
    readonly peakSessions: number;
  }[];
}

/** The history query a bucketed request asks for. */
function historyQuery<U extends string>(
  q: BucketQuery<U>,
): {
  from: number;
  to: number;
  bucket: U;
  host?: string;
  timeZone: string;
} {
  return {
    from: q.from,
    to: q.to,
    bucket: q.unit,
    ...(q.host === undefined ? {} : { host: q.host }),
    timeZone: q.timeZone,
  };
}

/** What every bucketed answer starts with: the request as understood. */
function bodyHead<U extends string>(
  q: BucketQuery<U>,
): { unit: U; from: string; to: string; host: string | null; timeZone: string } {
  return { unit: q.unit, from: iso(q.from), to: iso(q.to), host: q.host ?? null, timeZone: q.timeZone };
}

export function peaksBody(history: History, q: BucketQuery<PeakBucket>): PeaksBody {
  const rows = history.peaks(historyQuery(q));
  return {
    ...bodyHead(q),
    buckets: rows.map((r) => ({
      start: iso(r.start),
      peakUsers: r.peakUsers,
      peakAt: iso(r.peakAt),
      peakSessions: r.peakSessions,
    })),
  };
}

export interface LoginsBody {
  readonly unit: LoginBucket;
  readonly from: string;
  readonly to: string;
  readonly host: string | null;
  readonly timeZone: string;
  readonly total: number;
  readonly buckets: readonly { readonly start: string; readonly logins: number }[];
}

export function loginsBody(history: History, q: BucketQuery<LoginBucket>): LoginsBody {
  const rows = history.loginsPer(historyQuery(q));
  return {
    ...bodyHead(q),
    total: rows.reduce((sum, r) => sum + r.logins, 0),
    buckets: rows.map((r) => ({ start: iso(r.start), logins: r.logins })),
  };
}

// ---- /api/alerts ----------------------------------------------------------------------------------

export const ALERTS_LIMIT = { default: 100, max: 1_000 } as const;

export interface AlertBody extends Omit<AlertRecord, 'time' | 'firingSince'> {
  readonly time: string;
  readonly firingSince: string;
}

export interface AlertsBody {
  readonly from: string;
  /** null: no upper bound (alerts carry their node's clock, which may run ahead). */
  readonly to: string | null;
  /** Every alert firing now (not resolved), most recent episode first. */
  readonly firing: readonly AlertBody[];
  /** Alert notices (firing, repeats, resolved) with time in [from, to), newest first, at most `limit`. */
  readonly alerts: readonly AlertBody[];
}

interface AlertsQuery {
  readonly from: number;
  readonly to: number | null;
  readonly limit: number;
  readonly host: string | undefined;
}

export function parseAlertsQuery(params: URLSearchParams, now: number): Parsed<AlertsQuery> {
  const bad = checkNames(params, ['from', 'to', 'limit', 'host']);
  if (bad !== null) return { ok: false, error: bad };
  const to = timeParam(params, 'to');
  if (typeof to === 'string') return { ok: false, error: to };
  const from = timeParam(params, 'from');
  if (typeof from === 'string') return { ok: false, error: from };
  const start = from ?? (to ?? now) - DAY;
  if (to !== null && start >= to)
    return { ok: false, error: `from must be before to (got ${iso(start)} .. ${iso(to)})` };
  const limit = limitParam(params, ALERTS_LIMIT.default, ALERTS_LIMIT.max);
  if (typeof limit === 'string') return { ok: false, error: limit };
  const host = hostParam(params);
  if (typeof host === 'object') return { ok: false, error: host.error };
  return { ok: true, query: { from: start, to, limit, host } };
}

export function alertBody(a: AlertRecord): AlertBody {
  return { ...a, time: iso(a.time), firingSince: iso(a.firingSince) };
}

export function alertsBody(view: ClusterView, history: History, q: AlertsQuery): AlertsBody {
  const host = q.host?.toLowerCase();
  const firing = view.alertsNow().filter((a) => host === undefined || a.host.toLowerCase() === host);
  const alerts = history.alerts({
    from: q.from,
    to: q.to ?? Number.MAX_SAFE_INTEGER,
    limit: q.limit,
    ...(q.host === undefined ? {} : { host: q.host }),
  });
  return {
    from: iso(q.from),
    to: isoOrNull(q.to),
    firing: firing.map(alertBody),
    alerts: alerts.map(alertBody),
  };
}
