import { WEEKDAYS, type Schedule, type ScheduleWindow, type Weekday } from './types.js';

/**
 * Wall-clock questions for rules: what the local weekday and time are in a zone, and whether a
 * schedule is on. Pure: `now` (epoch ms) is an argument. Daylight saving is Intl's business.
 */

export interface LocalTime {
  readonly weekday: Weekday;
  readonly hour: number;
  readonly minute: number;
  /** hour * 60 + minute, 0..1439. */
  readonly minuteOfDay: number;
}

const MINUTE_MS = 60_000;

/** A formatter per zone, plus the last answer it gave. */
interface ZoneEntry {
  readonly format: Intl.DateTimeFormat;
  /** UTC minute (floor(now / 60 000)) of `time`; formatting is the costly part. */
  minute: number;
  time: LocalTime | null;
}

const WEEKDAY_BY_NAME: ReadonlyMap<string, Weekday> = new Map(
  WEEKDAYS.map((day) => [day.charAt(0).toUpperCase() + day.slice(1), day]),
);

/**
 * Local time per zone with cached `Intl.DateTimeFormat`s (building one costs far more than
 * using it). Zone names come from configuration, so there are few; the cap (oldest zone
 * dropped first) only guards against a caller passing arbitrary names. A compiled rule set
 * holds its own instance; the module functions share a default one.
 */
export class ZoneClock {
  private readonly zones = new Map<string, ZoneEntry>();

  constructor(private readonly maxZones = 64) {}

  /**
   * Local weekday and time of day in `timezone` at `now`. Throws RangeError for an unknown
   * zone (validate names with isValidTimeZone).
   *
   * The answer is remembered per zone for the current UTC minute: every zone's offset has been
   * a whole number of minutes since 1972, so within one UTC minute the local minute cannot
   * change.
   */
  localTime(timezone: string, now: number): LocalTime {
    const entry = this.zone(timezone);
    const minute = Math.floor(now / MINUTE_MS);
    if (entry.minute === minute && entry.time !== null) return entry.time;
    let weekday: Weekday | undefined;
    let hour = Number.NaN;
    let min = Number.NaN;
    for (const part of entry.format.formatToParts(now)) {
      if (part.type === 'weekday') weekday = WEEKDAY_BY_NAME.get(part.value);
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') min = Number(part.value);
    }
    if (weekday === undefined || !Number.isInteger(hour) || !Number.isInteger(min)) {
      throw new RangeError(`cannot tell the local time in ${timezone} at ${now}`);
    }
    const time: LocalTime = { weekday, hour, minute: min, minuteOfDay: hour * 60 + min };
    entry.minute = minute;
    entry.time = time;
    return time;
  }

  /** True when Intl knows the zone; a known zone stays cached for the next localTime. */
  isValid(timezone: string): boolean {
    if (timezone.trim() === '') return false;
    try {
      this.zone(timezone);
      return true;
    } catch {
      return false;
    }
  }

  private zone(timezone: string): ZoneEntry {
    let entry = this.zones.get(timezone);
    if (entry === undefined) {
      // Throws RangeError for an unknown zone, before anything is cached.
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
      if (this.zones.size >= this.maxZones) {
        const oldest = this.zones.keys().next();
        if (oldest.done !== true) this.zones.delete(oldest.value);
      }
      entry = { format, minute: Number.NaN, time: null };
      this.zones.set(timezone, entry);
    }
    return entry;
  }
}

export { isValidTimeZone } from '../core/timezone.js';

/**
 * True when `now` falls in any window of the schedule, in the schedule's zone. Throws
 * RangeError for an unknown zone (the loader refuses those).
 *
 * A window is active on its days for fromMinute <= minuteOfDay < toMinute. When
 * toMinute <= fromMinute it crosses midnight, and the part after midnight belongs to the day the
 * window started: `mon 22:00-02:00` covers Tuesday 01:00, not Monday 01:00. toMinute 1440 is
 * the end of the day. On a daylight-saving day the local clock is what counts: a window
 * 02:00-03:00 never fires on the spring-forward day and fires for two hours on the fall-back day.
 */
export function inSchedule(schedule: Schedule, now: number, zones: ZoneClock): boolean {
  const time = zones.localTime(schedule.timezone, now);
  return schedule.windows.some((window) => inWindow(window, time));
}

function inWindow(window: ScheduleWindow, time: LocalTime): boolean {
  const { fromMinute, toMinute } = window;
  const m = time.minuteOfDay;
  if (fromMinute < toMinute) return window.days.includes(time.weekday) && fromMinute <= m && m < toMinute;
  // Crosses midnight: today's evening part, or the morning part of a window begun yesterday.
  if (m >= fromMinute && window.days.includes(time.weekday)) return true;
  return m < toMinute && window.days.includes(previousDay(time.weekday));
}

function previousDay(day: Weekday): Weekday {
  const index = WEEKDAYS.indexOf(day);
  return WEEKDAYS[(index + WEEKDAYS.length - 1) % WEEKDAYS.length] ?? day;
}
