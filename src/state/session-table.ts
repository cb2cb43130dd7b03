import type { UserEvent, UserRef } from '../core/events.js';
import { LinkedList, type Linked } from './linked-list.js';
import { NO_APPS, type Presence } from './presence.js';

/** Sums over the presences of one user (across hosts). */
interface Totals {
  sessions: number;
  connections: number;
}

/** Open connections of one app, in the least-recently-touched list for eviction. */
interface AppEntry extends Linked<AppEntry> {
  readonly appId: string;
  connections: number;
}

/** One host: its presences by user key, and their sums. */
interface HostEntry extends Totals {
  readonly presences: Map<string, Presence>;
}

/**
 * Open connections one presence may hold. Each close that is lost leaves a connection open
 * for good (and keeps its session from expiring); without a cap a presence's list, and the
 * O(length) copy on every open, would grow without end. Qlik allows 5 sessions per user, each
 * with a few tabs, so a list this long is made of lost closes: the oldest entry goes.
 */
export const MAX_CONNECTIONS_PER_PRESENCE = 256;

/** What apply found: nothing unusual, or which stale event it was (at most one per event). */
export type TableOutcome = 'ok' | 'staleStop' | 'staleClose';

/** What a presence looks like outside the table (snapshot, restore). */
export interface PresenceRecord {
  readonly host: string;
  readonly user: UserRef;
  readonly sessions: number;
  readonly apps: readonly (string | null)[];
  readonly lastActivityAt: number;
}

/**
 * Sessions and connections per (host, user), with running totals per user, host and app so that
 * every fact is one map lookup.
 *
 * Invariants:
 * - a presence is in `hosts.get(host).presences` iff sessions > 0 or it has an open connection;
 *   a host entry exists iff it has a presence; `size` counts presences;
 * - a presence is in `idle` iff sessions > 0 and no connection is open (the only ones expiry
 *   looks at), otherwise in `connected`; both lists are sorted by lastActivityAt;
 * - user and host totals are the sums over their presences (user entries with both sums 0
 *   are deleted); `apps` holds the open connections per app id, except for apps evicted when
 *   it was full; `sessions`/`connections` are the sums over all presences.
 */
export class SessionTable {
  private readonly hosts = new Map<string, HostEntry>();
  private readonly idle = new LinkedList<Presence>();
  private readonly connected = new LinkedList<Presence>();
  private readonly users = new Map<string, Totals>();
  /** Open connections per app id, and the same entries least recently touched first. */
  private readonly apps = new Map<string, AppEntry>();
  private readonly appOrder = new LinkedList<AppEntry>();
  size = 0;
  sessions = 0;
  connections = 0;
  evictedPresences = 0;
  evictedApps = 0;
  evictedConnections = 0;
  /**
   * The user key instance of the presence the last apply touched (or the one passed in), so
   * that the count maps store the same string instead of one copy per event.
   */
  lastUserKey = '';

  constructor(private readonly maxKeys: number) {}

  get userCount(): number {
    return this.users.size;
  }

  userSessions(userKey: string): number {
    return this.users.get(userKey)?.sessions ?? 0;
  }
  userConnections(userKey: string): number {
    return this.users.get(userKey)?.connections ?? 0;
  }
  hostSessions(host: string): number {
    return this.hosts.get(host)?.sessions ?? 0;
  }
  hostConnections(host: string): number {
    return this.hosts.get(host)?.connections ?? 0;
  }
  appConnections(appId: string): number {
    return this.apps.get(appId)?.connections ?? 0;
  }

  apply(event: UserEvent, userKey: string, now: number): TableOutcome {
    let p = this.hosts.get(event.host)?.presences.get(userKey);
    let outcome: TableOutcome = 'ok';
    switch (event.kind) {
      case 'session.start':
        p ??= this.create(event.host, userKey, event.user);
        p.sessions += 1;
        this.adjust(p, 1, 0);
        break;
      case 'session.stop':
        if (p === undefined || p.sessions === 0) {
          // A stop without a start we saw: the start was lost, or came before this process did.
          outcome = 'staleStop';
        } else {
          p.sessions -= 1;
          this.adjust(p, -1, 0);
        }
        break;
      case 'connection.open':
        p ??= this.create(event.host, userKey, event.user);
        if (p.apps.length >= MAX_CONNECTIONS_PER_PRESENCE) {
          const oldest = p.apps[0] ?? null;
          p.apps = without(p.apps, 0);
          this.adjust(p, 0, -1);
          this.adjustApp(oldest, -1);
          this.evictedConnections += 1;
        }
        p.apps = withApp(p.apps, event.appId);
        this.adjust(p, 0, 1);
        this.adjustApp(event.appId, 1);
        break;
      case 'connection.close': {
        const at = p === undefined ? -1 : p.apps.indexOf(event.appId);
        if (p === undefined || at < 0) {
          outcome = 'staleClose';
        } else {
          p.apps = without(p.apps, at);
          this.adjust(p, 0, -1);
          this.adjustApp(event.appId, -1);
        }
        break;
      }
    }
    if (p === undefined) {
      this.lastUserKey = userKey;
    } else {
      this.lastUserKey = p.userKey;
      p.lastActivityAt = now;
      this.relink(p);
    }
    return outcome;
  }

  /**
   * Removes and returns the presences with sessions but no open connection whose last activity
   * is before `cutoff`, oldest first. `idle` is sorted by last activity, so this stops at the
   * first one still alive: O(expired + 1). The returned presences keep their session count.
   */
  expireBefore(cutoff: number): Presence[] {
    const expired: Presence[] = [];
    for (let p = this.idle.head; p !== null && p.lastActivityAt < cutoff; p = this.idle.head) {
      this.drop(p);
      expired.push(p);
    }
    return expired;
  }

  /** Every presence, each list oldest first (idle list, then connected list). */
  records(): PresenceRecord[] {
    const out: PresenceRecord[] = [];
    for (const list of [this.idle, this.connected]) {
      for (const p of list) {
        out.push({
          host: p.host,
          user: p.user,
          sessions: p.sessions,
          apps: [...p.apps],
          lastActivityAt: p.lastActivityAt,
        });
      }
    }
    return out;
  }

  /** Adds a presence from a snapshot; callers insert in lastActivityAt order, without repeats. */
  restore(record: PresenceRecord, userKey: string): void {
    if (record.sessions === 0 && record.apps.length === 0) return;
    const existing = this.hosts.get(record.host)?.presences.get(userKey);
    if (existing !== undefined) this.drop(existing);
    const p = this.create(record.host, userKey, record.user);
    p.sessions = record.sessions;
    p.lastActivityAt = record.lastActivityAt;
    p.apps = record.apps.slice(-MAX_CONNECTIONS_PER_PRESENCE);
    this.evictedConnections += record.apps.length - p.apps.length;
    for (const app of p.apps) this.adjustApp(app, 1);
    this.adjust(p, p.sessions, p.apps.length);
    this.relink(p);
  }

  private create(host: string, userKey: string, user: UserRef): Presence {
    if (this.size >= this.maxKeys) this.evictOne();
    let entry = this.hosts.get(host);
    if (entry === undefined) {
      entry = { presences: new Map(), sessions: 0, connections: 0 };
      this.hosts.set(host, entry);
    }
    const p: Presence = {
      host,
      userKey,
      user,
      sessions: 0,
      apps: NO_APPS,
      lastActivityAt: 0,
      prev: null,
      next: null,
      list: null,
    };
    entry.presences.set(userKey, p);
    this.size += 1;
    return p;
  }

  /**
   * Makes room for one presence: the least recently active one without an open connection
   * (it is the next to expire anyway), else the least recently active connected one. Nothing
   * idle is ever kept here (see Presence), so there is no cheaper victim.
   */
  private evictOne(): void {
    const victim = this.idle.head ?? this.connected.head;
    if (victim === null) return;
    this.drop(victim);
    this.evictedPresences += 1;
  }

  /** Puts a presence at the tail of the list it now belongs to, or deletes it when empty. */
  private relink(p: Presence): void {
    p.list?.remove(p);
    if (p.apps.length > 0) this.connected.append(p);
    else if (p.sessions > 0) this.idle.append(p);
    else this.unlist(p);
  }

  /** Deletes a presence and takes its counts out of every total. */
  private drop(p: Presence): void {
    p.list?.remove(p);
    this.unlist(p);
    this.adjust(p, -p.sessions, -p.apps.length);
    for (const app of p.apps) this.adjustApp(app, -1);
  }

  private unlist(p: Presence): void {
    const entry = this.hosts.get(p.host);
    if (entry?.presences.delete(p.userKey) !== true) return;
    this.size -= 1;
    // Totals are sums over presences, so an empty host has zero totals; drop it.
    if (entry.presences.size === 0) this.hosts.delete(p.host);
  }

  private adjust(p: Presence, sessions: number, connections: number): void {
    if (sessions === 0 && connections === 0) return;
    this.sessions += sessions;
    this.connections += connections;
    const host = this.hosts.get(p.host);
    if (host !== undefined) {
      host.sessions += sessions;
      host.connections += connections;
    }
    let user = this.users.get(p.userKey);
    if (user === undefined) {
      user = { sessions: 0, connections: 0 };
      this.users.set(p.userKey, user);
    }
    user.sessions += sessions;
    user.connections += connections;
    if (user.sessions <= 0 && user.connections <= 0) this.users.delete(p.userKey);
  }

  private adjustApp(appId: string | null, delta: number): void {
    if (appId === null) return;
    let entry = this.apps.get(appId);
    if (entry === undefined) {
      // A close for an app evicted from this map: its total is already gone; nothing to undo.
      if (delta < 0) return;
      const oldest = this.apps.size >= this.maxKeys ? this.appOrder.head : null;
      if (oldest !== null) {
        this.appOrder.remove(oldest);
        this.apps.delete(oldest.appId);
        this.evictedApps += 1;
      }
      entry = { appId, connections: 0, prev: null, next: null, list: null };
      this.apps.set(appId, entry);
    } else {
      this.appOrder.remove(entry);
    }
    entry.connections += delta;
    if (entry.connections > 0) this.appOrder.append(entry);
    else this.apps.delete(appId);
  }
}

/**
 * A copy with `appId` appended, exactly sized. (Not concat: V8 takes a slow generic path for
 * concat with a non-array argument, and spread or push over-allocate.)
 */
function withApp(apps: readonly (string | null)[], appId: string | null): readonly (string | null)[] {
  const copy = new Array<string | null>(apps.length + 1);
  for (let i = 0; i < apps.length; i++) copy[i] = apps[i] ?? null;
  copy[apps.length] = appId;
  return copy;
}

/** A copy without the item at `at`, exactly sized, in opening order (oldest first). */
function without(apps: readonly (string | null)[], at: number): readonly (string | null)[] {
  if (apps.length <= 1) return NO_APPS;
  const copy = apps.slice(0, -1);
  for (let i = at; i < copy.length; i++) copy[i] = apps[i + 1] ?? null;
  return copy;
}
