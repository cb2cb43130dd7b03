import type { SidecarEventKind } from '../core/events.js';

/**
 * Sliding-window event counts kept as time buckets, never as lists of events.
 *
 * A series is a flat array of rows `[bucket, n(session.start), n(session.stop),
 * n(connection.open), n(connection.close), n(session.expired)]` with strictly increasing bucket
 * numbers (bucket = floor(epochMs / bucketMs)). Flat numbers instead of one object per row: no
 * per-row header, and V8 keeps small integers unboxed. Memory per key is therefore
 * O(non-empty buckets), and a row exists only for a bucket that had an event.
 */

/** Kinds in the order of their column in a row. */
export const COUNTED_KINDS = [
  'session.start',
  'session.stop',
  'connection.open',
  'connection.close',
  'session.expired',
] as const satisfies readonly SidecarEventKind[];

/** Column of each kind within a row, minus one (0-based after the bucket column). */
export const KIND_SLOT: Readonly<Record<SidecarEventKind, number>> = {
  'session.start': 0,
  'session.stop': 1,
  'connection.open': 2,
  'connection.close': 3,
  'session.expired': 4,
};

/** Numbers per row: the bucket plus one count per kind. */
export const ROW = 1 + COUNTED_KINDS.length;

export type Series = number[];

/** Never written to: addToSeries on an empty series always returns a new array. */
const EMPTY: Series = [];

/** Last bucket of a series; -Infinity when empty. */
export function lastBucket(series: readonly number[]): number {
  return series.length === 0 ? -Infinity : (series[series.length - ROW] ?? -Infinity);
}

/**
 * Counts one event of column `slot` in `bucket` and returns the series to keep: the same array
 * when the bucket is its last row, else a new one. Buckets arrive in non-decreasing order
 * (LiveState never lets time move backwards), so the bucket is either the last row or a new
 * one. A new row also drops leading rows older than `horizon`, so a series that keeps
 * receiving events never holds more than the window's buckets plus one.
 *
 * Why a new, exactly sized array rather than push: push grows the backing store by half plus
 * 16 slots, which for the typical one- or two-row series of a user is 2-3 times the data. A
 * row is appended at most once per bucket per key, so the copy is cheap.
 */
export function addToSeries(series: Series, bucket: number, slot: number, horizon: number): Series {
  const last = series.length - ROW;
  if (last >= 0 && series[last] === bucket) {
    series[last + 1 + slot] = (series[last + 1 + slot] ?? 0) + 1;
    return series;
  }
  const cut = leadingStale(series, horizon);
  const kept = series.length - cut;
  // new Array(n) allocates exactly n slots (holey until filled, which costs nothing here)
  const next = new Array<number>(kept + ROW);
  for (let i = 0; i < kept; i++) next[i] = series[cut + i] ?? 0;
  next[kept] = bucket;
  for (let s = 1; s < ROW; s++) next[kept + s] = 0;
  next[kept + 1 + slot] = 1;
  return next;
}

/** Number of leading numbers (whole rows) whose bucket is before `horizon`. */
function leadingStale(series: readonly number[], horizon: number): number {
  let cut = 0;
  while (cut < series.length && (series[cut] ?? Infinity) < horizon) cut += ROW;
  return cut;
}

/** Drops leading rows whose bucket is before `horizon`. */
export function pruneSeries(series: Series, horizon: number): void {
  const cut = leadingStale(series, horizon);
  if (cut > 0) series.splice(0, cut);
}

/**
 * Events in rows with bucket >= firstBucket, of column `slot` or of every kind when slot is null.
 * Walks from the newest row back, so the cost is the number of rows inside the window.
 */
export function countSeries(series: readonly number[], firstBucket: number, slot: number | null): number {
  let total = 0;
  for (let row = series.length - ROW; row >= 0; row -= ROW) {
    if ((series[row] ?? -Infinity) < firstBucket) break;
    if (slot === null) {
      for (let s = 1; s < ROW; s++) total += series[row + s] ?? 0;
    } else {
      total += series[row + 1 + slot] ?? 0;
    }
  }
  return total;
}

/** Newest bucket >= horizon with an event of column `slot` (any column when null), or null. */
export function lastBucketWith(
  series: readonly number[],
  slot: number | null,
  horizon: number,
): number | null {
  for (let row = series.length - ROW; row >= 0; row -= ROW) {
    const bucket = series[row] ?? -Infinity;
    if (bucket < horizon) return null;
    if (slot === null) {
      for (let s = 1; s < ROW; s++) if ((series[row + s] ?? 0) > 0) return bucket;
    } else if ((series[row + 1 + slot] ?? 0) > 0) {
      return bucket;
    }
  }
  return null;
}

/**
 * Series per key (user, host or app), bounded by `maxKeys`.
 *
 * Invariant: Map iteration order is the order of each series' last bucket, oldest first — a key
 * is moved to the end whenever it gets a new row. Hence stale keys are found at the front
 * (pruning costs O(keys removed + 1)) and the least recently active key is the first one
 * (eviction is O(1)). Eviction ignores whether the user holds sessions: a series only feeds
 * window counts, where the key with the oldest events matters least, and sessions and
 * connections live in SessionTable, which never gives them up for count pressure.
 */
export class KeyedCounts {
  private readonly series = new Map<string, Series>();
  /** Keys dropped because the map was full (not counting keys that merely aged out). */
  evicted = 0;

  constructor(
    private readonly maxKeys: number,
    /** Told about every key that leaves the map, evicted or aged out. */
    private readonly onRemove: (key: string) => void = () => undefined,
  ) {}

  get size(): number {
    return this.series.size;
  }

  add(key: string, bucket: number, slot: number, horizon: number): void {
    const series = this.series.get(key);
    if (series === undefined) {
      this.makeRoom();
      this.series.set(key, addToSeries(EMPTY, bucket, slot, horizon));
      return;
    }
    const next = addToSeries(series, bucket, slot, horizon);
    if (next !== series) {
      // A new row: move the key to the end to keep the map ordered by last bucket.
      this.series.delete(key);
      this.series.set(key, next);
    }
  }

  count(key: string, firstBucket: number, slot: number | null): number {
    const series = this.series.get(key);
    return series === undefined ? 0 : countSeries(series, firstBucket, slot);
  }

  /** Drops keys whose newest row is before `horizon`: they can never be counted again. */
  prune(horizon: number): void {
    for (const [key, series] of this.series) {
      if (lastBucket(series) >= horizon) break;
      this.series.delete(key);
      this.onRemove(key);
    }
  }

  /** Entries in map order (oldest activity first); the arrays are live, copy before handing out. */
  entries(): IterableIterator<[string, Series]> {
    return this.series.entries();
  }

  /** Restores a key; callers insert in order of last bucket so the map invariant holds. */
  restore(key: string, series: Series): void {
    if (this.series.has(key)) this.series.delete(key);
    else this.makeRoom();
    this.series.set(key, series);
  }

  private makeRoom(): void {
    while (this.series.size >= this.maxKeys) {
      const oldest = this.series.keys().next();
      if (oldest.done === true) return;
      this.series.delete(oldest.value);
      this.evicted += 1;
      this.onRemove(oldest.value);
    }
  }
}
