/**
 * Small checks shared by the sections of a rule file. Each returns the accepted value or a
 * `problem` phrased as what to change, so callers only decide where to point.
 */
import { describeValue as describeConfigValue } from '../../config/issues.js';
import { closest, closestByEdits } from '../../config/suggest.js';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { RULE_EVENT_KINDS } from '../types.js';

export type Checked<T> = { readonly value: T } | { readonly problem: string };

/**
 * What the operator wrote, for `got ...`. Like the config's describeValue, except that text is
 * shown as written rather than JSON-escaped: `"ACME\eve"`, not `"ACME\\eve"`. Text with
 * control characters or quotes keeps the escaped form, which is then the clearer one.
 */
export function describeValue(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  const plain = typeof value === 'string' && value.length <= 60 && !/["\u0000-\u001f\u007f]/.test(value);
  return plain ? `"${value}"` : describeConfigValue(value);
}

/** `; did you mean "x"?`, or the whole list when nothing is close and the list is short. */
export function suggestion(word: string, candidates: readonly string[], listIfNone = true): string {
  const near = closest(word, candidates);
  if (near !== undefined) return `; did you mean "${near}"?`;
  return listIfNone && candidates.length > 0 && candidates.length <= 12
    ? `; use one of ${candidates.join(', ')}`
    : '';
}

/** Why YAML gave a non-text value where text was wanted, for `got ...` messages. */
export function quoteHint(value: unknown): string {
  if (typeof value === 'number') return ' (YAML reads it as a number; put it in quotes)';
  if (typeof value === 'boolean') return ' (YAML reads it as true/false; put it in quotes)';
  return '';
}

export function oneOf<const T extends string>(
  value: unknown,
  choices: readonly T[],
  what: string,
): Checked<T> {
  const match = choices.find((choice) => choice === value);
  if (match !== undefined) return { value: match };
  const hint = typeof value === 'string' ? suggestion(value, choices, false) : '';
  return { problem: `${what} must be one of ${choices.join(', ')}, got ${describeValue(value)}${hint}` };
}

export function text(value: unknown, what: string): Checked<string> {
  if (typeof value === 'string') return { value };
  return { problem: `${what} must be text, got ${describeValue(value)}${quoteHint(value)}` };
}

export function boolean(value: unknown, what: string): Checked<boolean> {
  if (typeof value === 'boolean') return { value };
  const quoted = typeof value === 'string' && /^(true|false)$/i.test(value.trim());
  const hint = quoted ? ` (write ${value.trim().toLowerCase()} without quotes)` : '';
  return { problem: `${what} must be true or false, got ${describeValue(value)}${hint}` };
}

/**
 * A duration written with a unit: `30m`, `1h30m`. `zeroAllowed`: a bare `0` means "none".
 * Bounds are inclusive; a value outside them is refused with the bound in the same units.
 */
export function duration(
  value: unknown,
  what: string,
  options: { readonly example: string; readonly zeroAllowed: boolean; readonly maxMs?: number },
): Checked<number> {
  const { example } = options;
  if (options.zeroAllowed && (value === 0 || value === '0')) return { value: 0 };
  if (typeof value === 'number') {
    return {
      problem: `${what} must be a duration with a unit, e.g. ${example}, got ${describeValue(value)}`,
    };
  }
  if (typeof value !== 'string') {
    return { problem: `${what} must be a duration such as ${example}, got ${describeValue(value)}` };
  }
  const ms = parseDuration(value);
  if (ms === null) {
    return {
      problem: `${what} ${describeValue(value)} is not a duration; write e.g. ${example} (units ms, s, m, h, d)`,
    };
  }
  if (ms === 0 && !options.zeroAllowed) {
    return { problem: `${what} must be longer than 0, e.g. ${example}` };
  }
  if (options.maxMs !== undefined && ms > options.maxMs) {
    return { problem: `${what} ${describeValue(value)} is too long; at most ${formatHours(options.maxMs)}` };
  }
  return { value: ms };
}

/** `24h` rather than formatDuration's `1d`: bounds read best in the unit people write them in. */
function formatHours(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : formatDuration(ms);
}

/** Rule ids, and the names of lists and schedules: safe in subjects, logs and file names. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `Leaver Login!` → `leaver-login`, to show what a valid id would look like. */
export function slug(textValue: string): string {
  return textValue
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
}

/**
 * Event kinds by meaning as well as spelling: `session.begin` is not a typo of `session.start`
 * by edit distance, but it is what the operator meant.
 */
const VERBS: Readonly<Record<string, readonly string[]>> = {
  begin: [
    'start',
    'starts',
    'started',
    'begin',
    'begins',
    'began',
    'open',
    'opened',
    'login',
    'logon',
    'new',
    'create',
    'created',
    'connect',
    'connected',
  ],
  end: [
    'stop',
    'stops',
    'stopped',
    'end',
    'ends',
    'ended',
    'close',
    'closed',
    'logout',
    'logoff',
    'disconnect',
    'disconnected',
  ],
  expire: ['expire', 'expires', 'expired', 'expiry', 'timeout', 'timedout', 'lost'],
};
const KIND_BY_MEANING: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  session: { begin: 'session.start', end: 'session.stop', expire: 'session.expired' },
  connection: { begin: 'connection.open', end: 'connection.close' },
};

export function closestEventKind(word: string): string | undefined {
  const byEdits = closestByEdits(word, RULE_EVENT_KINDS);
  if (byEdits !== undefined) return byEdits;
  const [noun = '', verb = ''] = word.toLowerCase().split(/[.\s_:/-]+/);
  // A bare `login` / `logout` is about sessions.
  if (verb === '' && /^(log|sign)-?(in|on)$/.test(noun)) return 'session.start';
  if (verb === '' && /^(log|sign)-?(out|off)$/.test(noun)) return 'session.stop';
  const subject = /^sess/.test(noun) ? 'session' : /^conn/.test(noun) ? 'connection' : undefined;
  if (subject === undefined) return closest(word, RULE_EVENT_KINDS);
  const meaning = Object.keys(VERBS).find((key) => VERBS[key]?.includes(verb));
  return (
    (meaning === undefined ? undefined : KIND_BY_MEANING[subject]?.[meaning]) ??
    closest(word, RULE_EVENT_KINDS)
  );
}

export function eventKind(value: unknown, what: string): Checked<string> {
  if (typeof value === 'string' && (RULE_EVENT_KINDS as readonly string[]).includes(value)) return { value };
  const near = typeof value === 'string' ? closestEventKind(value) : undefined;
  const hint = near === undefined ? '' : `; did you mean "${near}"?`;
  return {
    problem: `${what} must be one of ${RULE_EVENT_KINDS.join(', ')}, got ${describeValue(value)}${hint}`,
  };
}
