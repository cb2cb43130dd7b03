/**
 * When datagrams are due, as pure arithmetic on elapsed time; the sender only asks and waits.
 * Pacing is by absolute schedule, not by sleeping a fixed interval per datagram: timer jitter
 * and slow batches then never accumulate into a lower rate than asked for, a late sender simply
 * finds more datagrams due and catches up.
 */
export interface Pacing {
  /** How many datagrams beyond the `sent` already sent are due `elapsedMs` after the start. */
  due(elapsedMs: number, sent: number): number;
  /** Milliseconds after the start at which datagram number `sent` (0-based) becomes due. */
  dueAtMs(sent: number): number;
}

/**
 * `rate` datagrams per second, evenly spaced: datagram k (0-based) is due at (k + 1) / rate
 * seconds, so `total` datagrams take total / rate seconds. Rate 0 means no pacing: everything is
 * due at once.
 */
export function ratePacing(rate: number, total: number): Pacing {
  if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`rate must be >= 0 (got ${rate})`);
  return {
    due(elapsedMs, sent) {
      if (rate === 0) return Math.max(0, total - sent);
      const allowed = Math.min(total, Math.floor((Math.max(0, elapsedMs) * rate) / 1000));
      return Math.max(0, allowed - sent);
    },
    dueAtMs(sent) {
      return rate === 0 ? 0 : ((sent + 1) * 1000) / rate;
    },
  };
}

/** A fixed schedule: `offsetsMs[k]` is when datagram k is due; offsets must not decrease. */
export function schedulePacing(offsetsMs: readonly number[]): Pacing {
  return {
    due(elapsedMs, sent) {
      // Binary search for the first offset still in the future: O(log n) even when a slow
      // consumer lets thousands fall due at once.
      let low = Math.max(0, sent);
      let high = offsetsMs.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((offsetsMs[mid] ?? Infinity) <= elapsedMs) low = mid + 1;
        else high = mid;
      }
      return Math.max(0, low - sent);
    },
    dueAtMs(sent) {
      return offsetsMs[sent] ?? Infinity;
    },
  };
}

/** How many more datagrams are due at `now` for a run at `rate` per second that began at `startedAt`. */
export function dueCount(
  rate: number,
  startedAt: number,
  now: number,
  sentSoFar: number,
  total: number,
): number {
  return ratePacing(rate, total).due(now - startedAt, sentSoFar);
}
