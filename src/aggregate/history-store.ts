import { userKeyOf } from '../core/events.js';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { UserRef } from '../core/events.js';
import { storedConditionsOf } from '../contract/decode-details.js';
import { migrate } from './history-schema.js';
import { type HistoryStatements, prepareStatements } from './history-statements.js';
import { peakRows } from './peak-rows.js';
import { rowsChanged, inTransaction, openDatabase, pragma, statement, type Statement } from './sqlite.js';
import { bucketBounds } from './buckets.js';
import {
  type AlertRecord,
  type ConnectionEndReason,
  type ConnectionInterval,
  type History,
  type AlertsQuery,
  type LoginsQuery,
  type LoginRow,
  type OpenInterval,
  parseUserRef,
  type PeaksQuery,
  type PeakRow,
  type PruneResult,
  type RestoreState,
  type Retention,
  type SessionEndReason,
  type SessionEntry,
  type SessionAtFilter,
  type SessionInterval,
  type TimeRange,
  type ViewChange,
} from './types.js';

/** Rows deleted per statement when pruning, so writers are never blocked for long. */
const PRUNE_CHUNK = 5000;
const MINUTE = 60_000;

export interface HistoryStoreOptions {
  /** How long a statement waits for a lock held by another connection. Default 5 s. */
  readonly busyTimeoutMs?: number;
}

/** What one record() call wrote; changes that found nothing to do (a repeat, an unknown id) are skipped. */
export interface RecordResult {
  readonly written: number;
  readonly skipped: number;
}

type Row = Record<string, unknown>;
type Params = Record<string, SQLInputValue>;

interface IntervalTable {
  readonly name: 'sessions' | 'connections';
  readonly metaKey: 'max_session_ms' | 'max_connection_ms';
}
const SESSIONS: IntervalTable = { name: 'sessions', metaKey: 'max_session_ms' };
const CONNECTIONS: IntervalTable = { name: 'connections', metaKey: 'max_connection_ms' };

/**
 * The history in an embedded SQLite database (node:sqlite, synchronous): session and
 * connection intervals, log-ins per minute per host, alert notices.
 *
 * Writes: record(changes) applies the view's changes in one transaction (call it with a batch,
 * e.g. every 100 ms or 1,000 changes). Every write is idempotent: an opened interval is
 * inserted only if its id is new (and only then counts a log-in), an end is set only if it
 * differs, an alert notice is inserted once per message id. So recording a batch twice (a retry
 * after a crash) writes once, on top of the view already returning no changes for a duplicate.
 *
 * Durability: WAL mode with synchronous=NORMAL: a crash of the process loses nothing committed;
 * a power cut may lose the last transactions, never corrupts.
 *
 * Reads: "open at t" is start_at <= t < end_at (or end_at NULL). Closed intervals are found
 * through the start index in [t − longest closed interval, t], open ones through a partial
 * index, so a query reads the intervals of about one longest-session span, not the whole table.
 *
 * Just over 500 lines, on purpose: the prepared statements, the writes that keep them idempotent
 * and the reads that rely on the same indexes belong together; the schema (history-schema.ts)
 * and the peak arithmetic (peak-rows.ts) live apart.
 */
export class HistoryStore implements History {
  private readonly db: DatabaseSync;
  private readonly stmts: HistoryStatements;
  private readonly queries = new Map<string, Statement>();
  private readonly recordTx: (changes: readonly ViewChange[]) => RecordResult;
  private closed = false;
  private firstRecorded: ((alert: AlertRecord) => void) | null = null;

  /** Opens (creating and migrating if needed) the database at `path`, or ':memory:'. */
  constructor(path: string, options: HistoryStoreOptions = {}) {
    this.db = openDatabase(path, options.busyTimeoutMs ?? 5000);
    try {
      pragma(this.db, 'journal_mode = WAL');
      pragma(this.db, 'synchronous = NORMAL');
      migrate(this.db);
      this.stmts = prepareStatements(this.db);
      this.recordTx = (changes) => inTransaction(this.db, () => this.write(changes));
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  get schemaVersion(): number {
    return pragma(this.db, 'user_version') as number;
  }

  /** The journal mode in effect: 'wal' for a file, 'memory' for ':memory:'. */
  get journalMode(): string {
    return String(pragma(this.db, 'journal_mode'));
  }

  /** The connection, for a store whose rows must be written in record()'s transactions (alert deliveries). */
  get connection(): DatabaseSync {
    return this.db;
  }

  /**
   * Called inside record()'s transaction for each alert notice recorded for the first time, so
   * what it writes commits (or rolls back) with the notice. It must not throw for a notice it
   * does not want; a throw rolls the whole batch back and the folder retries it.
   */
  onFirstRecord(fn: (alert: AlertRecord) => void): void {
    this.firstRecorded = fn;
  }

  // ---- writes -------------------------------------------------------------------------------

  record(changes: readonly ViewChange[]): RecordResult {
    if (changes.length === 0) return { written: 0, skipped: 0 };
    return this.recordTx(changes);
  }

  private write(changes: readonly ViewChange[]): RecordResult {
    const s = this.stmts;
    let written = 0;
    let skipped = 0;
    let maxSession = 0;
    let maxConnection = 0;
    for (const c of changes) {
      let n = 0;
      switch (c.kind) {
        case 'session.opened':
          n = rowsChanged(s.insertSession.run({ ...intervalParams(c), id: c.id }));
          if (n > 0) s.countLogin.run({ host: c.host, minute: Math.floor(c.start / MINUTE) * MINUTE });
          break;
        case 'connection.opened':
          n = rowsChanged(s.insertConnection.run({ ...intervalParams(c), id: c.id, app_id: c.appId }));
          break;
        case 'session.closed':
        case 'connection.closed': {
          const stmt = c.kind === 'session.closed' ? s.closeSession : s.closeConnection;
          const row = stmt.get({ id: c.id, end_at: c.end, end_id: c.endId, end_reason: c.reason }) as
            { start_at: number } | undefined;
          if (row !== undefined) {
            n = 1;
            const span = c.end - row.start_at;
            if (c.kind === 'session.closed') maxSession = Math.max(maxSession, span);
            else maxConnection = Math.max(maxConnection, span);
          }
          break;
        }
        case 'session.reopened':
          n = rowsChanged(s.reopenSession.run({ id: c.id }));
          break;
        case 'connection.reopened':
          n = rowsChanged(s.reopenConnection.run({ id: c.id }));
          break;
        case 'alert':
          n = rowsChanged(
            s.insertAlert.run({
              id: c.id,
              alert_id: c.alertId,
              status: c.status,
              rule: c.rule,
              severity: c.severity,
              key: c.key,
              host: c.host,
              node: c.node,
              message: c.message,
              time: c.time,
              firing_since: c.firingSince,
              notification: c.notification,
              description: c.description,
              conditions: JSON.stringify(c.conditions),
            }),
          );
          if (n > 0) this.firstRecorded?.(c);
          break;
      }
      if (n > 0) written += 1;
      else skipped += 1;
    }
    if (maxSession > 0) s.raiseMeta.run({ key: SESSIONS.metaKey, value: maxSession });
    if (maxConnection > 0) s.raiseMeta.run({ key: CONNECTIONS.metaKey, value: maxConnection });
    return { written, skipped };
  }

  /**
   * Deletes closed intervals that ended, log-in minutes and alert notices older than
   * `now − retention` (per kind, or one number for all). Open intervals are kept whatever
   * their age. Deletes in chunks, each its own transaction.
   */
  prune(now: number, retention: Retention): PruneResult {
    const keep =
      typeof retention === 'number'
        ? { sessions: retention, connections: retention, logins: retention, alerts: retention }
        : retention;
    const s = this.stmts;
    const chunked = (stmt: Statement, ms: number | undefined): number => {
      if (ms === undefined) return 0;
      let total = 0;
      for (;;) {
        const n = rowsChanged(stmt.run({ cutoff: now - ms, limit: PRUNE_CHUNK }));
        total += n;
        if (n < PRUNE_CHUNK) return total;
      }
    };
    return {
      sessions: chunked(s.pruneSessions, keep.sessions),
      connections: chunked(s.pruneConnections, keep.connections),
      logins: chunked(s.pruneLogins, keep.logins),
      alerts: chunked(s.pruneAlerts, keep.alerts),
    };
  }

  /** What SQLite's quick check finds wrong (empty when the file is sound); throws on a file it cannot read at all. */
  integrityProblems(): string[] {
    const rows = this.db.prepare('PRAGMA quick_check').all();
    const found = rows.map((row) => String(Object.values(row)[0]));
    return found.length === 1 && found[0] === 'ok' ? [] : found;
  }

  /**
   * Streams to read again from their first message: set when this history replaced one that was
   * set aside, cleared per stream once its consumer was reset (a crash in between resets again).
   */
  markReplay(streams: readonly string[]): void {
    const insert = this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, 1)`);
    for (const stream of streams) insert.run(`replay:${stream}`);
  }

  replayPending(stream: string): boolean {
    return this.db.prepare(`SELECT 1 FROM meta WHERE key = ?`).get(`replay:${stream}`) !== undefined;
  }

  replayDone(stream: string): void {
    this.db.prepare(`DELETE FROM meta WHERE key = ?`).run(`replay:${stream}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // ---- reads --------------------------------------------------------------------------------

  /**
   * One entry per session open at `t` (start <= t < end), oldest first: the body of
   * `GET /api/sessions?at=`. `app`: only sessions of users who had a connection to that app
   * open at `t` on the same host.
   */
  sessionsAt(t: number, filter: SessionAtFilter = {}): SessionEntry[] {
    const params: Params = { t, span: this.longest(SESSIONS) };
    const where: string[] = [];
    if (filter.host !== undefined) {
      where.push('host = @host COLLATE NOCASE');
      params.host = filter.host;
    }
    if (filter.user !== undefined) {
      const user = parseUserRef(filter.user);
      if (user === null) return [];
      where.push('user_key = @user');
      params.user = userKeyOf(user);
    }
    if (filter.app !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM connections c WHERE c.user_key = s.user_key AND c.host = s.host
        AND c.app_id = @app AND c.start_at <= @t AND (c.end_at IS NULL OR c.end_at > @t))`);
      params.app = filter.app.toLowerCase();
    }
    const extra = where.map((w) => ` AND ${w}`).join('');
    const sql = `
      SELECT id, host, directory, user_id, start_at, user_key FROM sessions s
        WHERE end_at IS NULL AND start_at <= @t${extra}
      UNION ALL
      SELECT id, host, directory, user_id, start_at, user_key FROM sessions s
        WHERE start_at <= @t AND start_at >= @t - @span AND end_at > @t${extra}
      ORDER BY start_at, host, user_key, id`;
    const rows = this.query(sql).all(params) as {
      host: string;
      directory: string;
      user_id: string;
      start_at: number;
    }[];
    return rows.map((r) => ({
      host: r.host,
      user: { directory: r.directory, id: r.user_id },
      start: new Date(r.start_at).toISOString(),
    }));
  }

  /**
   * Peak concurrency per hour or day over the whole buckets overlapping [from, to), computed
   * from the intervals: a user counts once however many sessions (on however many hosts) they
   * hold; an interval [start, end) that ends when another begins does not overlap it. Open
   * intervals count as open until `to`. Buckets in UTC unless `timeZone` names an IANA zone.
   */
  peaks(query: PeaksQuery): PeakRow[] {
    const bounds = bucketBounds(query.from, query.to, query.bucket, query.timeZone);
    const from = bounds[0] ?? query.from;
    const to = bounds[bounds.length - 1] ?? query.to;
    const params: Params = { from, to, span: this.longest(SESSIONS) };
    let hostWhere = '';
    if (query.host !== undefined) {
      hostWhere = ' AND host = @host COLLATE NOCASE';
      params.host = query.host;
    }
    const sql = `
      SELECT user_key, start_at, end_at FROM sessions WHERE end_at IS NULL AND start_at < @to${hostWhere}
      UNION ALL
      SELECT user_key, start_at, end_at FROM sessions
        WHERE start_at < @to AND start_at >= @from - @span AND end_at > @from${hostWhere}`;
    const rows = this.query(sql, 'arrays').all(params) as unknown as [string, number, number | null][];
    return peakRows(rows, bounds);
  }

  /** Log-ins (session starts) per minute or hour over the whole buckets overlapping [from, to). */
  loginsPer(query: LoginsQuery): LoginRow[] {
    const bounds = bucketBounds(query.from, query.to, query.bucket, query.timeZone);
    const params: Params = { from: bounds[0] ?? query.from, to: bounds[bounds.length - 1] ?? query.to };
    let hostWhere = '';
    if (query.host !== undefined) {
      hostWhere = ' AND host = @host COLLATE NOCASE';
      params.host = query.host;
    }
    const sql = `SELECT minute, SUM(count) FROM logins WHERE minute >= @from AND minute < @to${hostWhere}
      GROUP BY minute ORDER BY minute`;
    const rows = this.query(sql, 'arrays').all(params) as unknown as [number, number][];
    const out: LoginRow[] = [];
    let i = 0;
    for (let b = 0; b + 1 < bounds.length; b++) {
      const start = bounds[b] ?? 0;
      const end = bounds[b + 1] ?? 0;
      let logins = 0;
      for (; i < rows.length && (rows[i]?.[0] ?? Infinity) < end; i++) logins += rows[i]?.[1] ?? 0;
      out.push({ start, logins });
    }
    return out;
  }

  /** Sessions of one user (`DIR\id`, case-insensitive) overlapping [from, to), oldest first. */
  userSessions(user: string, range: TimeRange): SessionInterval[] {
    return this.userIntervals(SESSIONS, user, range).map((r) => ({
      id: r.id,
      host: r.host,
      node: r.node,
      user: { directory: r.directory, id: r.user_id },
      start: r.start_at,
      end: r.end_at,
      endReason: r.end_reason as SessionEndReason | null,
    }));
  }

  /** App connections of one user overlapping [from, to), oldest first. */
  userConnections(user: string, range: TimeRange): ConnectionInterval[] {
    return this.userIntervals(CONNECTIONS, user, range).map((r) => ({
      id: r.id,
      host: r.host,
      node: r.node,
      user: { directory: r.directory, id: r.user_id },
      appId: r.app_id ?? null,
      start: r.start_at,
      end: r.end_at,
      endReason: r.end_reason as ConnectionEndReason | null,
    }));
  }

  /** Alert notices with `time` in [from, to), newest first, at most `limit`. */
  alerts(query: AlertsQuery): AlertRecord[] {
    const params: Params = { from: query.from, to: query.to, limit: Math.max(0, Math.floor(query.limit)) };
    let hostWhere = '';
    if (query.host !== undefined) {
      hostWhere = ' AND host = @host COLLATE NOCASE';
      params.host = query.host;
    }
    const sql = `SELECT * FROM alerts WHERE time >= @from AND time < @to${hostWhere}
      ORDER BY time DESC, id DESC LIMIT @limit`;
    return (this.query(sql).all(params) as Row[]).map(alertOf);
  }

  /**
   * What a fresh view needs after a restart (ClusterView.restore): every open interval, the
   * latest notice of alerts still firing, and the ids of starts, ends and alert notices since
   * `since` (use now − the view's idHorizonMs), so redelivered messages are recognised.
   */
  restoreState(since: number): RestoreState {
    const s = this.stmts;
    const open = (stmt: Statement, connection: boolean): OpenInterval[] =>
      (stmt.all() as Row[]).map((r) => ({
        id: String(r.id),
        host: String(r.host),
        node: String(r.node),
        user: { directory: String(r.directory), id: String(r.user_id) },
        start: Number(r.start_at),
        appId: connection && typeof r.app_id === 'string' ? r.app_id : null,
      }));
    const seenIds = (s.recentIds.all({ since }) as unknown as [string][]).map((r) => r[0]);
    return {
      sessions: open(s.openSessions, false),
      connections: open(s.openConnections, true),
      firingAlerts: (s.firingAlerts.all({ since }) as Row[]).map(alertOf),
      seenIds,
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Longest closed interval recorded in a table (ms). */
  private longest(table: IntervalTable): number {
    const row = this.stmts.readMeta.get({ key: table.metaKey }) as { value: number } | undefined;
    return row?.value ?? 0;
  }

  private userIntervals(table: IntervalTable, user: string, range: TimeRange): IntervalRow[] {
    const ref = parseUserRef(user);
    if (ref === null) return [];
    const sql = `SELECT * FROM ${table.name} WHERE user_key = @user AND start_at < @to
      AND (end_at IS NULL OR end_at > @from) ORDER BY start_at, id`;
    return this.query(sql).all({ user: userKeyOf(ref), from: range.from, to: range.to }) as Row[] &
      IntervalRow[];
  }

  /** A prepared statement per distinct query text (a handful of filter combinations). */
  private query(sql: string, rows: 'objects' | 'arrays' = 'objects'): Statement {
    const cacheKey = `${rows}:${sql}`;
    let stmt = this.queries.get(cacheKey);
    if (stmt === undefined) {
      stmt = statement(this.db, sql, rows);
      this.queries.set(cacheKey, stmt);
    }
    return stmt;
  }
}

interface IntervalRow {
  id: string;
  host: string;
  node: string;
  directory: string;
  user_id: string;
  app_id?: string | null;
  start_at: number;
  end_at: number | null;
  end_reason: string | null;
}

function intervalParams(c: { host: string; node: string; user: UserRef; start: number }): Params {
  return {
    host: c.host,
    node: c.node,
    user_key: userKeyOf(c.user),
    directory: c.user.directory,
    user_id: c.user.id,
    start_at: c.start,
  };
}

function alertOf(r: Row): AlertRecord {
  return {
    id: String(r.id),
    alertId: String(r.alert_id),
    status: r.status === 'resolved' ? 'resolved' : 'firing',
    rule: String(r.rule),
    severity: String(r.severity),
    key: String(r.key),
    host: String(r.host),
    node: String(r.node),
    message: String(r.message),
    time: Number(r.time),
    firingSince: Number(r.firing_since),
    notification: Number(r.notification),
    description: typeof r.description === 'string' ? r.description : '',
    conditions: storedConditionsOf(typeof r.conditions === 'string' ? parseJson(r.conditions) : []),
  };
}

/** The stored conditions were written by this program; a damaged cell reads as none. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return [];
  }
}
