import type { EventKind, UserAgentInfo, UserEvent } from '../core/events.js';
import type { DecodeResult, RejectReason } from '../core/reject.js';
import { escapeControls, normaliseField, quoteForDetail } from './text.js';
import { createUserAgentParser, DEFAULT_USER_AGENT_CACHE_SIZE, type UserAgentParser } from './user-agent.js';

/**
 * Decoder for Qlik Sense proxy user-event datagrams (see docs/qlik-user-events.md):
 *
 *     <type>;<host>;<command>;<directory>;<userId>;<origin>;<context>;<message>
 *
 * Decode is a total function of the bytes: it never throws, and the only state it keeps is the
 * user-agent memo, which cannot change an output. Work per datagram is linear in its size and
 * bounded by `maxDatagramBytes`; only the first seven `;` are looked for, so a message full of
 * `;` costs no more than any other message; a message is read only up to its cap. The only
 * regular expression is a single character class (text.ts), which cannot backtrack.
 */

export interface DecodeLimits {
  /** Larger datagrams are rejected as `too-large` before any text decoding. */
  maxDatagramBytes: number;
  /** Cap, in UTF-16 code units, for every field but the message (user agent included). */
  maxFieldChars: number;
  /** Cap, in UTF-16 code units, for the message. */
  maxMessageChars: number;
  /** Cap, in UTF-16 code units, for the escaped text a reject keeps. */
  maxRawChars: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxDatagramBytes: 16384,
  maxFieldChars: 512,
  maxMessageChars: 4096,
  maxRawChars: 2048,
});

export type Decoder = (bytes: Uint8Array) => DecodeResult;

export interface DecoderOptions {
  limits?: Partial<DecodeLimits>;
  userAgentCacheSize?: number;
}

type Family = 'session' | 'connection';

const PREFIXES: readonly string[] = [
  '/qseow-proxy-session/',
  '/qseow-proxy-connection/',
  '/proxy-session/',
  '/proxy-connection/',
];

function prefixFamily(type: string): Family | null {
  switch (type) {
    case '/qseow-proxy-session/':
    case '/proxy-session/':
      return 'session';
    case '/qseow-proxy-connection/':
    case '/proxy-connection/':
      return 'connection';
    default:
      return null;
  }
}

const COMMANDS: readonly string[] = ['Start session', 'Stop session', 'Open connection', 'Close connection'];
// The command is only compared, never kept, so it has its own cap: long enough for every command
// whatever maxFieldChars is, and for quoteForDetail to see that a longer one was cut.
const COMMAND_CAP = 80;

function commandKind(command: string): EventKind | null {
  switch (command) {
    case 'Start session':
      return 'session.start';
    case 'Stop session':
      return 'session.stop';
    case 'Open connection':
      return 'connection.open';
    case 'Close connection':
      return 'connection.close';
    default:
      return null;
  }
}

function kindFamily(kind: EventKind): Family {
  switch (kind) {
    case 'session.start':
    case 'session.stop':
      return 'session';
    case 'connection.open':
    case 'connection.close':
      return 'connection';
  }
}

const EXPECTED_PREFIXES = PREFIXES.map((p) => `"${p}"`).join(', ');
const EXPECTED_COMMANDS = COMMANDS.map((c) => `"${c}"`).join(', ');

// Shared, stateless decoders: decode() without { stream: true } keeps no state between calls.
// With ignoreBOM false (the default) both consume one leading UTF-8 BOM.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

function decodeStrict(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // fatal: true throws a TypeError on the first malformed sequence; that is the only failure.
    return null;
  }
}

const CR = 0x0d;
const LF = 0x0a;
const SLASH = 0x2f;
const HYPHEN = 0x2d;

function trimTrailingNewlines(text: string): string {
  let end = text.length;
  for (let c = text.charCodeAt(end - 1); c === CR || c === LF; c = text.charCodeAt(end - 1)) end--;
  return end === text.length ? text : text.slice(0, end);
}

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66) || (code >= 0x41 && code <= 0x46);
}

const GUID_LENGTH = 36;

/** A GUID (8-4-4-4-12 hex digits, any case) fills [start, start + 36) and ends at `end` or a `/`. */
function isGuidAt(text: string, start: number, end: number): boolean {
  const stop = start + GUID_LENGTH;
  if (stop > end || (stop < end && text.charCodeAt(stop) !== SLASH)) return false;
  for (let i = 0; i < GUID_LENGTH; i++) {
    const code = text.charCodeAt(start + i);
    const ok = i === 8 || i === 13 || i === 18 || i === 23 ? code === HYPHEN : isHexDigit(code);
    if (!ok) return false;
  }
  return true;
}

/**
 * The GUID after an `app/` path segment (`/app/<guid>`, `app/<guid>`, `/sense/app/<guid>`),
 * lower-cased. Only the path is searched: an `app/` inside the query (a `reloaduri=` full of
 * URLs) or the fragment does not count, nor does `app/` as the tail of another segment (`/webapp/`).
 */
function extractAppId(context: string): string | null {
  let end = context.length;
  const query = context.indexOf('?');
  if (query !== -1) end = query;
  const fragment = context.indexOf('#');
  if (fragment !== -1 && fragment < end) end = fragment;
  for (let at = context.indexOf('app/'); at !== -1 && at < end; at = context.indexOf('app/', at + 4)) {
    if (at !== 0 && context.charCodeAt(at - 1) !== SLASH) continue;
    const start = at + 4;
    if (isGuidAt(context, start, end)) return context.slice(start, start + GUID_LENGTH).toLowerCase();
  }
  return null;
}

const USER_AGENT_MARKER = "UserAgent: '";

/**
 * The text after the first `UserAgent: '` up to the last `'` of the message, or to its end when
 * the closing quote is missing (a message cut by the sender). Null when there is no marker.
 */
function extractUserAgentText(message: string): string | null {
  const at = message.indexOf(USER_AGENT_MARKER);
  if (at === -1) return null;
  const start = at + USER_AGENT_MARKER.length;
  const close = message.lastIndexOf("'");
  return message.slice(start, close >= start ? close : message.length);
}

function resolveLimits(overrides: Partial<DecodeLimits> | undefined): DecodeLimits {
  const limits = { ...DEFAULT_DECODE_LIMITS, ...overrides };
  // A zero message or raw cap is a legitimate privacy setting; a zero field cap would reject all.
  const minimum: DecodeLimits = { maxDatagramBytes: 1, maxFieldChars: 1, maxMessageChars: 0, maxRawChars: 0 };
  for (const key of Object.keys(minimum) as (keyof DecodeLimits)[]) {
    const value = limits[key];
    if (!Number.isSafeInteger(value) || value < minimum[key]) {
      throw new RangeError(`decode limit ${key} must be an integer >= ${minimum[key]}, got ${String(value)}`);
    }
  }
  return Object.freeze(limits);
}

/**
 * Builds a decoder. Invalid limits throw here, at configuration time, so that the decoder
 * itself never has a reason to.
 */
export function createDecoder(options: DecoderOptions = {}): Decoder {
  const limits = resolveLimits(options.limits);
  const parseUserAgent = createUserAgentParser(options.userAgentCacheSize ?? DEFAULT_USER_AGENT_CACHE_SIZE);
  return (bytes) => decode(bytes, limits, parseUserAgent);
}

function reject(
  reason: RejectReason,
  detail: string,
  text: string,
  bytes: number,
  limits: DecodeLimits,
): DecodeResult {
  return { ok: false, reject: { reason, detail, raw: escapeControls(text, limits.maxRawChars), bytes } };
}

/**
 * Replacement-character text of the start of `bytes`, enough for a reject's raw text; the rest
 * is never decoded. A byte yields at most one UTF-16 unit, so `maxChars + 1` bytes are tried
 * first (enough for ASCII or garbage); the fallback uses that each unit takes at most 3 bytes
 * (a malformed sequence becomes one U+FFFD per at most 3 bytes). Any U+FFFD made by cutting a
 * character in two is past `maxChars` and so capped away.
 */
function lenientHead(bytes: Uint8Array, maxChars: number): string {
  const quick = maxChars + 1;
  if (bytes.length <= quick) return lenientUtf8.decode(bytes);
  const head = lenientUtf8.decode(bytes.subarray(0, quick));
  if (head.length > maxChars) return head;
  const budget = maxChars * 3 + 4;
  return lenientUtf8.decode(bytes.length > budget ? bytes.subarray(0, budget) : bytes);
}

function decode(bytes: Uint8Array, limits: DecodeLimits, parseUserAgent: UserAgentParser): DecodeResult {
  const size = bytes.length;
  if (size > limits.maxDatagramBytes) {
    const detail = `datagram is ${size} bytes; the limit is ${limits.maxDatagramBytes}`;
    return reject('too-large', detail, lenientHead(bytes, limits.maxRawChars), size, limits);
  }
  if (size === 0) return reject('empty', 'datagram is empty (0 bytes)', '', 0, limits);
  const decoded = decodeStrict(bytes);
  if (decoded === null) {
    const detail = 'datagram is not valid UTF-8';
    return reject('invalid-utf8', detail, lenientHead(bytes, limits.maxRawChars), size, limits);
  }
  const text = trimTrailingNewlines(decoded);

  const s0 = text.indexOf(';');
  const type = s0 === -1 ? text : text.slice(0, s0);
  const family = prefixFamily(type);
  if (family === null) {
    // Checked only here because a datagram that starts with a known prefix is not blank.
    if (text.trim() === '') return reject('empty', 'datagram has only whitespace', decoded, size, limits);
    const detail = `unknown prefix ${quoteForDetail(type)}; expected one of ${EXPECTED_PREFIXES}`;
    return reject('unknown-prefix', detail, decoded, size, limits);
  }

  // s0..s6 are the first seven separators; s<i> ends field i. Exactly these split: the message
  // (field 7) keeps any further `;`. Without s6 there is no message, which is allowed.
  const s1 = s0 === -1 ? -1 : text.indexOf(';', s0 + 1);
  const s2 = s1 === -1 ? -1 : text.indexOf(';', s1 + 1);
  const s3 = s2 === -1 ? -1 : text.indexOf(';', s2 + 1);
  const s4 = s3 === -1 ? -1 : text.indexOf(';', s3 + 1);
  const s5 = s4 === -1 ? -1 : text.indexOf(';', s4 + 1);
  if (s5 === -1) {
    const fields = 1 + [s0, s1, s2, s3, s4, s5].indexOf(-1);
    const detail = `datagram has ${fields} field${fields === 1 ? '' : 's'}; expected at least 7 (type;host;command;directory;userId;origin;context[;message])`;
    return reject('too-few-fields', detail, decoded, size, limits);
  }
  const s6 = text.indexOf(';', s5 + 1);

  const { maxFieldChars } = limits;
  const command = normaliseField(text.slice(s1 + 1, s2), COMMAND_CAP);
  const kind = commandKind(command);
  if (kind === null) {
    const detail = `unknown command ${quoteForDetail(command)}; expected one of ${EXPECTED_COMMANDS}`;
    return reject('unknown-command', detail, decoded, size, limits);
  }
  if (kindFamily(kind) !== family) {
    const detail = `command "${command}" is a ${kindFamily(kind)} command but prefix "${type}" is for ${family}s`;
    return reject('command-prefix-mismatch', detail, decoded, size, limits);
  }
  const host = normaliseField(text.slice(s0 + 1, s1), maxFieldChars);
  if (host === '') return reject('empty-host', 'the host field is empty', decoded, size, limits);
  const userId = normaliseField(text.slice(s3 + 1, s4), maxFieldChars);
  if (userId === '') return reject('empty-user-id', 'the user id field is empty', decoded, size, limits);

  const context = normaliseField(s6 === -1 ? text.slice(s5 + 1) : text.slice(s5 + 1, s6), maxFieldChars);
  const rawMessage = s6 === -1 ? '' : text.slice(s6 + 1);
  const userAgentText = extractUserAgentText(rawMessage);
  const userAgentRaw = userAgentText === null ? '' : normaliseField(userAgentText, maxFieldChars);
  const userAgent: UserAgentInfo | null = userAgentRaw === '' ? null : parseUserAgent(userAgentRaw);

  const event: UserEvent = {
    kind,
    host,
    user: { directory: normaliseField(text.slice(s2 + 1, s3), maxFieldChars), id: userId },
    origin: normaliseField(text.slice(s4 + 1, s5), maxFieldChars),
    context,
    appId: extractAppId(context),
    userAgent,
    message: normaliseField(rawMessage, limits.maxMessageChars),
  };
  return { ok: true, event };
}
