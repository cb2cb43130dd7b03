import { userKeyOf } from '../../core/events.js';
import type { UserRef } from '../../core/events.js';
import type { Decoded } from '../../contract/decode.js';
import type { AgentSummary } from '../../contract/decode-details.js';
import { LinkedList, type Linked } from '../../state/linked-list.js';
import { type AddOutcome, endItem, Ledger, type LedgerChange, startItem } from '../ledger.js';
import {
  type ConnectionEndReason,
  type OpenInterval,
  parseUserRef,
  type SessionEndReason,
  type ViewChange,
} from '../types.js';
import type { HostTotals } from './node-roster.js';

/**
 * Who has what open where: one presence per (host, user) with its session ledger and one
 * ledger per app, and the totals per host, per user and per app kept in step with them.
 *
 * Sessions and connections are matched per key by the Ledger's rule (a stop closes the oldest
 * open session), independent of arrival order within the reorder window; every change to an
 * interval is returned as a ViewChange for the history. Stale stops, closes and unmatched
 * expiries are counted per presence and summed into the table's counts, which can go down again
 * when a late start matches them, and never below zero.
 *
 * Bounded: maxPresences presences (evicting one closes its intervals with reason `evicted`:
 * the one with nothing open and least recently active first), maxOpenPerKey open intervals per
 * key; presences with nothing open are dropped after the reorder window. Every eviction counted.
 */

export interface Presence extends Linked<Presence> {
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
  /** Browser and OS of the latest connection event that named them (not restored at start). */
  agent: AgentSummary | null;
}

export interface HostEntry {
  readonly presences: Map<string, Presence>;
  node: string;
  sessions: number;
  connections: number;
  /** Presences with something open. */
  users: number;
}

export interface UserEntry {
  readonly user: UserRef;
  sessions: number;
  connections: number;
  readonly hosts: Set<string>;
}

export interface AppEntry {
  connections: number;
  /** User key → open connections of that user to the app. */
  readonly users: Map<string, number>;
}

export interface PresenceOptions {
  readonly reorderWindowMs: number;
  readonly maxPresences: number;
  readonly maxOpenPerKey: number;
}

export class PresenceTable {
  private readonly hosts = new Map<string, HostEntry>();
  private readonly users = new Map<string, UserEntry>();
  private readonly apps = new Map<string, AppEntry>();
  /** Presences with something open, least recently active first. */
  private readonly active = new LinkedList<Presence>();
  /** Presences with nothing open, kept for the reorder window, least recently active first. */
  private readonly idle = new LinkedList<Presence>();
  private presenceCount = 0;
  private sessionsOpen = 0;
  private connectionsOpen = 0;
  /** Scratch for ledger changes; emptied by every use. */
  private readonly ledgerOut: LedgerChange[] = [];
  readonly counts = {
    staleStops: 0,
    staleCloses: 0,
    unmatchedExpired: 0,
    timedOutSessions: 0,
    timedOutConnections: 0,
    evictedPresences: 0,
    evictedSessions: 0,
    evictedConnections: 0,
  };

  constructor(private readonly opts: PresenceOptions) {}

  get presences(): number {
    return this.presenceCount;
  }

  get openSessions(): number {
    return this.sessionsOpen;
  }

  get openConnections(): number {
    return this.connectionsOpen;
  }

  /** Hosts (with their presences), for the queries. */
  hostEntries(): ReadonlyMap<string, HostEntry> {
    return this.hosts;
  }

  /** Users with something open, by user key. */
  userEntries(): ReadonlyMap<string, UserEntry> {
    return this.users;
  }

  /** Apps with a connection open, by app id. */
  appEntries(): ReadonlyMap<string, AppEntry> {
    return this.apps;
  }

  /** What is open on one host, or undefined when the view knows no presence there. */
  hostTotals(host: string): HostTotals | undefined {
    return this.hosts.get(host);
  }

  /**
   * Closes the sessions and connections of every presence with nothing received since
   * `now − timeout` (reason `timeout`, end `now`) and drops it. O(expired + 1).
   */
  expireIdle(now: number, timeout: number, changes: ViewChange[]): void {
    for (let p = this.active.head; p !== null && p.lastArrival < now - timeout; p = this.active.head) {
      const closed = this.closeAll(p, now, 'timeout', changes);
      this.counts.timedOutSessions += closed.sessions;
      this.counts.timedOutConnections += closed.connections;
      this.removePresence(p);
    }
  }

  /** One interval the history holds open, after a restart (no changes: the history has it). */
  restoreOpen(o: OpenInterval, connection: boolean, now: number): void {
    const p = this.presence(o.host, o.user, o.node, now, []);
    const ledger = connection ? this.appLedger(p, o.appId) : p.sessions;
    if (ledger.open.some((s) => s.id === o.id)) return;
    const before = this.snapshot(p);
    ledger.restoreOpen(startItem(o.id, o.start, sameUser(o.user, p.user) ? p.user : o.user));
    if (o.start > p.lastEventTime) p.lastEventTime = o.start;
    this.settle(p, before, connection ? o.appId : null, connection ? 1 : 0);
  }

  // ---- user events --------------------------------------------------------------------------

  /** Folds one session or connection event of (host, user) in; returns how it was ordered. */
  applyUserEvent(
    m: Extract<Decoded, { readonly host: string }>,
    now: number,
    changes: ViewChange[],
  ): AddOutcome {
    const p = this.presence(m.host, m.user, m.node, now, changes);
    if (m.time > p.lastEventTime) p.lastEventTime = m.time;
    p.lastArrival = now;
    p.node = m.node;
    const host = this.hosts.get(m.host);
    if (host !== undefined) host.node = m.node;

    const connection = m.kind === 'connection.open' || m.kind === 'connection.close';
    if (connection && m.agent !== null) p.agent = m.agent;
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
      if (connection) this.counts.evictedConnections += 1;
      else this.counts.evictedSessions += 1;
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
    this.counts.staleStops += stops - p.staleStops;
    this.counts.unmatchedExpired += expired - p.unmatchedExpired;
    this.counts.staleCloses += closes - p.staleCloses;
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
      agent: null,
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
  sweepIdle(now: number): void {
    const cutoff = now - this.opts.reorderWindowMs;
    for (let p = this.idle.head; p !== null && p.lastArrival < cutoff; p = this.idle.head)
      this.removePresence(p);
  }

  /** Makes room: the least recently active presence with nothing open, else the least recently active one. */
  private evictPresence(now: number, changes: ViewChange[]): void {
    const victim = this.idle.head ?? this.active.head;
    if (victim === null) return;
    const closed = this.closeAll(victim, now, 'evicted', changes);
    this.counts.evictedSessions += closed.sessions;
    this.counts.evictedConnections += closed.connections;
    this.counts.evictedPresences += 1;
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
  *matching(hostFilter: string | undefined, userFilter: string | undefined): Generator<Presence> {
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

  hostsActive(): number {
    let n = 0;
    for (const h of this.hosts.values()) if (h.users > 0) n += 1;
    return n;
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
