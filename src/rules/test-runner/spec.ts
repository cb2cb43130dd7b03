/**
 * A test file after validation: what to send when, and what must (not) come out. Positions are
 * kept as `file:line:column` text so failures point at the line to look at.
 */
import { KEYS } from '../../config/schema.js';
import type { EventKind } from '../../core/events.js';
import type { RejectReason } from '../../core/reject.js';
import { flowMapping, formatOffset, yamlText } from './text.js';

/** The Sense node events come from when a test names none. */
export const DEFAULT_HOST = 'SENSE-NODE1';
/** Virtual time between two `judge.tick` calls (expiry and re-checks of firing alerts). */
export const TICK_MS = 10_000;
/** Longest virtual time a test may cover: bounds the number of ticks a test runs. */
export const MAX_OFFSET_MS = 7 * 86_400_000;
/** Events one test may send, repeats included. */
export const MAX_EVENTS_PER_TEST = 100_000;
/** The placeholder a repeated event's text fields may hold: 1, 2, … for each repetition. */
export const REPEAT_PLACEHOLDER = '{{n}}';

export interface AlertFilter {
  readonly rule: string;
  readonly key?: string;
  readonly status?: 'firing' | 'resolved';
  readonly host?: string;
  /** Offset from the test's start. */
  readonly atMs?: number;
  /** `*` matches any text; case-insensitive. */
  readonly message?: string;
}

export interface AlertExpectation {
  readonly filter: AlertFilter;
  /** Exactly this many matching alerts; null: at least one. */
  readonly count: number | null;
  /** `file:line:column` of the entry. */
  readonly place: string;
}

export interface DropExpectation {
  readonly rule: string;
  /** Exactly this many events dropped by the rule; null: at least one. */
  readonly count: number | null;
  readonly place: string;
}

/** An event written field by field; turned into the datagram a Sense node would send. */
export interface FieldsEvent {
  readonly form: 'fields';
  readonly kind: EventKind;
  /** `DIRECTORY\userId`, possibly with `{{n}}`. */
  readonly user: string;
  readonly host: string;
  readonly app: string | null;
  readonly context: string | null;
  readonly origin: string | null;
  readonly userAgent: string | null;
  readonly message: string | null;
}

/** A raw datagram, decoded as the sidecar decodes it. */
export interface DatagramEvent {
  readonly form: 'datagram';
  readonly text: string;
  /** The reject reason the test expects, or null: the datagram must decode. */
  readonly rejected: RejectReason | null;
}

export interface TestEvent {
  readonly atMs: number;
  readonly repeat: number;
  readonly everyMs: number;
  readonly source: FieldsEvent | DatagramEvent;
  readonly place: string;
}

export interface RuleTest {
  readonly file: string;
  readonly name: string;
  readonly place: string;
  /** Epoch ms of offset 0. */
  readonly startMs: number;
  readonly events: readonly TestEvent[];
  readonly advanceToMs: number | null;
  readonly expect: readonly AlertExpectation[];
  /** `expect: []` was written: no alert at all may be published. */
  readonly expectNone: boolean;
  readonly expectNonePlace: string;
  /** Filters without count. */
  readonly forbid: readonly AlertExpectation[];
  readonly dropped: readonly DropExpectation[];
}

export interface SessionSettings {
  readonly inactivityTimeoutMs: number;
  readonly graceMs: number;
}

/** Neither default depends on the machine; the context is only there to call them. */
const NO_CONTEXT = { hostname: '', node: '', timezone: 'UTC' };

/** The sidecar config's defaults for `sessions.inactivityTimeout` (30m) and `sessions.expiryGrace` (5m). */
export const DEFAULT_SESSIONS: SessionSettings = {
  inactivityTimeoutMs: KEYS.sessionsInactivityTimeout.default(NO_CONTEXT),
  graceMs: KEYS.sessionsExpiryGrace.default(NO_CONTEXT),
};

export interface RuleTestFile {
  readonly name: string;
  /** The `rules.timezone` to test with; null: the caller's default. */
  readonly timezone: string | null;
  readonly sessions: SessionSettings;
  /** Lists of the rules replaced for this file's tests. */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly tests: readonly RuleTest[];
  /** False when the file has errors: none of its tests run. */
  readonly ok: boolean;
}

/** `{rule: x, key: 'CORP\jdoe', status: firing, at: 5m}` — the filter as it could be written. */
export function describeFilter(filter: AlertFilter, count: number | null = null): string {
  const pairs: [string, string][] = [['rule', yamlText(filter.rule)]];
  if (filter.key !== undefined) pairs.push(['key', yamlText(filter.key)]);
  if (filter.status !== undefined) pairs.push(['status', filter.status]);
  if (filter.host !== undefined) pairs.push(['host', yamlText(filter.host)]);
  if (filter.atMs !== undefined) pairs.push(['at', formatOffset(filter.atMs)]);
  if (filter.message !== undefined) pairs.push(['message', yamlText(filter.message)]);
  if (count !== null) pairs.push(['count', String(count)]);
  return flowMapping(pairs);
}
