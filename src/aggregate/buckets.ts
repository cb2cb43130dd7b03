/**
 * Time buckets for history queries: minutes, hours or days, in UTC or in an IANA time zone.
 *
 * `bucketBounds(from, to, unit, zone)` returns the boundaries b0 < b1 < … < bn (epoch ms) of the
 * whole buckets that overlap [from, to): bucket i is [b_i, b_{i+1}). In a zone, an hour bucket
 * ends where the local hour or the UTC offset changes (so the repeated hour when clocks go back
 * is two buckets, and the skipped hour when they go forward is none); a day bucket ends at local
 * midnight (23 or 25 hours long on the days clocks change).
 */

export type BucketUnit = 'minute' | 'hour' | 'day';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const QUARTER = 15 * MINUTE;
const UNIT_MS: Readonly<Record<BucketUnit, number>> = { minute: MINUTE, hour: HOUR, day: DAY };

/** Buckets one query may ask for; more is a RangeError (ask for a coarser bucket). */
export const MAX_BUCKETS = 100_000;

export function bucketBounds(from: number, to: number, unit: BucketUnit, timeZone?: string): number[] {
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    throw new RangeError(`bucket range must have from < to (got ${from} .. ${to})`);
  }
  const step = UNIT_MS[unit];
  if (Math.ceil((to - from) / step) + 1 > MAX_BUCKETS) {
    throw new RangeError(`more than ${MAX_BUCKETS} ${unit} buckets between ${iso(from)} and ${iso(to)}`);
  }
  // Every zone's offset has been a whole number of minutes since 1972: minutes are zone-free.
  if (unit === 'minute' || timeZone === undefined || timeZone === 'UTC' || timeZone === 'Etc/UTC') {
    const bounds: number[] = [];
    for (let b = Math.floor(from / step) * step; ; b += step) {
      bounds.push(b);
      if (b >= to) break;
    }
    return bounds;
  }
  return zonedBounds(from, to, unit, timeZone);
}

interface Local {
  readonly day: string;
  readonly hour: number;
  readonly offset: number;
}

/**
 * Local bucket edges fall on UTC quarter hours (every offset and every transition is a multiple
 * of 15 minutes), so scanning quarter hours and marking where the local day (or hour, or the
 * offset) changes finds them all; about 35,000 Intl calls for a year of hour buckets.
 */
function zonedBounds(from: number, to: number, unit: 'hour' | 'day', timeZone: string): number[] {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const local = (t: number): Local => {
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const { year = 0, month = 1, day = 1, hour = 0, minute = 0 } = parts;
    const wall = Date.UTC(year, month - 1, day, hour, minute);
    return { day: `${year}-${month}-${day}`, hour, offset: wall - Math.floor(t / MINUTE) * MINUTE };
  };
  const edge = (a: Local, b: Local): boolean =>
    a.day !== b.day || (unit === 'hour' && (a.hour !== b.hour || a.offset !== b.offset));
  // Start early enough that the bucket holding `from` begins inside the scan (a local day can be 25 h).
  let t = Math.floor((from - (unit === 'day' ? 27 * HOUR : 2 * HOUR)) / QUARTER) * QUARTER;
  let prev = local(t - QUARTER);
  const bounds: number[] = [];
  for (; ; t += QUARTER) {
    const cur = local(t);
    if (edge(prev, cur)) {
      if (t <= from) bounds.length = 0;
      bounds.push(t);
      if (t >= to) break;
    }
    prev = cur;
  }
  return bounds;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
