import { userKeyOf } from '../core/events.js';
import { qualifiedUser, type SessionExpired, type SidecarEvent, type UserEvent } from '../core/events.js';
import type { StateFacts } from '../rules/facts.js';
import {
  addToSeries,
  COUNTED_KINDS,
  countSeries,
  KeyedCounts,
  KIND_SLOT,
  lastBucket,
  lastBucketWith,
  pruneSeries,
  type Series,
} from './bucketed-counts.js';
import { DistinctUsers } from './distinct-users.js';

import { SessionTable, type TableOutcome } from './session-table.js';
import { validateSnapshot, type KeysEvicted, type LiveStateSnapshot } from './snapshot.js';

export interface LiveStateOptions {
  /** The virtual proxy's session inactivity timeout (Qlik's default is 30 minutes). */
  readonly inactivityTimeoutMs: number;
  /** Extra wait past the timeout before the sidecar declares sessions expired. */
  readonly graceMs: number;
  /** Width of a count bucket; windows are counted in whole buckets. Default 10 s. */
  readonly bucketMs?: number;
  /**
   * Longest window any rule asks for. Counts older than this are pruned, and a query for a
   * longer window is clamped to it (it counts only what is kept). Default 1 h.
   */
  readonly maxWindowMs?: number;
  /**
   * Bound on every map: (host, user) presences, per-user series, and separately per-host and
   * per-app series and per-app connection totals. Default 200,000.
   */
  readonly maxKeys?: number;
}

export const LIVE_STATE_DEFAULTS = { bucketMs: 10_000, maxWindowMs: 3_600_000, maxKeys: 200_000 } as const;

export interface ApplyOutcome {
  /** A session.stop for a user/host with no session we knew of; counted, the count stays 0. */
  readonly staleStop: boolean;
  /** A connection.close with no matching open connection (same user, host and app). */
  readonly staleClose: boolean;
}

export interface LiveStateStats {
  /** Users with at least one session or open connection on some host. */
  readonly users: number;
  /** Sessions open, summed over users and hosts. */
  readonly sessions: number;
  /** Connections open, summed over users and hosts. */
  readonly connections: number;
  /** Entries dropped because their map was full, by map. */
  readonly keysEvicted: KeysEvicted;
  readonly staleStops: number;
  readonly staleCloses: number;
  /** Sessions closed by expiry (one SessionExpired event may close several). */
  readonly expiredSessions: number;
}

/** Index of the "any kind" distinct-user tracker, after one tracker per kind. */
const ANY = COUNTED_KINDS.length;

/** apply allocates nothing for its answer. */
const OUTCOMES: Readonly<Record<TableOutcome, ApplyOutcome>> = {
  ok: Object.freeze({ staleStop: false, staleClose: false }),
  staleStop: Object.freeze({ staleStop: true, staleClose: false }),
  staleClose: Object.freeze({ staleStop: false, staleClose: true }),
};

/**
 * Live state of one node's user events: who has sessions and connections open where, and
 * bucketed sliding-window counts. Answers the rule facts (StateFacts) in O(1) for sessions and
 * connections, O(buckets in the window) for counts.
 *
 * Time: every method takes `now` (epoch ms) and never reads a clock. Internally time never
 * moves backwards: a `now` earlier than one already seen is treated as the latest seen. A
 * wall clock stepped back would otherwise put events into buckets already pruned and break
 * the last-activity order that keeps expiry and pruning O(1) when nothing is due.
 *
 * Expired sessions are counted (kind `session.expired`, per user and host, and in the
 * distinct-user indexes) inside `expire`, before the events are returned, so rules evaluated
 * on them see themselves counted exactly like wire events after `apply`.
 */
export class LiveState implements StateFacts {
  private readonly timeoutMs: number;
  private readonly bucketMs: number;
  private readonly maxWindowMs: number;
  private readonly table: SessionTable;
  private readonly userCounts: KeyedCounts;
  private readonly hostCounts: KeyedCounts;
  private readonly appCounts: KeyedCounts;
  private nodeCounts: Series = [];
  /**
   * Distinct-user trackers: one per kind (by KIND_SLOT), then one for any kind (ANY). Each is
   * built on the first distinctUsers query that needs it, from the per-user series (which hold
   * the same information), and maintained from then on: rules rarely ask for more than one or
   * two, and each costs a map entry per user.
   */
  private readonly distinct: (DistinctUsers | undefined)[] = [];
  /** Latest `now` seen; see the class comment. */
  private clock = 0;
  private prunedBucket = -Infinity;
  private staleStops = 0;
  private staleCloses = 0;
  private expiredSessions = 0;
  /** The facts of one event are asked one after another: remember its user key. */
  private keyedEvent: SidecarEvent | null = null;
  private keyedUser = '';

  constructor(options: LiveStateOptions) {
    this.timeoutMs =
      nonNegative(options.inactivityTimeoutMs, 'inactivityTimeoutMs') +
      nonNegative(options.graceMs, 'graceMs');
    this.bucketMs = positive(options.bucketMs ?? LIVE_STATE_DEFAULTS.bucketMs, 'bucketMs');
    this.maxWindowMs = positive(options.maxWindowMs ?? LIVE_STATE_DEFAULTS.maxWindowMs, 'maxWindowMs');
    const maxKeys = options.maxKeys ?? LIVE_STATE_DEFAULTS.maxKeys;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`LiveState: maxKeys must be a positive integer (got ${maxKeys})`);
    }
    this.table = new SessionTable(maxKeys);
    // The distinct-user trackers only ever hold users that have a series here (a user's
    // latest bucket of a kind is a bucket of their series), so removing a user from the
    // series map removes them everywhere; that also bounds the trackers by maxKeys.
    this.userCounts = new KeyedCounts(maxKeys, (user) => {
      for (const tracker of this.distinct) tracker?.forget(user);
    });
    this.hostCounts = new KeyedCounts(maxKeys);
    this.appCounts = new KeyedCounts(maxKeys);
  }

  /** Applies a wire event: sessions, connections, last activity and counts. Never throws. */
  apply(event: UserEvent, now: number): ApplyOutcome {
    const t = this.tick(now);
    this.prune(t);
    const outcome = this.table.apply(event, this.userKey(event), t);
    if (outcome === 'staleStop') this.staleStops += 1;
    else if (outcome === 'staleClose') this.staleCloses += 1;
    this.count(event, this.table.lastUserKey, t);
    return OUTCOMES[outcome];
  }

  /**
   * Closes the sessions of every user on a host that has sessions, no open connection, and no
   * event for longer than inactivityTimeoutMs + graceMs; returns one SessionExpired per (host,
   * user), oldest activity first, each already counted (see the class comment).
   *
   * Users with an open connection are never expired: an open engine websocket keeps the Qlik
   * proxy session alive while the user works in an app, and that work emits no events on this
   * channel, so silence says nothing about them.
   *
   * Cost: O(expired + pruned + 1). Candidates are kept in a list ordered by last activity and
   * the walk stops at the first one still alive; count pruning runs at most once per bucket
   * and also stops at the first live entry. Call it from a timer and before evaluating.
   */
  expire(now: number): SessionExpired[] {
    const t = this.tick(now);
    this.prune(t);
    const expired: SessionExpired[] = [];
    for (const p of this.table.expireBefore(t - this.timeoutMs)) {
      const event: SessionExpired = {
        kind: 'session.expired',
        host: p.host,
        user: p.user,
        origin: '',
        context: '',
        appId: null,
        userAgent: null,
        message: `${p.sessions} session(s) of ${qualifiedUser(p.user)} expired after ${idle(t - p.lastActivityAt)} without activity`,
        sessions: p.sessions,
        lastActivityAt: p.lastActivityAt,
      };
      this.expiredSessions += p.sessions;
      this.count(event, p.userKey, t);
      expired.push(event);
    }
    return expired;
  }

  // ---- StateFacts ---------------------------------------------------------------------------

  activeSessions(per: 'user' | 'host', event: SidecarEvent): number {
    return per === 'user'
      ? this.table.userSessions(this.userKey(event))
      : this.table.hostSessions(event.host);
  }

  activeConnections(per: 'user' | 'app' | 'host', event: SidecarEvent): number {
    switch (per) {
      case 'user':
        return this.table.userConnections(this.userKey(event));
      case 'host':
        return this.table.hostConnections(event.host);
      case 'app':
        return event.appId === null ? 0 : this.table.appConnections(event.appId);
    }
  }

  /**
   * Events in the buckets overlapping (now − windowMs, now]: an event counts for at least
   * windowMs and less than windowMs + bucketMs after it happened (it leaves when its whole
   * bucket is out of the window). windowMs is clamped to [0, maxWindowMs].
   */
  eventCount(
    query: {
      readonly kind?: SidecarEvent['kind'];
      readonly per?: 'user' | 'host' | 'app';
      readonly windowMs: number;
    },
    event: SidecarEvent,
    now: number,
  ): number {
    const first = this.firstBucket(query.windowMs, now);
    const slot = query.kind === undefined ? null : KIND_SLOT[query.kind];
    if (query.per === undefined) return countSeries(this.nodeCounts, first, slot);
    switch (query.per) {
      case 'user':
        return this.userCounts.count(this.userKey(event), first, slot);
      case 'host':
        return this.hostCounts.count(event.host, first, slot);
      case 'app':
        return event.appId === null ? 0 : this.appCounts.count(event.appId, first, slot);
    }
  }

  /** Distinct users with an event (of `kind`) in the same buckets as eventCount; O(buckets). */
  distinctUsers(
    query: { readonly kind?: SidecarEvent['kind']; readonly windowMs: number },
    now: number,
  ): number {
    const tracker = this.tracker(query.kind === undefined ? ANY : KIND_SLOT[query.kind]);
    return tracker.count(this.firstBucket(query.windowMs, now));
  }

  // ---- status -------------------------------------------------------------------------------

  /** Users with at least one session or open connection on some host. */
  activeUsers(): number {
    return this.table.userCount;
  }

  stats(): LiveStateStats {
    return {
      users: this.table.userCount,
      sessions: this.table.sessions,
      connections: this.table.connections,
      keysEvicted: {
        presences: this.table.evictedPresences,
        appConnections: this.table.evictedApps,
        connections: this.table.evictedConnections,
        userCounts: this.userCounts.evicted,
        hostCounts: this.hostCounts.evicted,
        appCounts: this.appCounts.evicted,
      },
      staleStops: this.staleStops,
      staleCloses: this.staleCloses,
      expiredSessions: this.expiredSessions,
    };
  }

  // ---- persistence --------------------------------------------------------------------------

  snapshot(): LiveStateSnapshot {
    const stats = this.stats();
    return {
      version: 1,
      takenAt: this.clock,
      bucketMs: this.bucketMs,
      presences: this.table.records().map((p) => ({
        host: p.host,
        directory: p.user.directory,
        id: p.user.id,
        sessions: p.sessions,
        apps: p.apps,
        lastActivityAt: p.lastActivityAt,
      })),
      counts: {
        node: [...this.nodeCounts],
        users: copyEntries(this.userCounts),
        hosts: copyEntries(this.hostCounts),
        apps: copyEntries(this.appCounts),
      },
      stats: {
        staleStops: stats.staleStops,
        staleCloses: stats.staleCloses,
        expiredSessions: stats.expiredSessions,
        keysEvicted: stats.keysEvicted,
      },
    };
  }

  /**
   * Rebuilds state from `snapshot()` output (typically after JSON round trip). Throws a
   * TypeError naming the offending path when the data is not a version-1 snapshot. Totals and
   * distinct-user indexes are derived, not read. If bucketMs changed since the snapshot, the
   * windowed counts are dropped (they cover at most maxWindowMs) and sessions are kept. Entries
   * beyond maxKeys are evicted and counted, the least recently active first.
   */
  static restore(snapshot: unknown, options: LiveStateOptions, now: number): LiveState {
    const snap = validateSnapshot(snapshot);
    const state = new LiveState(options);
    state.tick(snap.takenAt);
    const t = state.tick(now);
    const presences = [...snap.presences].sort((a, b) => a.lastActivityAt - b.lastActivityAt);
    for (const p of presences) {
      const user = { directory: p.directory, id: p.id };
      state.table.restore({ ...p, user }, userKeyOf(user));
    }
    if (snap.bucketMs === state.bucketMs) {
      const horizon = state.horizon(t);
      state.nodeCounts = [...snap.counts.node];
      pruneSeries(state.nodeCounts, horizon);
      restoreKeyed(state.userCounts, snap.counts.users, horizon);
      restoreKeyed(state.hostCounts, snap.counts.hosts, horizon);
      restoreKeyed(state.appCounts, snap.counts.apps, horizon);
      state.prunedBucket = Math.floor(t / state.bucketMs);
    }
    const s = snap.stats;
    state.staleStops = s.staleStops;
    state.staleCloses = s.staleCloses;
    state.expiredSessions = s.expiredSessions;
    state.table.evictedPresences += s.keysEvicted.presences;
    state.table.evictedApps += s.keysEvicted.appConnections;
    state.table.evictedConnections += s.keysEvicted.connections;
    state.userCounts.evicted += s.keysEvicted.userCounts;
    state.hostCounts.evicted += s.keysEvicted.hostCounts;
    state.appCounts.evicted += s.keysEvicted.appCounts;
    return state;
  }

  // ---- internals ----------------------------------------------------------------------------

  private tick(now: number): number {
    if (now > this.clock) this.clock = now;
    return this.clock;
  }

  /** Oldest bucket any query can still ask for (windows are clamped to maxWindowMs). */
  private horizon(t: number): number {
    return Math.floor((t - this.maxWindowMs) / this.bucketMs);
  }

  private firstBucket(windowMs: number, now: number): number {
    const window = windowMs > 0 ? Math.min(windowMs, this.maxWindowMs) : 0;
    return Math.floor((Math.max(now, this.clock) - window) / this.bucketMs);
  }

  /** Drops counts that fell out of every window; runs at most once per bucket. */
  private prune(t: number): void {
    const bucket = Math.floor(t / this.bucketMs);
    if (bucket === this.prunedBucket) return;
    this.prunedBucket = bucket;
    const horizon = this.horizon(t);
    pruneSeries(this.nodeCounts, horizon);
    this.userCounts.prune(horizon);
    this.hostCounts.prune(horizon);
    this.appCounts.prune(horizon);
    for (const tracker of this.distinct) tracker?.prune(horizon);
  }

  private count(event: SidecarEvent, userKey: string, t: number): void {
    const bucket = Math.floor(t / this.bucketMs);
    const slot = KIND_SLOT[event.kind];
    const horizon = this.horizon(t);
    this.nodeCounts = addToSeries(this.nodeCounts, bucket, slot, horizon);
    this.userCounts.add(userKey, bucket, slot, horizon);
    this.hostCounts.add(event.host, bucket, slot, horizon);
    if (event.appId !== null) this.appCounts.add(event.appId, bucket, slot, horizon);
    this.distinct[slot]?.see(userKey, bucket);
    this.distinct[ANY]?.see(userKey, bucket);
  }

  /**
   * The tracker for a kind slot (or ANY), built on first use from the per-user series:
   * O(users × rows) once. A series can hold rows older than the horizon (see addToSeries);
   * they are skipped, as pruning would have dropped them from a tracker.
   */
  private tracker(index: number): DistinctUsers {
    let tracker = this.distinct[index];
    if (tracker !== undefined) return tracker;
    tracker = new DistinctUsers();
    const horizon = this.horizon(this.clock);
    const slot = index === ANY ? null : index;
    const latest: [string, number][] = [];
    for (const [user, series] of this.userCounts.entries()) {
      const bucket = lastBucketWith(series, slot, horizon);
      if (bucket !== null) latest.push([user, bucket]);
    }
    // Trackers need their users in bucket order (see DistinctUsers); sort is stable.
    latest.sort((a, b) => a[1] - b[1]);
    for (const [user, bucket] of latest) tracker.see(user, bucket);
    this.distinct[index] = tracker;
    return tracker;
  }

  private userKey(event: SidecarEvent): string {
    if (event !== this.keyedEvent) {
      this.keyedEvent = event;
      this.keyedUser = userKeyOf(event.user);
    }
    return this.keyedUser;
  }
}

function copyEntries(counts: KeyedCounts): [string, number[]][] {
  return Array.from(counts.entries(), ([key, series]) => [key, [...series]]);
}

function restoreKeyed(
  counts: KeyedCounts,
  entries: readonly (readonly [string, readonly number[]])[],
  horizon: number,
): void {
  // Insert in order of last bucket so the map's oldest-first invariant holds; sort is stable.
  const sorted = entries
    .filter(([, series]) => series.length > 0)
    .map(([key, series]): [string, Series] => [key, [...series]])
    .sort((a, b) => lastBucket(a[1]) - lastBucket(b[1]));
  for (const [key, series] of sorted) {
    pruneSeries(series, horizon);
    if (series.length > 0) counts.restore(key, series);
  }
}

/** How long a user was idle, for the expiry message: whole minutes, or seconds below one. */
function idle(ms: number): string {
  return ms < 60_000 ? `${Math.floor(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m`;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`LiveState: ${name} must be a positive number (got ${value})`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`LiveState: ${name} must be a non-negative number (got ${value})`);
  return value;
}
