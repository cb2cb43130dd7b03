import { userKeyOf } from '../core/events.js';
import type { ConnectionEntry, ConnectionFilter } from './cluster-view.js';
import type { History, SessionAtFilter, SessionEntry, SessionFilter } from './types.js';
import { parseUserRef } from './types.js';
import { checkNames } from './param-text.js';

/**
 * `GET /api/sessions[?at=<ISO 8601>][&host=<host>][&user=<DIR\id>][&app=<app id>]` in one call: now from the
 * view, a past time from the history. The HTTP layer parses the query string with
 * parseSessionsQuery and answers with answerSessions' body (or a 400 with its error).
 */

export interface SessionsQuery {
  /** Epoch ms; absent = now. */
  readonly at?: number;
  readonly host?: string;
  /** `DIR\id`, case-insensitive. */
  readonly user?: string;
  /** Only sessions of users with a connection to this app (id, case-insensitive) open on the same host. */
  readonly app?: string;
}

/** The response body: `{"at": "<time>", "sessions": [{host, user: {directory, id}, start}, …]}`. */
export interface SessionsBody {
  readonly at: string;
  readonly sessions: readonly SessionEntry[];
}

export type ParseResult =
  { readonly ok: true; readonly query: SessionsQuery } | { readonly ok: false; readonly error: string };

const PARAMS = ['at', 'host', 'user', 'app'] as const;

/**
 * An ISO 8601 date-time with seconds optional, fraction optional, and a required `Z` or
 * `±HH:MM` offset (a time without one would mean whatever zone the server runs in).
 */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Epoch ms of an ISO 8601 date-time with an offset, or null. Checked field by field: Date.parse
 * alone would take 2026-02-30 for March 2nd.
 */
export function parseIsoTime(text: string): number | null {
  const m = ISO_TIME.exec(text);
  if (m === null) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = [
    m[1],
    m[2],
    m[3],
    m[4],
    m[5],
    m[6] ?? '0',
  ].map(Number);
  const fraction = Number(`0.${m[7] ?? '0'}`);
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const sign = m[9] === '-' ? -1 : 1;
  const offset = m[8] === 'Z' ? 0 : sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(fraction * 1000) - offset;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function parseSessionsQuery(params: URLSearchParams): ParseResult {
  const bad = checkNames(params, PARAMS);
  if (bad !== null) return { ok: false, error: bad };
  const query: { at?: number; host?: string; user?: string; app?: string } = {};
  const at = params.get('at');
  if (at !== null) {
    const ms = parseIsoTime(at);
    if (ms === null) {
      return {
        ok: false,
        error: `at: not an ISO 8601 time with an offset, e.g. 2026-11-30T08:00:00Z (got "${at}")`,
      };
    }
    query.at = ms;
  }
  const host = params.get('host');
  if (host !== null) {
    if (host === '') return { ok: false, error: 'host: must not be empty' };
    query.host = host;
  }
  const user = params.get('user');
  if (user !== null) {
    if (parseUserRef(user) === null)
      return { ok: false, error: `user: expected DIRECTORY\\userId (got "${user}")` };
    query.user = user;
  }
  const app = params.get('app');
  if (app !== null) {
    if (app === '')
      return {
        ok: false,
        error: 'app: must not be empty (an app id, e.g. e7af59a0-c243-480d-9571-08727551a66f)',
      };
    query.app = app;
  }
  return { ok: true, query };
}

export type AnswerResult =
  { readonly ok: true; readonly body: SessionsBody } | { readonly ok: false; readonly error: string };

/**
 * Answers a sessions query: without `at` from the view (now), with `at` from the history. Fails
 * only when `at` is asked for and there is no history.
 */
export function answerSessions(
  query: SessionsQuery,
  now: number,
  view: {
    sessionsNow(filter?: SessionFilter): SessionEntry[];
    connectionsNow(filter?: ConnectionFilter): ConnectionEntry[];
  },
  history: Pick<History, 'sessionsAt'> | null,
): AnswerResult {
  const filter: SessionAtFilter = { host: query.host, user: query.user, app: query.app };
  if (query.at === undefined) {
    let sessions = view.sessionsNow(filter);
    if (query.app !== undefined) {
      // The same rule as the history's: a user with a connection to the app open on that host.
      const using = new Set(
        view.connectionsNow(filter).map((c) => `${c.host.toLowerCase()}\u0000${userKeyOf(c.user)}`),
      );
      sessions = sessions.filter((s) => using.has(`${s.host.toLowerCase()}\u0000${userKeyOf(s.user)}`));
    }
    return { ok: true, body: { at: new Date(now).toISOString(), sessions } };
  }
  if (history === null) return { ok: false, error: 'at: no history is kept, so only now can be answered' };
  return {
    ok: true,
    body: { at: new Date(query.at).toISOString(), sessions: history.sessionsAt(query.at, filter) },
  };
}
