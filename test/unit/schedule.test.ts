import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inSchedule, isValidTimeZone, ZoneClock } from '../../src/rules/schedule.js';

const zones = new ZoneClock();
import { WEEKDAYS, type Schedule, type ScheduleWindow, type Weekday } from '../../src/rules/types.js';

const at = (iso: string): number => Date.parse(iso);
const hm = (h: number, m = 0): number => h * 60 + m;

function schedule(timezone: string, ...windows: ScheduleWindow[]): Schedule {
  return { name: 'test', timezone, windows };
}

function win(days: Weekday[], from: number, to: number): ScheduleWindow {
  return { days, fromMinute: from, toMinute: to };
}

const STOCKHOLM = 'Europe/Stockholm';
const NEW_YORK = 'America/New_York';

describe('localTime', () => {
  it('gives the local weekday, hour and minute', () => {
    expect(zones.localTime(STOCKHOLM, at('2026-01-05T06:30:00Z'))).toEqual({
      weekday: 'mon',
      hour: 7,
      minute: 30,
      minuteOfDay: 450,
    });
    // late Monday in UTC is already Tuesday in Stockholm but still Monday in New York
    expect(zones.localTime(STOCKHOLM, at('2026-01-05T23:30:00Z'))).toMatchObject({
      weekday: 'tue',
      hour: 0,
      minute: 30,
    });
    expect(zones.localTime(NEW_YORK, at('2026-01-05T23:30:00Z'))).toMatchObject({
      weekday: 'mon',
      hour: 18,
      minute: 30,
    });
    expect(zones.localTime('UTC', at('2026-01-04T00:00:00Z'))).toEqual({
      weekday: 'sun',
      hour: 0,
      minute: 0,
      minuteOfDay: 0,
    });
  });

  it('agrees with Date for UTC at any time (and the per-minute memo changes with the minute)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (now) => {
        const d = new Date(now);
        expect(zones.localTime('UTC', now)).toEqual({
          weekday: WEEKDAYS[(d.getUTCDay() + 6) % 7],
          hour: d.getUTCHours(),
          minute: d.getUTCMinutes(),
          minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes(),
        });
      }),
    );
    const t = at('2026-01-05T06:30:00Z');
    expect(zones.localTime(STOCKHOLM, t + 59_999).minute).toBe(30);
    expect(zones.localTime(STOCKHOLM, t + 60_000).minute).toBe(31);
    expect(zones.localTime(STOCKHOLM, t - 1).minute).toBe(29);
  });

  it('follows the Stockholm daylight-saving changes of 2026', () => {
    // 2026-03-29: 02:00 CET becomes 03:00 CEST (at 01:00Z)
    expect(zones.localTime(STOCKHOLM, at('2026-03-29T00:59:00Z'))).toMatchObject({ hour: 1, minute: 59 });
    expect(zones.localTime(STOCKHOLM, at('2026-03-29T01:00:00Z'))).toMatchObject({ hour: 3, minute: 0 });
    // 2026-10-25: 03:00 CEST becomes 02:00 CET (at 01:00Z): 02:30 happens twice
    expect(zones.localTime(STOCKHOLM, at('2026-10-25T00:30:00Z'))).toMatchObject({
      weekday: 'sun',
      hour: 2,
      minute: 30,
    });
    expect(zones.localTime(STOCKHOLM, at('2026-10-25T01:30:00Z'))).toMatchObject({
      weekday: 'sun',
      hour: 2,
      minute: 30,
    });
  });

  it('follows the New York daylight-saving changes of 2026', () => {
    // 2026-03-08: 02:00 EST becomes 03:00 EDT (at 07:00Z)
    expect(zones.localTime(NEW_YORK, at('2026-03-08T06:59:00Z'))).toMatchObject({ hour: 1, minute: 59 });
    expect(zones.localTime(NEW_YORK, at('2026-03-08T07:00:00Z'))).toMatchObject({ hour: 3, minute: 0 });
    // 2026-11-01: 02:00 EDT becomes 01:00 EST (at 06:00Z)
    expect(zones.localTime(NEW_YORK, at('2026-11-01T05:30:00Z'))).toMatchObject({ hour: 1, minute: 30 });
    expect(zones.localTime(NEW_YORK, at('2026-11-01T06:30:00Z'))).toMatchObject({ hour: 1, minute: 30 });
  });

  it('throws a RangeError for an unknown zone', () => {
    expect(() => zones.localTime('Nowhere/Foo', 0)).toThrow(RangeError);
  });

  it('stays correct when more zones are used than the cache holds', () => {
    const names = Intl.supportedValuesOf('timeZone').slice(0, 100);
    const now = at('2026-01-05T06:30:00Z');
    for (const zone of names) zones.localTime(zone, now);
    expect(zones.localTime(STOCKHOLM, now)).toMatchObject({ hour: 7, minute: 30 });
    expect(zones.localTime(names[0] ?? 'UTC', now)).toEqual(zones.localTime(names[0] ?? 'UTC', now + 1));
  });
});

describe('ZoneClock', () => {
  it('answers like the module functions with its own bounded cache', () => {
    const zones = new ZoneClock(2);
    const now = at('2026-06-01T06:30:00Z');
    for (const zone of [STOCKHOLM, NEW_YORK, 'UTC', STOCKHOLM, 'Asia/Tokyo', NEW_YORK]) {
      expect(zones.localTime(zone, now)).toEqual(zones.localTime(zone, now));
    }
    expect(zones.isValid('Nowhere/Foo')).toBe(false);
    expect(zones.isValid('Asia/Tokyo')).toBe(true);
    const office = schedule(STOCKHOLM, win(['mon'], hm(8), hm(10)));
    expect(inSchedule(office, now, zones)).toBe(true);
    expect(inSchedule(office, now + 2 * 3_600_000, zones)).toBe(false);
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA zones and UTC, rejects the rest', () => {
    expect(isValidTimeZone(STOCKHOLM)).toBe(true);
    expect(isValidTimeZone(NEW_YORK)).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Nowhere/Foo')).toBe(false);
    expect(isValidTimeZone('Europe/Stockholmm')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('  ')).toBe(false);
  });
});

describe('inSchedule', () => {
  const office = schedule(STOCKHOLM, win(['mon', 'tue', 'wed', 'thu', 'fri'], hm(8), hm(10)));

  it('uses the local time of the schedule zone, winter and summer', () => {
    expect(inSchedule(office, at('2026-01-05T06:30:00Z'), zones)).toBe(false); // 07:30 CET
    expect(inSchedule(office, at('2026-01-05T07:00:00Z'), zones)).toBe(true); // 08:00 CET, from is inclusive
    expect(inSchedule(office, at('2026-01-05T07:30:00Z'), zones)).toBe(true); // 08:30 CET
    expect(inSchedule(office, at('2026-01-05T08:59:00Z'), zones)).toBe(true); // 09:59 CET
    expect(inSchedule(office, at('2026-01-05T09:00:00Z'), zones)).toBe(false); // 10:00 CET, to is exclusive
    expect(inSchedule(office, at('2026-06-01T06:30:00Z'), zones)).toBe(true); // 08:30 CEST
    expect(inSchedule(office, at('2026-06-01T08:30:00Z'), zones)).toBe(false); // 10:30 CEST
  });

  it('checks the weekday', () => {
    expect(inSchedule(office, at('2026-01-09T07:30:00Z'), zones)).toBe(true); // Friday
    expect(inSchedule(office, at('2026-01-10T07:30:00Z'), zones)).toBe(false); // Saturday
    expect(inSchedule(office, at('2026-01-11T07:30:00Z'), zones)).toBe(false); // Sunday
    const weekend = schedule('UTC', win(['sat', 'sun'], 0, 1440));
    expect(inSchedule(weekend, at('2026-01-10T00:00:00Z'), zones)).toBe(true);
    expect(inSchedule(weekend, at('2026-01-11T23:59:59Z'), zones)).toBe(true);
    expect(inSchedule(weekend, at('2026-01-12T00:00:00Z'), zones)).toBe(false);
    expect(inSchedule(weekend, at('2026-01-09T23:59:59Z'), zones)).toBe(false);
  });

  it('lets an overnight window belong to the day it starts', () => {
    const night = schedule('UTC', win(['mon'], hm(22), hm(2)));
    expect(inSchedule(night, at('2026-01-05T21:59:00Z'), zones)).toBe(false); // Mon 21:59
    expect(inSchedule(night, at('2026-01-05T22:00:00Z'), zones)).toBe(true); // Mon 22:00
    expect(inSchedule(night, at('2026-01-05T23:59:00Z'), zones)).toBe(true);
    expect(inSchedule(night, at('2026-01-06T01:00:00Z'), zones)).toBe(true); // Tue 01:00
    expect(inSchedule(night, at('2026-01-06T02:00:00Z'), zones)).toBe(false); // Tue 02:00
    expect(inSchedule(night, at('2026-01-05T01:00:00Z'), zones)).toBe(false); // Mon 01:00: Sunday's night
    expect(inSchedule(night, at('2026-01-06T22:30:00Z'), zones)).toBe(false); // Tue 22:30
    // Sunday night into Monday: the day before Monday is Sunday
    const sunday = schedule('UTC', win(['sun'], hm(23), hm(1)));
    expect(inSchedule(sunday, at('2026-01-05T00:30:00Z'), zones)).toBe(true);
    expect(inSchedule(sunday, at('2026-01-06T00:30:00Z'), zones)).toBe(false);
  });

  it('reads toMinute 1440 as the end of the day and to <= from as crossing midnight', () => {
    const evening = schedule('UTC', win(['sun'], hm(20), 1440));
    expect(inSchedule(evening, at('2026-01-04T23:59:00Z'), zones)).toBe(true);
    expect(inSchedule(evening, at('2026-01-05T00:00:00Z'), zones)).toBe(false);
    // from == to: the window runs 24 hours from its start
    const day = schedule('UTC', win(['mon'], hm(8), hm(8)));
    expect(inSchedule(day, at('2026-01-05T07:59:00Z'), zones)).toBe(false);
    expect(inSchedule(day, at('2026-01-05T08:00:00Z'), zones)).toBe(true);
    expect(inSchedule(day, at('2026-01-06T07:59:00Z'), zones)).toBe(true);
    expect(inSchedule(day, at('2026-01-06T08:00:00Z'), zones)).toBe(false);
  });

  it('is on when any window is on', () => {
    const split = schedule('UTC', win(['mon'], hm(8), hm(9)), win(['mon'], hm(13), hm(14)));
    expect(inSchedule(split, at('2026-01-05T08:30:00Z'), zones)).toBe(true);
    expect(inSchedule(split, at('2026-01-05T10:30:00Z'), zones)).toBe(false);
    expect(inSchedule(split, at('2026-01-05T13:30:00Z'), zones)).toBe(true);
    expect(inSchedule(schedule('UTC'), at('2026-01-05T13:30:00Z'), zones)).toBe(false);
  });

  it('follows local time across the Stockholm changes', () => {
    const earlySunday = schedule(STOCKHOLM, win(['sun'], hm(2), hm(3)));
    // spring: local 02:00-03:00 does not exist on 2026-03-29
    for (let t = at('2026-03-28T23:00:00Z'); t < at('2026-03-29T03:00:00Z'); t += 60_000) {
      expect(inSchedule(earlySunday, t, zones)).toBe(false);
    }
    // autumn: local 02:00-03:00 happens twice on 2026-10-25, 00:00Z to 02:00Z
    expect(inSchedule(earlySunday, at('2026-10-24T23:59:00Z'), zones)).toBe(false);
    expect(inSchedule(earlySunday, at('2026-10-25T00:00:00Z'), zones)).toBe(true);
    expect(inSchedule(earlySunday, at('2026-10-25T00:59:00Z'), zones)).toBe(true);
    expect(inSchedule(earlySunday, at('2026-10-25T01:00:00Z'), zones)).toBe(true);
    expect(inSchedule(earlySunday, at('2026-10-25T01:59:00Z'), zones)).toBe(true);
    expect(inSchedule(earlySunday, at('2026-10-25T02:00:00Z'), zones)).toBe(false);
    // a morning window moves by an hour in UTC across the change
    const morning = schedule(STOCKHOLM, win(['sat', 'sun'], hm(8), hm(10)));
    expect(inSchedule(morning, at('2026-03-28T06:30:00Z'), zones)).toBe(false); // Sat 07:30 CET
    expect(inSchedule(morning, at('2026-03-29T06:30:00Z'), zones)).toBe(true); // Sun 08:30 CEST
    expect(inSchedule(morning, at('2026-10-24T08:30:00Z'), zones)).toBe(false); // Sat 10:30 CEST
    expect(inSchedule(morning, at('2026-10-25T08:30:00Z'), zones)).toBe(true); // Sun 09:30 CET
  });

  it('follows local time across the New York changes', () => {
    const morning = schedule(NEW_YORK, win(['sun'], hm(8), hm(10)));
    expect(inSchedule(morning, at('2026-03-01T12:30:00Z'), zones)).toBe(false); // 07:30 EST
    expect(inSchedule(morning, at('2026-03-01T13:30:00Z'), zones)).toBe(true); // 08:30 EST
    expect(inSchedule(morning, at('2026-03-08T12:30:00Z'), zones)).toBe(true); // 08:30 EDT
    expect(inSchedule(morning, at('2026-03-08T14:30:00Z'), zones)).toBe(false); // 10:30 EDT
    expect(inSchedule(morning, at('2026-11-01T12:30:00Z'), zones)).toBe(false); // 07:30 EST
    expect(inSchedule(morning, at('2026-11-01T13:30:00Z'), zones)).toBe(true); // 08:30 EST
  });

  it('throws a RangeError for a schedule in an unknown zone', () => {
    expect(() => inSchedule(schedule('Mars/Olympus_Mons', win(['mon'], 0, 1440)), 0, zones)).toThrow(
      RangeError,
    );
  });

  it('an overnight window is the union of its evening and the next morning (property, UTC)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...WEEKDAYS),
        fc.integer({ min: 1, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 14 * 1440 - 1 }),
        (day, from, toRaw, minute) => {
          const to = Math.min(toRaw, from); // to <= from: crosses midnight
          const now = at('2026-01-05T00:00:00Z') + minute * 60_000; // starts on a Monday
          const index = WEEKDAYS.indexOf(day);
          const next = WEEKDAYS[(index + 1) % 7] ?? day;
          const d = new Date(now);
          const weekday = WEEKDAYS[(d.getUTCDay() + 6) % 7];
          const m = d.getUTCHours() * 60 + d.getUTCMinutes();
          const expected = (weekday === day && m >= from) || (weekday === next && m < to);
          expect(inSchedule(schedule('UTC', win([day], from, to)), now, zones)).toBe(expected);
        },
      ),
    );
  });
});
