import { existsSync, renameSync } from 'node:fs';
import { HistoryStore } from './history-store.js';

/**
 * Opening the history at start, whatever a crash, a full disk or a bad copy left in the file.
 * A file SQLite calls corrupt or not a database (or whose quick check finds damage) would stop
 * every start, or fail later at the first commit and then acknowledge nothing for good. It is
 * set aside instead, `history.sqlite.bad-<ms>` (with its `-wal` and `-shm`, for a look later),
 * a new one is created, and the streams are marked to be read again from their first message:
 * the history is rebuilt from what the sidecars' streams still keep. Any other failure (no
 * permission, no room) is not the file's fault and is thrown, naming it.
 */

export interface OpenedHistory {
  readonly history: HistoryStore;
  /** Null when the file was sound (or new). */
  readonly setAside: { readonly problem: string; readonly movedTo: readonly string[] } | null;
}

/** SQLite's primary result codes for a damaged file. */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

export function openHistory(path: string, now: number, streams: readonly string[]): OpenedHistory {
  const problem = damage(path);
  if (problem === null) return { history: new HistoryStore(path), setAside: null };
  const movedTo: string[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    const from = `${path}${suffix}`;
    if (!existsSync(from)) continue;
    const to = `${path}.bad-${now}${suffix}`;
    renameSync(from, to);
    movedTo.push(to);
  }
  const history = new HistoryStore(path);
  history.markReplay(streams);
  return { history, setAside: { problem, movedTo } };
}

/** What is wrong with the file, or null when it opens and passes the quick check. */
function damage(path: string): string | null {
  if (!existsSync(path)) return null;
  let store: HistoryStore | null = null;
  try {
    store = new HistoryStore(path);
    const problems = store.integrityProblems();
    return problems.length === 0 ? null : problems.slice(0, 3).join('; ');
  } catch (error) {
    const code = (error as { errcode?: unknown }).errcode;
    const primary = typeof code === 'number' ? code & 0xff : -1;
    if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB)
      return error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    store?.close();
  }
}
