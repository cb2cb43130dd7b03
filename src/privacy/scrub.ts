import { qualifiedUser, type SidecarEvent, type UserRef } from '../core/events.js';
import type { Reject, RejectReason } from '../core/reject.js';
import type { AlertData } from '../contract/data.js';
import type { CloudEvent } from '../contract/envelope.js';
import type { UserHasher } from './user-hasher.js';

/**
 * Privacy mode: pure helpers that take the clear-text user out of everything that leaves the
 * node (events, alerts, rejects), applied just before a record is serialised. Rules and live
 * state keep working on clear text inside the process (lists such as `INTERNAL\sa_*` need it).
 *
 * In text, every occurrence of `DIRECTORY\id` in any case becomes the hashed `h:…\h:…` (the
 * form of the hashed user, so an alert key still matches the events' user), and the bare id in
 * quotes (`'jdoe'` or `"jdoe"`, any case) becomes `'h:…'`. "Any case" is equality after
 * `toLowerCase()`, the same rule that makes two spellings one user and one hash. The bare id
 * unquoted is left alone: a short id would otherwise eat ordinary words. If the text still
 * contains `DIRECTORY\id` after that (lower-cased, as above: a user name that overlaps its own
 * hash, such as `\h`), the whole text is replaced by REDACTED_TEXT: nothing that contains the
 * clear-text name goes out.
 *
 * Cost: about 2-3 µs per event (lower-casing and searching the texts that hold a backslash or
 * a quote; no regular expression unless lower-casing changes a text's length).
 */

/** Stands in for a text the user name could not be cut out of; it holds no backslash, so no `DIR\id`. */
export const REDACTED_TEXT = '[redacted: privacy mode]';

/** `text` with the user's qualified name and quoted id replaced by their hashes (see the module comment). */
export function scrubText(text: string, user: UserRef, hasher: UserHasher): string {
  return scrubberOf(user, hasher)(text);
}

/**
 * The event with `user` hashed and the user cut out of `message`, `context`, `origin` and the
 * user agent's raw text. Host, kind, app id and the rest are unchanged (the host names a node).
 */
export function scrubEvent<E extends SidecarEvent>(event: E, hasher: UserHasher): E {
  const { user, userAgent } = event;
  const scrub = scrubberOf(user, hasher);
  return {
    ...event,
    user: hasher.hashUser(user),
    origin: scrub(event.origin),
    context: scrub(event.context),
    userAgent: userAgent === null ? null : { ...userAgent, raw: scrub(userAgent.raw) },
    message: scrub(event.message),
  };
}

type Scrubber = (text: string) => string;

/**
 * One user's scrubber, for several texts. "Any case" means what it means for the hash: equal
 * after `toLowerCase()` (userKeyOf), so the search runs on the lower-cased text, whose indexes
 * are the original's as long as lower-casing kept the length (it only grows for `İ`; such a
 * text goes through a case-insensitive regular expression instead). A match of `DIR\id` needs
 * a backslash and a quoted id a quote, so a text with neither is returned at once.
 */
function scrubberOf(user: UserRef, hasher: UserHasher): Scrubber {
  const qualified = qualifiedUser(user);
  const qualifiedLower = qualified.toLowerCase();
  const idLower = user.id.toLowerCase();
  let pattern: RegExp | null = null;
  const hashedQualified = (): string => qualifiedUser(hasher.hashUser(user));
  const hashedId = (): string => hasher.hashUser(user).id;

  const byRegExp = (text: string): string => {
    pattern ??= new RegExp(`${escapeRegExp(qualified)}|(['"])${escapeRegExp(user.id)}\\1`, 'giu');
    return text.replace(pattern, (_match: string, quote: string | undefined) =>
      quote === undefined ? hashedQualified() : quote + hashedId() + quote,
    );
  };

  return (text) => {
    const slash = text.includes('\\');
    const quote = text.includes("'") || text.includes('"');
    if (!slash && !quote) return text;
    let out: string;
    const lower = text.toLowerCase();
    if (lower.length !== text.length) {
      out = byRegExp(text);
    } else {
      out = slash ? replaceCaseless(text, lower, qualifiedLower, hashedQualified, null) : text;
      if (quote) {
        const outLower = out === text ? lower : out.toLowerCase();
        out = replaceCaseless(out, outLower, idLower, hashedId, isQuoted);
      }
    }
    return out.includes('\\') && out.toLowerCase().includes(qualifiedLower) ? REDACTED_TEXT : out;
  };
}

/**
 * `text` with every occurrence of `needle` in `lower` (text lower-cased, same length) that
 * `accept` takes replaced by `replacement()`, left to right, not overlapping.
 */
function replaceCaseless(
  text: string,
  lower: string,
  needle: string,
  replacement: () => string,
  accept: ((text: string, start: number, end: number) => boolean) | null,
): string {
  if (needle === '') return text;
  let out = '';
  let copied = 0;
  for (let at = lower.indexOf(needle); at !== -1;) {
    const end = at + needle.length;
    if (accept === null || accept(text, at, end)) {
      out += text.slice(copied, at) + replacement();
      copied = end;
      at = lower.indexOf(needle, end);
    } else {
      at = lower.indexOf(needle, at + 1);
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** `'id'` or `"id"`: the same quote right before and right after. */
function isQuoted(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  return (before === 0x27 || before === 0x22) && text.charCodeAt(end) === before;
}

/**
 * Whether a reject's `detail` can quote the datagram's text (and so a user name): the unknown
 * prefix and the unknown command are quoted from the datagram, which may be a mangled event.
 * Every other detail is made of sizes, counts and fixed words (see ingest/decode.ts), or of the
 * sender's address (source-not-allowed).
 */
const DETAIL_QUOTES_DATAGRAM: Readonly<Record<RejectReason, boolean>> = {
  empty: false,
  'too-large': false,
  'invalid-utf8': false,
  'unknown-prefix': true,
  'too-few-fields': false,
  'unknown-command': true,
  'command-prefix-mismatch': false,
  'empty-user-id': false,
  'empty-host': false,
  'source-not-allowed': false,
};

/** What an operator reads instead of a detail that quoted the datagram. */
const REASON_TEXT: Readonly<Record<RejectReason, string>> = {
  empty: 'datagram is empty',
  'too-large': 'datagram is larger than udp.maxDatagramBytes',
  'invalid-utf8': 'datagram is not valid UTF-8',
  'unknown-prefix': 'datagram does not start with a known user-event prefix (text withheld in privacy mode)',
  'too-few-fields': 'datagram has fewer than 7 fields',
  'unknown-command': 'datagram names an unknown command (text withheld in privacy mode)',
  'command-prefix-mismatch': 'the command does not belong to the prefix',
  'empty-user-id': 'the user id field is empty',
  'empty-host': 'the host field is empty',
  'source-not-allowed': 'sender is not in udp.allowedSources',
};

/**
 * The reject without any text of the datagram: `raw` emptied (it may hold a user name), `detail`
 * kept when it cannot quote the datagram and otherwise replaced by the reason's text; `reason`
 * and `bytes` kept.
 */
export function scrubReject(reject: Reject): Reject {
  return {
    reason: reject.reason,
    detail: DETAIL_QUOTES_DATAGRAM[reject.reason] ? REASON_TEXT[reject.reason] : reject.detail,
    raw: '',
    bytes: reject.bytes,
  };
}

/**
 * Alert data with the given users (normally the user of the event that triggered the notice)
 * taken out of every text: `key`, `message`, `description`, and every string inside `facts`
 * and the conditions' `params`, `value` and `factResult` (a string equal to a user's id or
 * directory, in any case, becomes its hash; any other string is scrubbed like a message).
 * `alertId` is derived from the clear-text key, so it is replaced by a keyed hash of itself:
 * still 32 hex digits, still the same for every notice of an episode. Patterns that rule files
 * themselves list (`ACME\mall*` in an inline list) are the operator's configuration and stay.
 */
export function scrubAlertData(data: AlertData, users: readonly UserRef[], hasher: UserHasher): AlertData {
  const scrubbers = users.map((user) => scrubberOf(user, hasher));
  const text = (value: string): string => scrubAll(value, scrubbers);
  const deep = (value: unknown): unknown => scrubValue(value, users, scrubbers, hasher, 0);
  return {
    ...data,
    alertId: scrubAlertId(data.alertId, hasher),
    description: text(data.description),
    key: text(data.key),
    message: text(data.message),
    facts: deep(data.facts) as AlertData['facts'],
    conditions: data.conditions.map((condition) => ({
      ...condition,
      ...(condition.params === undefined
        ? {}
        : { params: deep(condition.params) as NonNullable<typeof condition.params> }),
      value: deep(condition.value),
      factResult: deep(condition.factResult),
    })),
  };
}

/** The keyed replacement of an alert id (32 hex digits). */
export function scrubAlertId(alertId: string, hasher: UserHasher): string {
  return hasher.hashToken('alert', alertId);
}

/**
 * A whole alert message: `data` as scrubAlertData, and the CloudEvents `id` (`<alertId>-f<n>` or
 * `<alertId>-r`) rebuilt on the new alert id, so re-sends are still recognised as duplicates.
 */
export function scrubAlertEnvelope(
  envelope: CloudEvent<AlertData>,
  users: readonly UserRef[],
  hasher: UserHasher,
): CloudEvent<AlertData> {
  const data = scrubAlertData(envelope.data, users, hasher);
  const { alertId } = envelope.data;
  const id = envelope.id.startsWith(alertId)
    ? data.alertId + envelope.id.slice(alertId.length)
    : hasher.hashToken('alert-message', envelope.id);
  return { ...envelope, id, data };
}

/**
 * The user an alert key of a `key: user` rule names (`DIRECTORY\id`, split at the first
 * backslash); null when the key has none. For notices that carry no event user.
 */
export function userFromKey(key: string): UserRef | null {
  const at = key.indexOf('\\');
  if (at === -1) return null;
  return { directory: key.slice(0, at), id: key.slice(at + 1) };
}

function scrubAll(text: string, scrubbers: readonly Scrubber[]): string {
  let out = text;
  for (const scrub of scrubbers) out = scrub(out);
  return out;
}

const MAX_DEPTH = 16;

function scrubValue(
  value: unknown,
  users: readonly UserRef[],
  scrubbers: readonly Scrubber[],
  hasher: UserHasher,
  depth: number,
): unknown {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    for (const user of users) {
      if (lower === user.id.toLowerCase()) return hasher.hashUser(user).id;
      if (lower === user.directory.toLowerCase()) return hasher.hashUser(user).directory;
    }
    return scrubAll(value, scrubbers);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED_TEXT;
  const next = (item: unknown): unknown => scrubValue(item, users, scrubbers, hasher, depth + 1);
  if (Array.isArray(value)) return value.map(next);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = next(item);
  return out;
}

/** Escapes what is syntax in a `u`-flag pattern (where escaping anything else is an error). */
function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
