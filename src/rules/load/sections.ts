/**
 * The named parts of rule files: `lists:` and `schedules:`. Names from all files share one
 * namespace; a name defined twice is an error at the second definition naming the first.
 * Schedules are read before the set's timezone is known (it may be in a later file), so their
 * zone is filled in by the loader afterwards.
 */
import type { PathSegment } from '../../config/types.js';
import { WEEKDAYS, type ScheduleWindow, type Weekday } from '../types.js';
import { DAY_SHORTHANDS, SCHEDULE_FIELDS, WINDOW_FIELDS } from './catalog.js';
import { NAME_PATTERN, describeValue, quoteHint, suggestion } from './checks.js';
import { type MappingForm, readMapping } from './key-table.js';
import { type IssueLog, type RuleFile, keyAt, placeText, valueAt } from './source.js';
import { isValidTimeZone, suggestTimeZone } from './timezone.js';

export interface Definition {
  readonly name: string;
  readonly file: RuleFile;
  /** Path of the definition's entry (`['lists', 'leavers']`); its key is the name as written. */
  readonly path: readonly PathSegment[];
  used: boolean;
}

export interface ListDefinition extends Definition {
  readonly patterns: readonly string[];
  /** Set once its patterns were checked for being user patterns (warned about at most once). */
  checkedAsUsers: boolean;
}

export interface ScheduleDefinition extends Definition {
  /** As written in the schedule; null = the set's timezone. */
  readonly timezone: string | null;
  /** The schedule has a `timezone:` key (null above then means it was refused, not absent). */
  readonly timezoneWritten: boolean;
  readonly windows: readonly ScheduleWindow[];
}

/** Why `value` cannot be a `*` pattern, or null. */
export function patternProblem(value: unknown): string | null {
  if (typeof value !== 'string') {
    return `a pattern must be text, got ${describeValue(value)}${quoteHint(value)}`;
  }
  if (value.trim() === '') return 'an empty pattern matches nothing; remove it';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    const asWritten = value.replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
    return (
      `pattern ${JSON.stringify(value)} contains a control character such as a line break: in double ` +
      `quotes a backslash starts an escape (\\n, \\t); write it in single quotes: '${asWritten}'`
    );
  }
  return null;
}

/** Patterns of users are `DIRECTORY\userId`; one without a `\` (and no `*`) matches no user. */
export function userPatternWarning(pattern: string): string | null {
  if (pattern.includes('\\') || pattern.includes('*')) return null;
  return (
    `pattern "${pattern}" has no DIRECTORY\\ part, so it matches no user (users are DIRECTORY\\userId); ` +
    `write e.g. 'ACME\\${pattern}' or '*\\${pattern}'`
  );
}

function checkName(
  file: RuleFile,
  path: readonly PathSegment[],
  name: string,
  what: string,
  log: IssueLog,
): void {
  if (NAME_PATTERN.test(name)) return;
  log.error(
    file,
    keyAt(file, path),
    `${what} name ${describeValue(name)} must be letters, digits, '-', '_' and '.', starting with a letter or digit`,
  );
}

function claim<T extends Definition>(
  definitions: Map<string, T>,
  definition: T,
  what: string,
  log: IssueLog,
): void {
  const first = definitions.get(definition.name);
  if (first === undefined) {
    definitions.set(definition.name, definition);
    return;
  }
  log.error(
    definition.file,
    keyAt(definition.file, definition.path),
    `${what} "${definition.name}" is already defined at ${placeText(first.file, keyAt(first.file, first.path))}; ` +
      `${what} names are shared by all rule files: rename one`,
  );
}

function sectionEntries(
  file: RuleFile,
  value: unknown,
  section: string,
  example: string,
  log: IssueLog,
): [string, unknown][] {
  if (value === null || value === undefined) return [];
  if (value instanceof Map) return [...(value as Map<string, unknown>)];
  log.error(
    file,
    valueAt(file, [section]),
    `${section} must be a mapping of names, e.g. ${example}, got ${describeValue(value)}`,
  );
  return [];
}

/**
 * The `*` patterns of a list at `path`, each refused one an issue at its place. `warnUsers`: warn
 * at once about patterns that can match no user; rule files warn only when a user fact uses the
 * list (a list may hold hosts), test files' lists only replace lists the rules already use.
 */
export function readPatterns(
  file: RuleFile,
  path: readonly PathSegment[],
  written: readonly unknown[],
  log: IssueLog,
  options: { readonly warnUsers: boolean },
): string[] {
  const patterns: string[] = [];
  for (const [index, pattern] of written.entries()) {
    const problem = patternProblem(pattern);
    if (problem !== null) {
      log.error(file, valueAt(file, [...path, index]), problem);
      continue;
    }
    const warning = options.warnUsers ? userPatternWarning(pattern as string) : null;
    if (warning !== null) log.warn(file, valueAt(file, [...path, index]), warning);
    patterns.push(pattern as string);
  }
  return patterns;
}

export function readLists(
  file: RuleFile,
  value: unknown,
  lists: Map<string, ListDefinition>,
  log: IssueLog,
): void {
  for (const [name, entry] of sectionEntries(file, value, 'lists', "leavers: ['ACME\\mallory']", log)) {
    const path = ['lists', name];
    // A badly named list is still defined, so that rules using it get no second issue.
    checkName(file, path, name, 'list', log);
    const patterns: string[] = [];
    if (entry === null) {
      log.warn(file, keyAt(file, path), `list "${name}" is empty, so inList never matches it`);
    } else if (!Array.isArray(entry)) {
      log.error(
        file,
        valueAt(file, path),
        `list "${name}" must be a list of patterns, e.g. ['ACME\\mallory', 'INTERNAL\\sa_*'], got ${describeValue(entry)}`,
      );
      continue;
    } else {
      if (entry.length === 0) {
        log.warn(file, valueAt(file, path), `list "${name}" is empty, so inList never matches it`);
      }
      patterns.push(...readPatterns(file, path, entry as unknown[], log, { warnUsers: false }));
    }
    claim(lists, { name, file, path, used: false, patterns, checkedAsUsers: false }, 'list', log);
  }
}

const WINDOW_FORM: MappingForm = {
  what: 'a window',
  example: "{days: [mon, tue], from: '08:00', to: '10:00'}",
  keys: WINDOW_FIELDS,
};
/** A window's keys written straight into the schedule. */
const IN_WINDOW_HINTS = Object.fromEntries(
  WINDOW_FIELDS.map((key) => [key, 'days, from and to belong in an entry of windows']),
);

const TIME = /^(\d{1,2}):(\d{2})$/;

/** Minutes after midnight for `HH:MM`; `24:00` only where `allowMidnightEnd`. */
function minuteOf(value: unknown, allowMidnightEnd: boolean): number | null {
  if (typeof value !== 'string') return null;
  const match = TIME.exec(value.trim());
  if (match === null) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (minutes > 59) return null;
  if (hours === 24 && minutes === 0 && allowMidnightEnd) return 1440;
  return hours <= 23 ? hours * 60 + minutes : null;
}

function readDays(
  file: RuleFile,
  path: readonly PathSegment[],
  value: unknown,
  log: IssueLog,
): Weekday[] | null {
  const written = typeof value === 'string' ? [value] : value;
  const shorthands = Object.keys(DAY_SHORTHANDS);
  if (!Array.isArray(written) || written.length === 0) {
    const got = Array.isArray(written) ? 'an empty list' : describeValue(value);
    log.error(
      file,
      valueAt(file, path),
      `days must be a list of mon, tue, wed, thu, fri, sat, sun (or weekdays, weekend, all), got ${got}; ` +
        'leave days out for every day',
    );
    return null;
  }
  const days = new Set<Weekday>();
  let ok = true;
  for (const [index, day] of (written as unknown[]).entries()) {
    const named =
      typeof day === 'string' ? (DAY_SHORTHANDS[day] ?? WEEKDAYS.filter((known) => known === day)) : [];
    if (named.length === 0) {
      const at = typeof value === 'string' ? valueAt(file, path) : valueAt(file, [...path, index]);
      const hint = typeof day === 'string' ? suggestion(day, [...WEEKDAYS, ...shorthands], false) : '';
      log.error(
        file,
        at,
        `${describeValue(day)} is not a day; write mon, tue, wed, thu, fri, sat, sun, weekdays, weekend or all${hint}`,
      );
      ok = false;
    }
    for (const known of named) days.add(known);
  }
  return ok ? WEEKDAYS.filter((day) => days.has(day)) : null;
}

function readWindow(
  file: RuleFile,
  path: readonly PathSegment[],
  value: unknown,
  log: IssueLog,
): ScheduleWindow | null {
  const window = readMapping(file, log, path, value, WINDOW_FORM);
  if (window === null) return null;
  const days = window.has('days')
    ? readDays(file, [...path, 'days'], window.get('days'), log)
    : [...WEEKDAYS];
  const times: (number | null)[] = [];
  for (const end of ['from', 'to'] as const) {
    const written = window.get(end);
    if (written === undefined) {
      log.error(
        file,
        valueAt(file, path),
        `the window has no ${end}; add ${end}: 'HH:MM', e.g. ${end}: '08:00'`,
      );
      times.push(null);
      continue;
    }
    const minute = minuteOf(written, end === 'to');
    if (minute === null) {
      const unquoted =
        typeof written === 'number' ? "; YAML read it as a number: write it in quotes, e.g. '08:00'" : '';
      const range = end === 'to' ? "'00:00' to '24:00'" : "'00:00' to '23:59'";
      log.error(
        file,
        valueAt(file, [...path, end]),
        `${end} must be a time HH:MM from ${range}, got ${describeValue(written)}${unquoted}`,
      );
    }
    times.push(minute);
  }
  const [fromMinute, toMinute] = times;
  if (fromMinute === null || toMinute === null || fromMinute === undefined || toMinute === undefined)
    return null;
  if (fromMinute === toMinute) {
    log.error(
      file,
      valueAt(file, [...path, 'to']),
      "from and to are the same time, so the window is empty; for the whole day write from: '00:00', to: '24:00'",
    );
    return null;
  }
  return days === null ? null : { days, fromMinute, toMinute };
}

/** A `timezone:` value, or null (and an issue) when it is not one Intl knows. */
export function readTimezone(
  file: RuleFile,
  path: readonly PathSegment[],
  value: unknown,
  log: IssueLog,
): string | null {
  if (typeof value === 'string' && isValidTimeZone(value)) return value;
  const near = typeof value === 'string' ? suggestTimeZone(value) : undefined;
  const hint = near === undefined ? ', e.g. Europe/Stockholm or UTC' : `; did you mean "${near}"?`;
  log.error(
    file,
    valueAt(file, path),
    `timezone must be an IANA time zone name, got ${describeValue(value)}${hint}`,
  );
  return null;
}

export function readSchedules(
  file: RuleFile,
  value: unknown,
  schedules: Map<string, ScheduleDefinition>,
  log: IssueLog,
): void {
  const example =
    "peak-hours: {timezone: Europe/Stockholm, windows: [{days: weekdays, from: '08:00', to: '10:00'}]}";
  for (const [name, entry] of sectionEntries(file, value, 'schedules', example, log)) {
    const path = ['schedules', name];
    checkName(file, path, name, 'schedule', log);
    const schedule = readMapping(file, log, path, entry, {
      what: `schedule "${name}"`,
      example: example.slice(12),
      keys: SCHEDULE_FIELDS,
      hints: IN_WINDOW_HINTS,
    });
    if (schedule === null) {
      claim(
        schedules,
        { name, file, path, used: false, timezone: null, timezoneWritten: true, windows: [] },
        'schedule',
        log,
      );
      continue;
    }
    let timezone: string | null = null;
    if (schedule.has('timezone')) {
      timezone = readTimezone(file, [...path, 'timezone'], schedule.get('timezone'), log);
    }
    const windowsValue = schedule.get('windows');
    const windows: ScheduleWindow[] = [];
    if (!Array.isArray(windowsValue) || windowsValue.length === 0) {
      log.error(
        file,
        valueAt(file, schedule.has('windows') ? [...path, 'windows'] : path),
        `schedule "${name}" needs windows: a list such as [{days: weekdays, from: '08:00', to: '10:00'}]`,
      );
    } else {
      for (const [index, windowValue] of (windowsValue as unknown[]).entries()) {
        const window = readWindow(file, [...path, 'windows', index], windowValue, log);
        if (window !== null) windows.push(window);
      }
    }
    // A broken schedule is still defined (the load fails anyway), so that rules naming it do
    // not get a second, misleading "no schedule named" issue.
    claim(
      schedules,
      { name, file, path, used: false, timezone, timezoneWritten: schedule.has('timezone'), windows },
      'schedule',
      log,
    );
  }
}
