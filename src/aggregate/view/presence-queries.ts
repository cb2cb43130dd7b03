import type { UserRef } from '../../core/events.js';
import type { SessionEntry, SessionFilter } from '../types.js';
import { byTimeHostUser, compareText } from './order.js';
import type { PresenceTable } from './presence-table.js';
import type {
  AppCount,
  ConnectionEntry,
  ConnectionFilter,
  HostCount,
  OnlineRow,
  Totals,
  UserNow,
} from './view-types.js';

/**
 * The answers about now, read from the presence table: open sessions and connections, users,
 * per-host and per-app counts. Read only; every list comes in a fixed order, so the same state
 * always gives the same answer whatever order its events arrived in.
 */

/** One entry per open proxy session, oldest first: the body of `GET /api/sessions`. */
export function sessionsNow(table: PresenceTable, filter: SessionFilter = {}): SessionEntry[] {
  const rows: { time: number; host: string; key: string; id: string; entry: SessionEntry }[] = [];
  for (const p of table.matching(filter.host, filter.user)) {
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

/** One row per (host, user) with something open, longest on first. */
export function onlineNow(table: PresenceTable): OnlineRow[] {
  const rows: { time: number; host: string; key: string; id: string; row: OnlineRow }[] = [];
  for (const p of table.matching(undefined, undefined)) {
    if (p.openSessions + p.openConnections === 0) continue;
    const first = p.sessions.open[0] ?? oldestConnection(p.apps.values());
    if (first === undefined) continue;
    const apps = [...p.apps].filter(([id, l]) => id !== '' && l.open.length > 0).map(([id]) => id);
    rows.push({
      time: first.time,
      host: p.host,
      key: p.userKey,
      id: first.id,
      row: {
        host: p.host,
        node: p.node,
        user: first.user ?? p.user,
        since: first.time,
        lastEventAt: Number.isFinite(p.lastEventTime) ? p.lastEventTime : first.time,
        sessions: p.openSessions,
        connections: p.openConnections,
        apps: apps.sort(compareText),
        browser: p.agent?.browser ?? null,
        os: p.agent?.os ?? null,
      },
    });
  }
  rows.sort(byTimeHostUser);
  return rows.map((r) => r.row);
}

function oldestConnection(
  ledgers: Iterable<{ readonly open: readonly { time: number; id: string; user: UserRef | null }[] }>,
) {
  let best: { time: number; id: string; user: UserRef | null } | undefined;
  for (const l of ledgers) {
    const o = l.open[0];
    if (
      o !== undefined &&
      (best === undefined || o.time < best.time || (o.time === best.time && o.id < best.id))
    )
      best = o;
  }
  return best;
}

/** One entry per open app connection, oldest first; `app` is the app id (case-insensitive). */
export function connectionsNow(table: PresenceTable, filter: ConnectionFilter = {}): ConnectionEntry[] {
  const app = filter.app?.toLowerCase();
  const rows: { time: number; host: string; key: string; id: string; entry: ConnectionEntry }[] = [];
  for (const p of table.matching(filter.host, filter.user)) {
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
export function usersNow(table: PresenceTable): UserNow[] {
  const users = table.userEntries();
  const keys = [...users.keys()].sort(compareText);
  const out: UserNow[] = [];
  for (const key of keys) {
    const u = users.get(key);
    if (u === undefined) continue;
    const hosts = [...u.hosts].sort(compareText);
    out.push({
      user: spelling(table, key, hosts) ?? u.user,
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
function spelling(table: PresenceTable, userKey: string, hosts: readonly string[]): UserRef | null {
  let best: { time: number; id: string; user: UserRef } | null = null;
  for (const host of hosts) {
    const p = table.hostEntries().get(host)?.presences.get(userKey);
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

export function totals(table: PresenceTable): Totals {
  return {
    sessions: table.openSessions,
    connections: table.openConnections,
    users: table.userEntries().size,
    hosts: table.hostsActive(),
    apps: table.appEntries().size,
  };
}

/** Per host with something open, sorted by host. */
export function hostCounts(table: PresenceTable): HostCount[] {
  const out: HostCount[] = [];
  for (const [host, h] of table.hostEntries()) {
    if (h.users === 0) continue;
    out.push({ host, node: h.node, sessions: h.sessions, connections: h.connections, users: h.users });
  }
  return out.sort((a, b) => compareText(a.host, b.host));
}

/** Per app with a connection open, most connections first. */
export function appCounts(table: PresenceTable): AppCount[] {
  const out: AppCount[] = [];
  for (const [appId, a] of table.appEntries())
    out.push({ appId, connections: a.connections, users: a.users.size });
  return out.sort((a, b) => b.connections - a.connections || compareText(a.appId, b.appId));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
