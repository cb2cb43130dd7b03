/**
 * Schemas for single config values. Each takes what YAML or an environment variable gives
 * (numbers, strings, lists of strings) and yields the typed value, or an issue whose message
 * says what to write instead. Paths inside a value (list indexes) are reported with the issue
 * and mapped back to YAML positions by the loader.
 */
export { isValidTimeZone as isTimeZone } from '../core/timezone.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { describeValue } from './issues.js';
import { parseCidr, parseIp } from './ip.js';
import { formatSize, parseSize } from './sizes.js';
import { didYouMean } from './suggest.js';

/** One thing wrong with a value; `path` leads inside it (a list index), empty for the value itself. */
export interface ValueIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type ValueResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: { readonly issues: readonly ValueIssue[] } };

/**
 * A config value's check. (A validation library did this before; these few shapes did not need
 * one, and it cost 6 MB of every sidecar's memory.)
 */
export interface ValueSchema<T> {
  safeParse(input: unknown): ValueResult<T>;
}

/** A schema from a function that returns the value, or a message saying what is wrong. */
function checked<T>(convert: (input: unknown) => { value: T } | { problem: string }): ValueSchema<T> {
  return {
    safeParse(input) {
      const result = convert(input);
      if ('problem' in result)
        return { success: false, error: { issues: [{ path: [], message: result.problem }] } };
      return { success: true, data: result.value };
    },
  };
}

/** Integers come as YAML numbers, or as text from the environment or quoted YAML. */
function toInteger(input: unknown): number | null {
  if (typeof input === 'number') return Number.isSafeInteger(input) ? input : null;
  if (typeof input === 'string' && /^\s*\+?\d{1,15}\s*$/.test(input)) return Number(input);
  return null;
}

export function integerBetween(min: number, max: number): ValueSchema<number> {
  return checked((input) => {
    const value = toInteger(input);
    if (value !== null && value >= min && value <= max) return { value };
    return { problem: `must be an integer between ${min} and ${max}, got ${describeValue(input)}` };
  });
}

/** A size bound as an operator would write it: `4KiB`, `1GiB`, `65507 bytes`. */
function sizeBound(bytes: number): string {
  const text = formatSize(bytes);
  return text.endsWith('B') && !text.endsWith('iB') ? `${bytes} bytes` : text;
}

export function sizeBetween(min: number, max: number): ValueSchema<number> {
  return checked((input) => {
    const value = typeof input === 'string' ? parseSize(input) : toInteger(input);
    if (value !== null && value >= min && value <= max) return { value };
    return {
      problem:
        `must be a size between ${sizeBound(min)} and ${sizeBound(max)}, in bytes or with a unit ` +
        `(e.g. 512KiB, 8MiB, 4MB), got ${describeValue(input)}`,
    };
  });
}

/** Milliseconds; written as `10s`, `500ms`, `1m30s`. */
export function durationBetween(minMs: number, maxMs: number): ValueSchema<number> {
  return checked((input) => {
    const value = typeof input === 'string' ? parseDuration(input) : null;
    if (value !== null && value >= minMs && value <= maxMs) return { value };
    const unitHint = typeof input === 'number' ? '; add a unit' : '';
    return {
      problem:
        `must be a duration between ${formatDuration(minMs)} and ${formatDuration(maxMs)} ` +
        `(e.g. 10s, 500ms, 1m30s), got ${describeValue(input)}${unitHint}`,
    };
  });
}

/** Text that passes `test`; anything else gets `what` as the explanation. */
export function textMatching(test: (text: string) => boolean, what: string): ValueSchema<string> {
  return checked((input) => {
    if (typeof input === 'string' && test(input)) return { value: input };
    const quoteHint =
      typeof input === 'number'
        ? ' (YAML reads it as a number; put it in quotes)'
        : typeof input === 'boolean'
          ? ' (YAML reads it as true/false; put it in quotes)'
          : '';
    return { problem: `must be ${what}, got ${describeValue(input)}${quoteHint}` };
  });
}

export function oneOf<const T extends string>(choices: readonly T[]): ValueSchema<T> {
  return checked((input) => {
    const match = choices.find((choice) => choice === input);
    if (match !== undefined) return { value: match };
    const hint = typeof input === 'string' ? didYouMean(input, choices) : '';
    return { problem: `must be one of ${choices.join(', ')}, got ${describeValue(input)}${hint}` };
  });
}

/** true/false; from the environment also 1/0, yes/no, on/off. */
export const booleanValue: ValueSchema<boolean> = checked((input) => {
  if (typeof input === 'boolean') return { value: input };
  if (typeof input === 'string') {
    const text = input.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return { value: true };
    if (['false', '0', 'no', 'off'].includes(text)) return { value: false };
  }
  return { problem: `must be true or false, got ${describeValue(input)}` };
});

/** Any text, also empty (an optional setting such as a file path or a secret; empty = not set). */
export const optionalText: ValueSchema<string> = checked((input) => {
  if (typeof input === 'string') return { value: input.trim() };
  return { problem: `must be text (put it in quotes), got ${describeValue(input)}` };
});

/** A list; YAML gives an array, the environment a comma-separated string the loader has split. */
export function listOf<T>(item: ValueSchema<T>, whatList: string): ValueSchema<T[]> {
  return {
    safeParse(input) {
      if (!Array.isArray(input))
        return {
          success: false,
          error: { issues: [{ path: [], message: `must be a list of ${whatList}` }] },
        };
      const data: T[] = [];
      const issues: ValueIssue[] = [];
      input.forEach((element: unknown, index) => {
        const result = item.safeParse(element);
        if (result.success) data.push(result.data);
        else for (const issue of result.error.issues) issues.push({ ...issue, path: [index, ...issue.path] });
      });
      return issues.length === 0 ? { success: true, data } : { success: false, error: { issues } };
    },
  };
}

// --- Concrete kinds -------------------------------------------------------------------------

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => HOST_LABEL.test(label));
}

export function isListenAddress(text: string): boolean {
  return parseIp(text) !== null || isHostName(text);
}

/** A name that is safe in logs, NATS subjects and file names: no spaces, controls, `*` or `>`. */
export function isNodeName(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[^\s*>\u0000-\u001f\u007f]{1,253}$/u.test(text);
}

const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

export function isSubjectPrefix(text: string): boolean {
  return SUBJECT_PREFIX.test(text);
}

const NATS_SCHEMES = new Set(['nats:', 'tls:', 'ws:', 'wss:']);

/** `nats://host:4222`, `tls://…`, `ws://…`, `wss://…`, or a bare `host`, `host:port`, `[::1]:4222`. */
export function isNatsServerUrl(text: string): boolean {
  if (/\s/.test(text)) return false;
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `nats://${text}`);
  } catch {
    return false;
  }
  if (!NATS_SCHEMES.has(url.protocol.toLowerCase()) || url.hostname === '') return false;
  if (hasScheme) return true;
  const bareHost = url.hostname.startsWith('[') || isHostName(url.hostname);
  return bareHost && url.username === '' && url.pathname === '' && url.search === '' && url.hash === '';
}

export const natsServer: ValueSchema<string> = checked((input) =>
  typeof input === 'string' && isNatsServerUrl(input.trim())
    ? { value: input.trim() }
    : {
        problem:
          `${describeValue(input)} is not a NATS server URL; write nats://host:4222, ` +
          `tls://host:4222, ws://host:port, wss://host:port or host:4222`,
      },
);

/** An address or CIDR a datagram may come from. */
export const sourceRange: ValueSchema<string> = checked((input) => {
  const text = typeof input === 'string' ? input.trim() : '';
  const cidr = parseCidr(text);
  if (cidr === null) {
    return { problem: `${describeValue(input)} is not an IP address or CIDR (e.g. 10.0.0.0/8)` };
  }
  if (cidr.hostBitsSet) {
    return {
      problem: `${describeValue(input)} has bits set after the prefix length; write ${cidr.canonical}`,
    };
  }
  return { value: text };
});
