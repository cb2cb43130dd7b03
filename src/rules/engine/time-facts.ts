import { inSchedule, type ZoneClock } from '../schedule.js';
import type { Schedule } from '../types.js';
import type { FactParams, FactTable } from './bind-facts.js';

/**
 * The time facts, the same for sidecar and cluster rules: `inSchedule` (a named schedule at
 * `now`), and `hour`/`weekday` in the condition's `timezone` or else the rules' default zone.
 */
export function createTimeFacts(
  now: () => number,
  schedules: ReadonlyMap<string, Schedule>,
  zones: ZoneClock,
  defaultTimezone: string,
): FactTable {
  const zoneOf = (params: FactParams): string =>
    typeof params['timezone'] === 'string' ? params['timezone'] : defaultTimezone;
  return new Map<string, (params: FactParams) => unknown>([
    [
      'inSchedule',
      (params) => {
        const schedule = schedules.get(String(params['name']));
        return schedule === undefined ? false : inSchedule(schedule, now(), zones);
      },
    ],
    ['hour', (params) => zones.localTime(zoneOf(params), now()).hour],
    ['weekday', (params) => zones.localTime(zoneOf(params), now()).weekday],
  ]);
}
