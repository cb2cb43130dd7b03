/**
 * The aggregator's `alerting` key: where firing and resolved alerts are forwarded (receivers) and
 * which alerts go where (routes). One key holding both, so a route naming a receiver that does
 * not exist is found by the same check that reads them, at its line and column. Every field is
 * listed in the README's "Alert receivers" tables; the schema here is the authority.
 */
import { HOUR, MINUTE, SECOND, DAY } from './key-spec.js';
import { type InnerPath, MappingReader, schemaOf } from './mapping-reader.js';
import { describeValue } from './issues.js';
import { didYouMean } from './suggest.js';
import {
  type ValueIssue,
  booleanValue,
  durationBetween,
  integerBetween,
  isHostName,
  listOf,
  oneOf,
  textMatching,
} from './values.js';
import { parseIp } from './ip.js';

export const RECEIVER_TYPES = ['webhook', 'slack', 'teams', 'smtp'] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export const ORIGINS = ['any', 'node', 'cluster'] as const;
export type AlertOrigin = (typeof ORIGINS)[number];
export const SMTP_TLS_MODES = ['starttls', 'implicit', 'none'] as const;
export type SmtpTlsMode = (typeof SMTP_TLS_MODES)[number];
export const SMTP_AUTH_MECHANISMS = ['plain', 'login'] as const;
export type SmtpAuthMechanism = (typeof SMTP_AUTH_MECHANISMS)[number];

/**
 * A value that may be secret: written in the file, or read at start from a file or an
 * environment variable. `prefix` is put in front (`Bearer `), so a token file holds only the token.
 */
export type SecretSource =
  | { readonly from: 'text'; readonly value: string }
  | { readonly from: 'file'; readonly path: string; readonly prefix: string }
  | { readonly from: 'env'; readonly name: string; readonly prefix: string };

export interface RateLimit {
  readonly max: number;
  readonly perMs: number;
}

interface ReceiverCommon {
  readonly name: string;
  readonly rateLimit: RateLimit;
  /** Notices waiting for this receiver at most; a new one beyond is dropped (counted). */
  readonly maxQueue: number;
  /** A notice not delivered this long after it was queued is given up (counted). */
  readonly giveUpAfterMs: number;
  /** Every network call (connect, request, each SMTP reply) within this. */
  readonly timeoutMs: number;
}

export interface HttpHeaderSpec {
  readonly name: string;
  readonly value: SecretSource;
}

export type ReceiverSpec =
  | (ReceiverCommon & {
      readonly type: 'webhook';
      readonly url: SecretSource;
      readonly headers: readonly HttpHeaderSpec[];
    })
  | (ReceiverCommon & { readonly type: 'slack' | 'teams'; readonly url: SecretSource })
  | (ReceiverCommon & {
      readonly type: 'smtp';
      readonly host: string;
      readonly port: number;
      readonly tls: SmtpTlsMode;
      /** Empty: no authentication. */
      readonly user: string;
      readonly password: SecretSource | null;
      readonly auth: SmtpAuthMechanism;
      readonly from: string;
      readonly to: readonly string[];
      /** PEM CA to verify the server with ('' = the system's). */
      readonly caFile: string;
    });

export interface RouteSpec {
  readonly receivers: readonly string[];
  /** Null: any severity. */
  readonly severities: readonly AlertSeverity[] | null;
  /** Rule ids or globs (`license-*`); null: any rule. */
  readonly rules: readonly string[] | null;
  readonly origin: AlertOrigin;
  /** Look at the next routes too after this one matched (otherwise the first match ends it). */
  readonly continue: boolean;
}

export interface AlertingConfig {
  readonly receivers: readonly ReceiverSpec[];
  readonly routes: readonly RouteSpec[];
}

export const NO_ALERTING: AlertingConfig = { receivers: [], routes: [] };

export const RECEIVER_DEFAULTS = {
  rateLimit: { max: 30, perMs: 10 * MINUTE },
  maxQueue: 10_000,
  giveUpAfterMs: 6 * HOUR,
  timeoutMs: 10 * SECOND,
} as const;

const SMTP_DEFAULT_PORTS: Readonly<Record<SmtpTlsMode, number>> = { implicit: 465, starttls: 587, none: 25 };

const COMMON_FIELDS = ['name', 'type', 'rateLimit', 'maxQueue', 'giveUpAfter', 'timeout'];
const FIELDS: Readonly<Record<ReceiverType, readonly string[]>> = {
  webhook: [...COMMON_FIELDS, 'url', 'headers'],
  slack: [...COMMON_FIELDS, 'url'],
  teams: [...COMMON_FIELDS, 'url'],
  smtp: [...COMMON_FIELDS, 'host', 'port', 'tls', 'user', 'password', 'auth', 'from', 'to', 'caFile'],
};
const ROUTE_FIELDS = ['receivers', 'severities', 'rules', 'origin', 'continue'];

const RECEIVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** RFC 7230 token characters. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** What SMTP and the headers can carry safely: no spaces, angle brackets or line breaks. */
const MAIL_ADDRESS = /^[^\s@<>(),;:"[\]\\]+@[A-Za-z0-9.-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const receiverName = textMatching((t) => RECEIVER_NAME.test(t), 'a name of 1 to 64 letters, digits, _ and -');
const nonEmptyText = textMatching((t) => t.trim() !== '', 'text');
const mailAddress = textMatching(
  (t) => MAIL_ADDRESS.test(t),
  'an e-mail address like sense-alerts@example.com',
);
const hostOrIp = textMatching((t) => parseIp(t) !== null || isHostName(t), 'a host name or IP address');

/** An http(s) URL without user:password (credentials go in headers, from a file or the environment). */
export function httpUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL; write e.g. https://hooks.example.com/sense';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `must be an http:// or https:// URL, got ${url.protocol}//`;
  if (url.username !== '' || url.password !== '')
    return 'must not hold user:password; send credentials in a header read from a file or the environment';
  return null;
}

function secret(
  r: MappingReader,
  field: string,
  options: { readonly textAllowed: boolean; readonly check?: (text: string) => string | null },
): SecretSource | null {
  const raw = r.raw(field);
  if (typeof raw === 'string') {
    if (!options.textAllowed) {
      r.problem(
        field,
        `must not be written in the config file; write ${field}: {file: /path/to/file} or ${field}: {env: VARIABLE}`,
      );
      return null;
    }
    // Only a plain value can be checked now; files and variables are checked when they are read at start.
    const problem = options.check?.(raw.trim()) ?? null;
    if (problem !== null) {
      r.problem(field, problem);
      return null;
    }
    return { from: 'text', value: raw.trim() };
  }
  const sub = r.child(field, `${options.textAllowed ? 'text, or ' : ''}{file: path} or {env: VARIABLE}`);
  if (sub === null) return null;
  sub.onlyFields(['file', 'env', 'prefix']);
  const prefix = sub.optional(
    'prefix',
    textMatching(() => true, 'text'),
    '',
  );
  if (sub.has('file') === sub.has('env')) {
    sub.problem(null, 'give exactly one of file: (a path) or env: (a variable name)');
    return null;
  }
  if (sub.has('file')) return { from: 'file', path: sub.optional('file', nonEmptyText, ''), prefix };
  const name = sub.optional(
    'env',
    textMatching((t) => ENV_NAME.test(t), 'an environment variable name'),
    '',
  );
  return { from: 'env', name, prefix };
}

function rateLimit(r: MappingReader): RateLimit {
  if (!r.has('rateLimit')) return RECEIVER_DEFAULTS.rateLimit;
  const m = r.child('rateLimit', '{max: 30, per: 10m}');
  if (m === null) return RECEIVER_DEFAULTS.rateLimit;
  m.onlyFields(['max', 'per']);
  return {
    max: m.optional('max', integerBetween(1, 100_000), RECEIVER_DEFAULTS.rateLimit.max),
    perMs: m.optional('per', durationBetween(SECOND, DAY), RECEIVER_DEFAULTS.rateLimit.perMs),
  };
}

function headers(r: MappingReader): HttpHeaderSpec[] {
  if (!r.has('headers')) return [];
  const m = r.child('headers', 'header name: value');
  if (m === null) return [];
  const out: HttpHeaderSpec[] = [];
  for (const name of (r.raw('headers') as Map<string, unknown>).keys()) {
    if (!HEADER_NAME.test(name)) {
      m.problem(name, `"${name}" is not an HTTP header name`);
      continue;
    }
    if (['content-type', 'content-length', 'host', 'transfer-encoding'].includes(name.toLowerCase())) {
      m.problem(name, `${name} is set by the aggregator itself; remove it`);
      continue;
    }
    const value = secret(m, name, {
      textAllowed: true,
      check: (t) => (/[\r\n]/.test(t) ? 'must be one line' : null),
    });
    if (value !== null) out.push({ name, value });
  }
  return out;
}

function receiver(input: unknown, path: InnerPath, issues: ValueIssue[]): ReceiverSpec | null {
  const r = MappingReader.of(input, path, issues, 'a receiver with name:, type: and its settings');
  if (r === null) return null;
  const name = r.required('name', receiverName, '', 'give each receiver a name: routes refer to it');
  const type = r.required('type', oneOf(RECEIVER_TYPES), null, `write type: ${RECEIVER_TYPES.join(' | ')}`);
  if (type === null) {
    r.onlyFields([...new Set(Object.values(FIELDS).flat())]);
    return null;
  }
  r.onlyFields(FIELDS[type]);
  const common: ReceiverCommon = {
    name,
    rateLimit: rateLimit(r),
    maxQueue: r.optional('maxQueue', integerBetween(1, 1_000_000), RECEIVER_DEFAULTS.maxQueue),
    giveUpAfterMs: r.optional(
      'giveUpAfter',
      durationBetween(MINUTE, 7 * DAY),
      RECEIVER_DEFAULTS.giveUpAfterMs,
    ),
    timeoutMs: r.optional('timeout', durationBetween(SECOND, 5 * MINUTE), RECEIVER_DEFAULTS.timeoutMs),
  };
  const url = (): SecretSource | null => {
    if (!r.has('url')) {
      r.problem(null, `"url" is missing; write the ${type} URL, or url: {file: path} / {env: VARIABLE}`);
      return null;
    }
    return secret(r, 'url', { textAllowed: true, check: httpUrlProblem });
  };
  if (type === 'webhook') {
    const u = url();
    const h = headers(r);
    return u === null ? null : { ...common, type, url: u, headers: h };
  }
  if (type === 'slack' || type === 'teams') {
    const u = url();
    return u === null ? null : { ...common, type, url: u };
  }
  const tls = r.optional('tls', oneOf(SMTP_TLS_MODES), 'starttls');
  const user = r.optional('user', nonEmptyText, '');
  let password: SecretSource | null = null;
  if (r.has('password')) password = secret(r, 'password', { textAllowed: false });
  if (user !== '' && !r.has('password'))
    r.problem(
      null,
      '"user" is set but "password" is missing; write password: {file: path} or {env: VARIABLE}',
    );
  if (user === '' && r.has('password'))
    r.problem('password', 'is set without "user"; add user: or remove password');
  if (user !== '' && tls === 'none')
    r.problem(
      'tls',
      'must be starttls or implicit when user and password are set (they would cross the network in clear)',
    );
  const to = r.required('to', listOf(mailAddress, 'e-mail addresses'), [], 'write to: [ops@example.com]');
  if (r.has('to') && Array.isArray(r.raw('to')) && (r.raw('to') as unknown[]).length === 0)
    r.problem('to', 'must name at least one address');
  return {
    ...common,
    type,
    host: r.required('host', hostOrIp, '', 'write the SMTP server, e.g. host: smtp.example.com'),
    port: r.optional('port', integerBetween(1, 65_535), SMTP_DEFAULT_PORTS[tls]),
    tls,
    user,
    password,
    auth: r.optional('auth', oneOf(SMTP_AUTH_MECHANISMS), 'plain'),
    from: r.required('from', mailAddress, '', 'write from: sense-alerts@example.com'),
    to,
    caFile: r.optional('caFile', nonEmptyText, ''),
  };
}

function route(
  input: unknown,
  path: InnerPath,
  issues: ValueIssue[],
  names: readonly string[],
): RouteSpec | null {
  const r = MappingReader.of(input, path, issues, 'a route with receivers: and what it matches');
  if (r === null) return null;
  r.onlyFields(ROUTE_FIELDS);
  const receivers = r.required(
    'receivers',
    listOf(receiverName, 'receiver names'),
    [],
    'write receivers: [name, ...]',
  );
  const raw = r.raw('receivers');
  if (Array.isArray(raw) && raw.length === 0) r.problem('receivers', 'must name at least one receiver');
  receivers.forEach((name, index) => {
    if (names.includes(name)) return;
    issues.push({
      path: [...path, 'receivers', index],
      message: `no receiver is named "${name}"${didYouMean(name, names)}${names.length === 0 ? '; define it under alerting.receivers' : ''}`,
    });
  });
  const severities = r.has('severities')
    ? r.optional('severities', listOf(oneOf(ALERT_SEVERITIES), 'severities (info, warning, critical)'), [])
    : null;
  const rules = r.has('rules')
    ? r.optional('rules', listOf(nonEmptyText, 'rule ids or globs like license-*'), [])
    : null;
  return {
    receivers: [...new Set(receivers)],
    severities,
    rules,
    origin: r.optional('origin', oneOf(ORIGINS), 'any'),
    continue: r.optional('continue', booleanValue, false),
  };
}

function listAt(parent: MappingReader, field: string, issues: ValueIssue[]): unknown[] {
  if (!parent.has(field)) return [];
  const raw = parent.raw(field);
  if (Array.isArray(raw)) return raw;
  issues.push({ path: [field], message: `must be a list, got ${describeValue(raw)}` });
  return [];
}

export const alertingValue = schemaOf<AlertingConfig>((input, issues) => {
  if (typeof input === 'string') {
    issues.push({
      path: [],
      message: 'receivers and routes are set in the config file only, not from the environment',
    });
    return NO_ALERTING;
  }
  const top = MappingReader.of(input, [], issues, 'receivers: [...] and routes: [...]');
  if (top === null) return NO_ALERTING;
  top.onlyFields(['receivers', 'routes']);
  const receivers: ReceiverSpec[] = [];
  const seen = new Map<string, number>();
  listAt(top, 'receivers', issues).forEach((item, index) => {
    const spec = receiver(item, ['receivers', index], issues);
    // A receiver with other mistakes still has its name: routes naming it get no second issue.
    const name = item instanceof Map ? (item as Map<string, unknown>).get('name') : undefined;
    if (typeof name === 'string' && RECEIVER_NAME.test(name)) {
      const earlier = seen.get(name);
      if (earlier !== undefined)
        issues.push({
          path: ['receivers', index, 'name'],
          message: `"${name}" is already the name of receivers[${earlier}]; names must be unique`,
        });
      else seen.set(name, index);
    }
    if (spec !== null) receivers.push(spec);
  });
  const names = [...seen.keys()];
  const routes: RouteSpec[] = [];
  listAt(top, 'routes', issues).forEach((item, index) => {
    const spec = route(item, ['routes', index], issues, names);
    if (spec !== null) routes.push(spec);
  });
  // A receiver no route names is most likely a typo in a route: refused rather than left idle.
  const named = new Set(routes.flatMap((r) => r.receivers));
  for (const [name, index] of seen)
    if (!named.has(name))
      issues.push({
        path: ['receivers', index, 'name'],
        message: `no route sends anything to "${name}"; name it in a route's receivers, or remove it`,
      });
  return { receivers, routes };
});
