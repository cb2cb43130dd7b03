import type { DatabaseSync } from 'node:sqlite';
import { type Statement, statement } from './sqlite.js';

/** The history store's fixed statements, prepared once when it opens (the filtered queries are cached apart). */
export function prepareStatements(db: DatabaseSync) {
  const insertInterval = (table: string, extra: string): Statement =>
    statement(
      db,
      `INSERT OR IGNORE INTO ${table}
      (id, host, node, user_key, directory, user_id, start_at${extra === '' ? '' : `, ${extra}`})
      VALUES (@id, @host, @node, @user_key, @directory, @user_id, @start_at${extra === '' ? '' : `, @${extra}`})`,
    );
  const close = (table: string): Statement =>
    statement(
      db,
      `UPDATE ${table} SET end_at = @end_at, end_id = @end_id, end_reason = @end_reason
      WHERE id = @id AND (end_at IS NOT @end_at OR end_id IS NOT @end_id OR end_reason IS NOT @end_reason)
      RETURNING start_at`,
    );
  const reopen = (table: string): Statement =>
    statement(
      db,
      `UPDATE ${table} SET end_at = NULL, end_id = NULL, end_reason = NULL
      WHERE id = @id AND end_at IS NOT NULL`,
    );
  const pruneIntervals = (table: string): Statement =>
    statement(
      db,
      `DELETE FROM ${table} WHERE id IN
      (SELECT id FROM ${table} WHERE end_at < @cutoff LIMIT @limit)`,
    );
  const openIntervals = (table: string): Statement =>
    statement(db, `SELECT * FROM ${table} WHERE end_at IS NULL ORDER BY start_at, id`);
  return {
    insertSession: insertInterval('sessions', ''),
    insertConnection: insertInterval('connections', 'app_id'),
    closeSession: close('sessions'),
    closeConnection: close('connections'),
    reopenSession: reopen('sessions'),
    reopenConnection: reopen('connections'),
    countLogin: statement(
      db,
      `INSERT INTO logins (host, minute, count) VALUES (@host, @minute, 1)
      ON CONFLICT (host, minute) DO UPDATE SET count = count + 1`,
    ),
    insertAlert: statement(
      db,
      `INSERT OR IGNORE INTO alerts
      (id, alert_id, status, rule, severity, key, host, node, message, time, firing_since, notification,
        description, conditions)
      VALUES (@id, @alert_id, @status, @rule, @severity, @key, @host, @node, @message, @time, @firing_since,
        @notification, @description, @conditions)`,
    ),
    raiseMeta: statement(db, `UPDATE meta SET value = @value WHERE key = @key AND value < @value`),
    readMeta: statement(db, `SELECT value FROM meta WHERE key = @key`),
    pruneSessions: pruneIntervals('sessions'),
    pruneConnections: pruneIntervals('connections'),
    pruneLogins: statement(
      db,
      `DELETE FROM logins WHERE (host, minute) IN
      (SELECT host, minute FROM logins WHERE minute < @cutoff LIMIT @limit)`,
    ),
    pruneAlerts: statement(
      db,
      `DELETE FROM alerts WHERE id IN
      (SELECT id FROM alerts WHERE time < @cutoff LIMIT @limit)`,
    ),
    openSessions: openIntervals('sessions'),
    openConnections: openIntervals('connections'),
    firingAlerts: statement(
      db,
      `SELECT a.* FROM alerts a
      WHERE a.status = 'firing' AND a.time >= @since
        AND NOT EXISTS (SELECT 1 FROM alerts r WHERE r.alert_id = a.alert_id AND r.status = 'resolved')
        AND NOT EXISTS (SELECT 1 FROM alerts b WHERE b.alert_id = a.alert_id AND b.status = 'firing'
          AND (b.notification > a.notification OR (b.notification = a.notification AND b.id > a.id)))
      ORDER BY a.time`,
    ),
    recentIds: statement(
      db,
      `
      SELECT id FROM sessions WHERE start_at >= @since
      UNION ALL SELECT end_id FROM sessions WHERE end_at >= @since AND end_id IS NOT NULL
      UNION ALL SELECT id FROM connections WHERE start_at >= @since
      UNION ALL SELECT end_id FROM connections WHERE end_at >= @since AND end_id IS NOT NULL
      UNION ALL SELECT id FROM alerts WHERE time >= @since`,
      'arrays',
    ),
  };
}

export type HistoryStatements = ReturnType<typeof prepareStatements>;
