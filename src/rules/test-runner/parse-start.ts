/**
 * A test's `start:`: an ISO 8601 date and time with its UTC offset. The offset is required so
 * that a test means the same instant on every machine; an invalid calendar date is refused
 * rather than rolled over (Date.UTC would turn Feb 30 into Mar 2).
 */
import { describeValue } from '../load/checks.js';

export const START_EXAMPLE = '2026-11-30T08:00:00+01:00';

const ISO_START =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Epoch ms of an ISO 8601 date and time with a UTC offset, or a problem. */
export function parseStart(value: unknown): { value: number } | { problem: string } {
  const wanted = `start must be a date and time with its UTC offset, e.g. ${START_EXAMPLE} (or Z for UTC)`;
  if (typeof value !== 'string') return { problem: `${wanted}, got ${describeValue(value)}` };
  const written = value.trim();
  const match = ISO_START.exec(written.replace(/^(\S+) (\S+)$/, '$1T$2'));
  if (match === null) {
    const noOffset = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(written);
    return {
      problem: noOffset
        ? `start ${describeValue(value)} has no UTC offset, so the time it means depends on the machine; ` +
          `add the offset of the zone, e.g. ${written}+01:00, or Z for UTC`
        : `${wanted}, got ${describeValue(value)}`,
    };
  }
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = match;
  const parts = [y, mo, d, h, mi, s ?? '0'].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = parts;
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  const valid =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    (zone === 'Z' || (Number(oh) <= 14 && Number(om) <= 59));
  if (!valid) return { problem: `start ${describeValue(value)} is not a valid date and time` };
  const offsetMinutes = zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  return { value: local - offsetMinutes * 60_000 };
}
