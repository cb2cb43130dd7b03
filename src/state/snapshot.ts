import { userKeyOf } from '../core/events.js';
import { ROW } from './bucketed-counts.js';

/**
 * The persisted form of LiveState: plain JSON data, versioned. Only primary data is stored —
 * presences and count series. Totals per user/host/app and the distinct-user indexes are
 * derived from them on restore, so a snapshot cannot hold totals that disagree with its parts.
 */
export interface LiveStateSnapshot {
  readonly version: 1;
  /** LiveState's latest `now` when the snapshot was taken (epoch ms). */
  readonly takenAt: number;
  /** Bucket width the series were counted with; series are dropped on restore if it changed. */
  readonly bucketMs: number;
  readonly presences: readonly SnapshotPresence[];
  readonly counts: {
    /** Series rows, flattened: `[bucket, start, stop, open, close, expired, bucket, ...]`. */
    readonly node: readonly number[];
    /** [key, series] in order of last activity, oldest first. User keys are lower-cased. */
    readonly users: readonly (readonly [string, readonly number[]])[];
    readonly hosts: readonly (readonly [string, readonly number[]])[];
    readonly apps: readonly (readonly [string, readonly number[]])[];
  };
  readonly stats: SnapshotStats;
}

export interface SnapshotPresence {
  readonly host: string;
  readonly directory: string;
  readonly id: string;
  readonly sessions: number;
  /** One entry per open connection: app id, or null for a connection without an app. */
  readonly apps: readonly (string | null)[];
  readonly lastActivityAt: number;
}

export interface KeysEvicted {
  /** (host, user) entries holding sessions/connections. */
  readonly presences: number;
  /** Per-app open-connection totals. */
  readonly appConnections: number;
  /** Connections dropped from a presence at its cap (taken to be lost closes). */
  readonly connections: number;
  /** Windowed-count series per user, host, app. */
  readonly userCounts: number;
  readonly hostCounts: number;
  readonly appCounts: number;
}

export interface SnapshotStats {
  readonly staleStops: number;
  readonly staleCloses: number;
  readonly expiredSessions: number;
  readonly keysEvicted: KeysEvicted;
}

const KEYS_EVICTED = [
  'presences',
  'appConnections',
  'connections',
  'userCounts',
  'hostCounts',
  'appCounts',
] as const;

/**
 * Checks that `value` has the shape of a LiveStateSnapshot and returns it typed. Throws a
 * TypeError naming the first offending path, e.g. `presences[3].sessions`.
 */
export function validateSnapshot(value: unknown): LiveStateSnapshot {
  const root = record(value, 'snapshot');
  if (root.version !== 1) {
    fail('version', `must be 1 (got ${describe(root.version)})`);
  }
  const takenAt = finite(root.takenAt, 'takenAt');
  if (typeof root.bucketMs !== 'number' || !Number.isFinite(root.bucketMs) || root.bucketMs <= 0) {
    fail('bucketMs', 'must be a positive number');
  }
  // Counting relies on buckets never going backwards: none may lie after the snapshot's time.
  const lastBucket = Math.floor(takenAt / root.bucketMs);
  const presences = array(root.presences, 'presences');
  const seen = new Set<string>();
  presences.forEach((item, i) => {
    const path = `presences[${i}]`;
    const p = record(item, path);
    const host = string(p.host, `${path}.host`);
    const directory = string(p.directory, `${path}.directory`);
    const id = string(p.id, `${path}.id`);
    count(p.sessions, `${path}.sessions`);
    array(p.apps, `${path}.apps`).forEach((app, j) => {
      if (app !== null && typeof app !== 'string') fail(`${path}.apps[${j}]`, 'must be a string or null');
    });
    finite(p.lastActivityAt, `${path}.lastActivityAt`);
    const key = `${host}\u0000${userKeyOf({ directory, id })}`;
    if (seen.has(key)) fail(path, `repeats host ${host} and user ${directory}\\${id}`);
    seen.add(key);
  });
  const counts = record(root.counts, 'counts');
  series(counts.node, 'counts.node', lastBucket);
  for (const name of ['users', 'hosts', 'apps'] as const) {
    const keys = new Set<string>();
    array(counts[name], `counts.${name}`).forEach((entry, i) => {
      const path = `counts.${name}[${i}]`;
      const pair = array(entry, path);
      if (pair.length !== 2) fail(path, 'must be a [key, series] pair');
      const key = string(pair[0], `${path}[0]`);
      if (keys.has(key)) fail(path, `repeats key ${JSON.stringify(key)}`);
      keys.add(key);
      series(pair[1], `${path}[1]`, lastBucket);
    });
  }
  const stats = record(root.stats, 'stats');
  count(stats.staleStops, 'stats.staleStops');
  count(stats.staleCloses, 'stats.staleCloses');
  count(stats.expiredSessions, 'stats.expiredSessions');
  const evicted = record(stats.keysEvicted, 'stats.keysEvicted');
  for (const name of KEYS_EVICTED) count(evicted[name], `stats.keysEvicted.${name}`);
  return value as LiveStateSnapshot;
}

function fail(path: string, problem: string): never {
  throw new TypeError(`invalid LiveState snapshot: ${path} ${problem}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, `must be an object (got ${describe(value)})`);
  }
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, `must be an array (got ${describe(value)})`);
  return value as readonly unknown[];
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `must be a string (got ${describe(value)})`);
  return value;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'must be a finite number');
  return value;
}

function count(value: unknown, path: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(path, 'must be a non-negative integer');
  }
}

/**
 * Rows of ROW numbers: an integer bucket, strictly increasing and not after `lastBucket`, then
 * non-negative counts.
 */
function series(value: unknown, path: string, lastBucket: number): void {
  const items = array(value, path);
  if (items.length % ROW !== 0) fail(path, `must hold rows of ${ROW} numbers (length ${items.length})`);
  let previous = -Infinity;
  for (let row = 0; row < items.length; row += ROW) {
    const bucket = items[row];
    if (typeof bucket !== 'number' || !Number.isSafeInteger(bucket) || bucket <= previous) {
      fail(`${path}[${row}]`, 'must be an integer bucket, greater than the previous row');
    }
    if (bucket > lastBucket) fail(`${path}[${row}]`, 'is a bucket after takenAt');
    previous = bucket;
    for (let s = 1; s < ROW; s++) count(items[row + s], `${path}[${row + s}]`);
  }
}
