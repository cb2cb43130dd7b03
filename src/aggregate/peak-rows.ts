import type { PeakRow } from './types.js';

/**
 * Peak distinct users and sessions per bucket from [user, start, end|null] rows. Each user's
 * intervals are merged first (overlapping or touching), so a user counts once; then one sweep
 * over the start (+1) and end (−1) edges in time order, ends before starts at the same instant
 * (intervals are half-open). A bucket's peak is the count at its start or after any edge in it.
 */
export function peakRows(
  rows: readonly (readonly [string, number, number | null])[],
  bounds: readonly number[],
): PeakRow[] {
  const from = bounds[0] ?? 0;
  const to = bounds[bounds.length - 1] ?? 0;
  const byUser = new Map<string, [number, number][]>();
  const sessionEdges: [number, number][] = [];
  for (const [user, start, end] of rows) {
    const s = Math.max(start, from);
    const e = Math.min(end ?? to, to);
    if (e <= s) continue;
    let list = byUser.get(user);
    if (list === undefined) {
      list = [];
      byUser.set(user, list);
    }
    list.push([s, e]);
    sessionEdges.push([s, 1], [e, -1]);
  }
  const userEdges: [number, number][] = [];
  for (const list of byUser.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let [cs, ce] = list[0] ?? [0, 0];
    for (let i = 1; i < list.length; i++) {
      const [s, e] = list[i] ?? [0, 0];
      if (s <= ce) {
        ce = Math.max(ce, e);
      } else {
        userEdges.push([cs, 1], [ce, -1]);
        cs = s;
        ce = e;
      }
    }
    if (list.length > 0) userEdges.push([cs, 1], [ce, -1]);
  }
  const users = sweep(userEdges, bounds);
  const sessions = sweep(sessionEdges, bounds);
  return users.map((u, i) => ({
    start: u.start,
    peakUsers: u.peak,
    peakAt: u.at,
    peakSessions: sessions[i]?.peak ?? 0,
  }));
}

function sweep(
  edges: [number, number][],
  bounds: readonly number[],
): { start: number; peak: number; at: number }[] {
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: { start: number; peak: number; at: number }[] = [];
  let cur = 0;
  let i = 0;
  for (let b = 0; b + 1 < bounds.length; b++) {
    const start = bounds[b] ?? 0;
    const end = bounds[b + 1] ?? 0;
    for (; i < edges.length && (edges[i]?.[0] ?? Infinity) <= start; i++) cur += edges[i]?.[1] ?? 0;
    let peak = cur;
    let at = start;
    for (; i < edges.length && (edges[i]?.[0] ?? Infinity) < end; i++) {
      const edge = edges[i];
      if (edge === undefined) break;
      cur += edge[1];
      if (cur > peak) {
        peak = cur;
        at = edge[0];
      }
    }
    out.push({ start, peak, at });
  }
  return out;
}
