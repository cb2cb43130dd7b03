import type { DatabaseSync } from 'node:sqlite';
import { inTransaction, pragma } from './sqlite.js';

/**
 * Schema migrations, in order; `PRAGMA user_version` is the number applied. Append, never edit:
 * a database written by a newer program (a higher user_version) is refused.
 *
 * Times are epoch ms (INTEGER). `start_at`/`end_at` are a half-open interval [start, end);
 * `end_at` NULL means still open. Interval ids are the CloudEvents ids of the opening events.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    node TEXT NOT NULL,
    user_key TEXT NOT NULL,
    directory TEXT NOT NULL,
    user_id TEXT NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER,
    end_id TEXT,
    end_reason TEXT
  );
  CREATE INDEX sessions_start ON sessions (start_at);
  CREATE INDEX sessions_open ON sessions (start_at) WHERE end_at IS NULL;
  CREATE INDEX sessions_end ON sessions (end_at) WHERE end_at IS NOT NULL;
  CREATE INDEX sessions_user ON sessions (user_key, start_at);

  CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    node TEXT NOT NULL,
    user_key TEXT NOT NULL,
    directory TEXT NOT NULL,
    user_id TEXT NOT NULL,
    app_id TEXT,
    start_at INTEGER NOT NULL,
    end_at INTEGER,
    end_id TEXT,
    end_reason TEXT
  );
  CREATE INDEX connections_start ON connections (start_at);
  CREATE INDEX connections_open ON connections (start_at) WHERE end_at IS NULL;
  CREATE INDEX connections_end ON connections (end_at) WHERE end_at IS NOT NULL;
  CREATE INDEX connections_user ON connections (user_key, start_at);

  CREATE TABLE logins (
    host TEXT NOT NULL,
    minute INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (host, minute)
  ) WITHOUT ROWID;
  CREATE INDEX logins_minute ON logins (minute);

  CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL,
    status TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    key TEXT NOT NULL,
    host TEXT NOT NULL,
    node TEXT NOT NULL,
    message TEXT NOT NULL,
    time INTEGER NOT NULL,
    firing_since INTEGER NOT NULL,
    notification INTEGER NOT NULL
  );
  CREATE INDEX alerts_time ON alerts (time);
  CREATE INDEX alerts_alert ON alerts (alert_id, time);

  -- Longest closed interval per table: bounds how far back an "open at t" query must look.
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO meta (key, value) VALUES ('max_session_ms', 0), ('max_connection_ms', 0);
  `,
  // 2: an alert's explanation (the rule's description, its conditions as JSON), for the page.
  `
  ALTER TABLE alerts ADD COLUMN description TEXT NOT NULL DEFAULT '';
  ALTER TABLE alerts ADD COLUMN conditions TEXT NOT NULL DEFAULT '[]';
  `,
  // 3: alert notices to forward to receivers.
  `
  -- Alert notices to forward, one row per (receiver, notice), written in the same transaction
  -- as the notice's alerts row (receivers/delivery-store.ts). seq orders each receiver's queue:
  -- a new rowid is above every row there is, which is all the order needs.
  CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY,
    receiver TEXT NOT NULL,
    notice_id TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    status TEXT NOT NULL,
    notice TEXT NOT NULL,
    state TEXT NOT NULL,
    queued_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    done_at INTEGER,
    last_error TEXT,
    UNIQUE (receiver, notice_id)
  );
  CREATE INDEX deliveries_pending ON deliveries (receiver, seq) WHERE state = 'pending';
  CREATE INDEX deliveries_alert ON deliveries (receiver, alert_id);
  CREATE INDEX deliveries_done ON deliveries (done_at) WHERE state != 'pending';
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies the migrations the database has not had, each in its own transaction. */
export function migrate(db: DatabaseSync): void {
  const version = pragma(db, 'user_version') as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `history database schema version ${version} is newer than this program's (${MIGRATIONS.length}); refusing to open it`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    const sql = MIGRATIONS[v] ?? '';
    inTransaction(db, () => {
      db.exec(sql);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}
