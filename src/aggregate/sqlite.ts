import { DatabaseSync, type StatementSync } from 'node:sqlite';

/**
 * The few things the history store needs from SQLite, on Node's built-in `node:sqlite` (no
 * native add-on, so one executable runs everywhere). Synchronous, like the store.
 *
 * Statements accept objects with more keys than the SQL names (the store builds one parameter
 * object per change kind), and a statement prepared for rows as arrays stays that way.
 */
export type Statement = StatementSync;

export function openDatabase(path: string, busyTimeoutMs: number): DatabaseSync {
  return new DatabaseSync(path, { timeout: busyTimeoutMs });
}

export function statement(db: DatabaseSync, sql: string, rows: 'objects' | 'arrays' = 'objects'): Statement {
  const stmt = db.prepare(sql);
  stmt.setAllowUnknownNamedParameters(true);
  if (rows === 'arrays') stmt.setReturnArrays(true);
  return stmt;
}

/** One pragma's value (`PRAGMA name`), or sets it when `name` holds `= value`. */
export function pragma(db: DatabaseSync, name: string): unknown {
  const row = db.prepare(`PRAGMA ${name}`).get();
  return row === undefined ? undefined : Object.values(row)[0];
}

/** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN');
  let result: T;
  try {
    result = fn();
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
  db.exec('COMMIT');
  return result;
}

/** Rows changed by a write, as a number (node:sqlite may report a bigint). */
export function rowsChanged(result: { readonly changes: number | bigint }): number {
  return Number(result.changes);
}
