import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../src/core/events.js';
import { REJECT_REASONS, type DecodeResult, type Reject, type RejectReason } from '../../src/core/reject.js';
import { createDecoder, DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/ingest/decode.js';
import { normaliseField } from '../../src/ingest/text.js';

/**
 * Fixture lines are `{"name", "datagram", "expect"}`. `expect` is `{"reject": true}` (shared
 * fixture), `{"reject": "<reason>"}`, or flat event fields (see FLAT_FIELDS). Our own file also
 * uses `"datagramHex"` instead of `"datagram"` for bytes JSON cannot spell (invalid UTF-8), and
 * `"limits"` for cases about caps.
 */
interface FixtureCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly limits: Partial<DecodeLimits> | undefined;
  readonly expect: Readonly<Record<string, unknown>>;
}

const FLAT_FIELDS = [
  'kind',
  'host',
  'userDirectory',
  'userId',
  'origin',
  'context',
  'appId',
  'message',
  'browser',
  'browserVersion',
  'os',
  'osVersion',
  'userAgentRaw',
] as const;
type FlatField = (typeof FLAT_FIELDS)[number];

const LIMIT_KEYS: readonly string[] = Object.keys(DEFAULT_DECODE_LIMITS);
const encoder = new TextEncoder();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new Error(`bad hex ${hex}`);
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** Parses and validates a fixture file, so that a typo in a key fails loudly instead of testing nothing. */
function loadFixture(file: string): FixtureCase[] {
  const text = readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const parsed: unknown = JSON.parse(line);
      const where = `${file} line ${index + 1}`;
      if (!isRecord(parsed) || typeof parsed.name !== 'string' || !isRecord(parsed.expect)) {
        throw new Error(`${where}: needs a name and an expect object`);
      }
      let bytes: Uint8Array;
      if (typeof parsed.datagram === 'string') bytes = encoder.encode(parsed.datagram);
      else if (typeof parsed.datagramHex === 'string') bytes = hexToBytes(parsed.datagramHex);
      else throw new Error(`${where}: needs datagram or datagramHex`);
      let limits: Partial<DecodeLimits> | undefined;
      if (parsed.limits !== undefined) {
        if (!isRecord(parsed.limits)) throw new Error(`${where}: limits must be an object`);
        for (const [key, value] of Object.entries(parsed.limits)) {
          if (!LIMIT_KEYS.includes(key) || typeof value !== 'number')
            throw new Error(`${where}: bad limit ${key}`);
        }
        limits = parsed.limits;
      }
      const expectKeys = Object.keys(parsed.expect);
      if ('reject' in parsed.expect) {
        const reason = parsed.expect.reject;
        const reasonOk =
          reason === true ||
          (typeof reason === 'string' && (REJECT_REASONS as readonly string[]).includes(reason));
        if (expectKeys.length !== 1 || !reasonOk) throw new Error(`${where}: bad reject expectation`);
      } else {
        const unknown = expectKeys.filter((key) => !(FLAT_FIELDS as readonly string[]).includes(key));
        if (unknown.length > 0 || expectKeys.length === 0) {
          throw new Error(`${where}: unknown expected fields ${unknown.join(', ')}`);
        }
      }
      return { name: parsed.name, bytes, limits, expect: parsed.expect };
    });
}

function flatten(event: UserEvent): Record<FlatField, string | null> {
  return {
    kind: event.kind,
    host: event.host,
    userDirectory: event.user.directory,
    userId: event.user.id,
    origin: event.origin,
    context: event.context,
    appId: event.appId,
    message: event.message,
    browser: event.userAgent?.browser ?? null,
    browserVersion: event.userAgent?.browserVersion ?? null,
    os: event.userAgent?.os ?? null,
    osVersion: event.userAgent?.osVersion ?? null,
    userAgentRaw: event.userAgent?.raw ?? null,
  };
}

function expectEvent(result: DecodeResult): UserEvent {
  if (!result.ok)
    throw new Error(`expected an event, got reject ${result.reject.reason}: ${result.reject.detail}`);
  return result.event;
}

function expectReject(result: DecodeResult): Reject {
  if (result.ok) throw new Error(`expected a reject, got event ${JSON.stringify(result.event)}`);
  return result.reject;
}

function checkCase(c: FixtureCase): void {
  const decode = createDecoder(c.limits === undefined ? {} : { limits: c.limits });
  const result = decode(c.bytes);
  if ('reject' in c.expect) {
    const reject = expectReject(result);
    if (c.expect.reject !== true) expect(reject.reason).toBe(c.expect.reject);
    expect(reject.bytes).toBe(c.bytes.length);
    return;
  }
  const flat = flatten(expectEvent(result));
  const actual: Record<string, unknown> = {};
  for (const key of Object.keys(c.expect)) actual[key] = flat[key as FlatField];
  expect(actual).toEqual(c.expect);
}

const text = (s: string): Uint8Array => encoder.encode(s);
const GUID = '0f4c1d6e-8a7b-4c3d-9e2f-1a2b3c4d5e6f';
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const OPEN = `/qseow-proxy-connection/;SENSE-NODE1;Open connection;CORP;jdoe;AppAccess;/app/${GUID}?reloaduri=https%3a%2f%2fsense.example.com;Engine connection Opened for session. UserAgent: '${CHROME}'`;

describe('shared fixture (test/fixtures/user-events.jsonl)', () => {
  const cases = loadFixture('user-events.jsonl');
  it('has the cases of the shared fixture', () => {
    expect(cases).toHaveLength(12);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    checkCase(c);
  });
});

describe('own cases (test/fixtures/datagrams.jsonl)', () => {
  const cases = loadFixture('datagrams.jsonl');
  it('covers every reject reason decode can give', () => {
    const reasons = new Set(cases.map((c) => c.expect.reject).filter((r) => typeof r === 'string'));
    const decodeReasons = REJECT_REASONS.filter((r) => r !== 'source-not-allowed');
    expect([...reasons].sort()).toEqual([...decodeReasons].sort());
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    checkCase(c);
  });
});

describe('decode', () => {
  const decode = createDecoder();

  it('has the documented default limits', () => {
    expect(DEFAULT_DECODE_LIMITS).toEqual({
      maxDatagramBytes: 16384,
      maxFieldChars: 512,
      maxMessageChars: 4096,
      maxRawChars: 2048,
    });
  });

  it('decodes a connection into the whole event, and nothing else', () => {
    expect(decode(text(OPEN))).toEqual({
      ok: true,
      event: {
        kind: 'connection.open',
        host: 'SENSE-NODE1',
        user: { directory: 'CORP', id: 'jdoe' },
        origin: 'AppAccess',
        context: `/app/${GUID}?reloaduri=https%3a%2f%2fsense.example.com`,
        appId: GUID,
        userAgent: {
          raw: CHROME,
          browser: 'Chrome',
          browserVersion: '120.0.0.0',
          os: 'Windows',
          osVersion: 'NT 10.0',
        },
        message: `Engine connection Opened for session. UserAgent: '${CHROME}'`,
      },
    });
  });

  it('decodes a Buffer and a view into a larger buffer like a plain array', () => {
    const padded = new Uint8Array(text(`xx${OPEN}yy`).buffer, 2, text(OPEN).length);
    expect(decode(Buffer.from(OPEN))).toEqual(decode(text(OPEN)));
    expect(decode(padded)).toEqual(decode(text(OPEN)));
  });

  it('shares one frozen user agent object between events with the same user agent', () => {
    const first = expectEvent(decode(text(OPEN)));
    const second = expectEvent(decode(text(OPEN.replace('jdoe', 'asmith'))));
    expect(second.userAgent).toBe(first.userAgent);
    expect(Object.isFrozen(first.userAgent)).toBe(true);
  });

  it('gives equal events with the user agent memo disabled', () => {
    const uncached = createDecoder({ userAgentCacheSize: 0 });
    const a = expectEvent(uncached(text(OPEN)));
    const b = expectEvent(uncached(text(OPEN)));
    expect(a).toEqual(expectEvent(decode(text(OPEN))));
    expect(b.userAgent).not.toBe(a.userAgent);
    expect(b).toEqual(a);
  });

  it('keeps the limits it was not given at their defaults', () => {
    const small = createDecoder({ limits: { maxFieldChars: 4 } });
    const event = expectEvent(small(text(OPEN)));
    expect(event.host).toBe('SENS');
    expect(event.message).toBe(`Engine connection Opened for session. UserAgent: '${CHROME}'`);
    const pad = (n: number) => `/proxy-session/;h;Stop session;d;u;o;c;${'x'.repeat(n)}`;
    const atLimit = text(pad(16384 - text(pad(0)).length));
    expect(atLimit.length).toBe(16384);
    expect(small(atLimit).ok).toBe(true);
    expect(expectReject(small(text(pad(16385 - text(pad(0)).length)))).reason).toBe('too-large');
  });

  it.each([
    [{ maxFieldChars: 0 }],
    [{ maxDatagramBytes: 0 }],
    [{ maxMessageChars: -1 }],
    [{ maxRawChars: 1.5 }],
    [{ maxFieldChars: Number.NaN }],
    [{ maxDatagramBytes: Number.POSITIVE_INFINITY }],
  ])('refuses limits %j at construction', (limits: Partial<DecodeLimits>) => {
    expect(() => createDecoder({ limits })).toThrow(RangeError);
  });

  it('refuses a negative or fractional user agent cache size', () => {
    expect(() => createDecoder({ userAgentCacheSize: -1 })).toThrow(RangeError);
    expect(() => createDecoder({ userAgentCacheSize: 2.5 })).toThrow(RangeError);
  });

  it('allows zero message and raw caps (privacy)', () => {
    const quiet = createDecoder({ limits: { maxMessageChars: 0, maxRawChars: 0 } });
    const event = expectEvent(quiet(text(OPEN)));
    expect(event.message).toBe('');
    expect(event.userAgent?.browser).toBe('Chrome');
    expect(expectReject(quiet(text('garbage\u0007'))).raw).toBe('');
  });
});

describe('rejects', () => {
  const decode = createDecoder();
  const PREFIXES =
    '"/qseow-proxy-session/", "/qseow-proxy-connection/", "/proxy-session/", "/proxy-connection/"';
  const COMMANDS = '"Start session", "Stop session", "Open connection", "Close connection"';

  it.each<[string, Uint8Array, RejectReason, string]>([
    ['zero bytes', new Uint8Array(0), 'empty', 'datagram is empty (0 bytes)'],
    ['blank', text(' \r\n'), 'empty', 'datagram has only whitespace'],
    [
      'too large',
      new Uint8Array(16385).fill(0x41),
      'too-large',
      'datagram is 16385 bytes; the limit is 16384',
    ],
    ['invalid UTF-8', Uint8Array.of(0x41, 0xff), 'invalid-utf8', 'datagram is not valid UTF-8'],
    [
      'unknown prefix',
      text('just some text'),
      'unknown-prefix',
      `unknown prefix "just some text"; expected one of ${PREFIXES}`,
    ],
    [
      'too few fields',
      text('/qseow-proxy-session/;SENSE-NODE1'),
      'too-few-fields',
      'datagram has 2 fields; expected at least 7 (type;host;command;directory;userId;origin;context[;message])',
    ],
    [
      'one field',
      text('/qseow-proxy-session/'),
      'too-few-fields',
      'datagram has 1 field; expected at least 7 (type;host;command;directory;userId;origin;context[;message])',
    ],
    [
      'unknown command',
      text('/qseow-proxy-session/;SENSE-NODE1;Pause session;CORP;jdoe;AppAccess;/hub/;x'),
      'unknown-command',
      `unknown command "Pause session"; expected one of ${COMMANDS}`,
    ],
    [
      'command under the wrong prefix',
      text('/proxy-session/;SENSE-NODE1;Close connection;CORP;jdoe;AppAccess;/hub/;x'),
      'command-prefix-mismatch',
      'command "Close connection" is a connection command but prefix "/proxy-session/" is for sessions',
    ],
    [
      'empty host',
      text('/qseow-proxy-session/; ;Start session;CORP;jdoe;AppAccess;/hub/;x'),
      'empty-host',
      'the host field is empty',
    ],
    [
      'empty user id',
      text('/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;\t;AppAccess;/hub/;x'),
      'empty-user-id',
      'the user id field is empty',
    ],
  ])('%s: reason and detail', (_name, bytes, reason, detail) => {
    expect(expectReject(decode(bytes))).toMatchObject({ reason, detail, bytes: bytes.length });
  });

  it('escapes control characters in raw and in the detail, and counts bytes not characters', () => {
    expect(expectReject(decode(text('\u0007garbage\u0085x\n')))).toEqual({
      reason: 'unknown-prefix',
      detail: `unknown prefix "\\x07garbage\\x85x"; expected one of ${PREFIXES}`,
      raw: '\\x07garbage\\x85x\\x0a',
      bytes: 12,
    });
  });

  it('keeps the raw text as it came (no trimming), backslashes unescaped', () => {
    const raw = '/qseow-proxy-session/;SENSE-NODE1;Pause session;CORP;jdoe;;/hub/;user CORP\\jdoe\r\n';
    expect(expectReject(decode(text(raw))).raw).toBe(raw.replace('\r\n', '\\x0d\\x0a'));
  });

  it('writes invalid UTF-8 as replacement characters in raw', () => {
    const reject = expectReject(decode(Uint8Array.of(0x41, 0xff, 0x42, 0xc3)));
    expect(reject).toEqual({
      reason: 'invalid-utf8',
      detail: 'datagram is not valid UTF-8',
      raw: 'A\ufffdB\ufffd',
      bytes: 4,
    });
  });

  it('caps raw to maxRawChars, for ordinary, too-large and invalid datagrams alike', () => {
    const garbage = expectReject(decode(text('g'.repeat(5000))));
    expect(garbage.raw).toBe('g'.repeat(2048));
    const large = expectReject(decode(new Uint8Array(70_000).fill(0x61)));
    expect(large).toMatchObject({ reason: 'too-large', raw: 'a'.repeat(2048), bytes: 70_000 });
    const invalid = new Uint8Array(10_000).fill(0xff);
    expect(expectReject(decode(invalid))).toMatchObject({ raw: '\ufffd'.repeat(2048), bytes: 10_000 });
    expect(expectReject(decode(text('€'.repeat(3000)))).raw).toBe('€'.repeat(2048));
    const largeThreeByteChars = expectReject(decode(text('€'.repeat(7000))));
    expect(largeThreeByteChars).toMatchObject({ reason: 'too-large', raw: '€'.repeat(2048), bytes: 21_000 });
  });

  it('never cuts an escape sequence or a surrogate pair in raw', () => {
    const tiny = createDecoder({ limits: { maxRawChars: 6 } });
    expect(expectReject(tiny(text('ab\u0007cd'))).raw).toBe('ab\\x07');
    expect(expectReject(tiny(text('abc\u0007'))).raw).toBe('abc');
    expect(expectReject(tiny(text('abcde😀'))).raw).toBe('abcde');
  });

  it('quotes a long unknown prefix only in part', () => {
    const reject = expectReject(decode(text('x'.repeat(100))));
    expect(reject.detail).toBe(`unknown prefix "${'x'.repeat(64)}…"; expected one of ${PREFIXES}`);
  });
});

describe('cost does not depend on what the message holds', () => {
  const big = createDecoder({ limits: { maxDatagramBytes: 200_000 } });
  const head = '/qseow-proxy-session/;SENSE-NODE1;Stop session;CORP;jdoe;AppAccess;/hub/;';
  const semicolons = text(head + ';'.repeat(100_000));

  it('decodes a message of 100k semicolons, capped', () => {
    const event = expectEvent(big(semicolons));
    expect(event.message).toBe(';'.repeat(4096));
    expect(event.context).toBe('/hub/');
  });

  it('rejects it as too large under the default limit', () => {
    expect(expectReject(createDecoder()(semicolons)).reason).toBe('too-large');
  });
});

describe('field normalisation', () => {
  const isControl = (c: number) => c <= 0x1f || (c >= 0x7f && c <= 0x9f);

  it('agrees with strip + String.prototype.trim for every UTF-16 code unit, on both paths', () => {
    const mismatches: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const blank = isControl(c) || ch.trim() === '';
      // Longer than the cap: the bounded loop with its own whitespace test.
      const long = normaliseField(`${ch}abcdef${ch}`, 3);
      if (long !== (blank ? 'abc' : `${ch}ab`)) mismatches.push(`long U+${c.toString(16)}`);
      // Within the cap: the native fast path.
      const short = normaliseField(`${ch}ab${ch}`, 10);
      if (short !== (blank ? 'ab' : `${ch}ab${ch}`)) mismatches.push(`short U+${c.toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('strips controls before trimming, and trims again after the cap', () => {
    expect(normaliseField('\u0007  a b\u0085 ', 10)).toBe('a b');
    expect(normaliseField(`\u0007  ${'x'.repeat(20)}`, 10)).toBe('x'.repeat(10));
    expect(normaliseField('ab   cdefghijkl', 4)).toBe('ab');
    expect(normaliseField('a\u0000b\u0000c\u0000d\u0000e', 3)).toBe('abc');
    expect(normaliseField(' \t\r\n', 2)).toBe('');
    expect(normaliseField('abc', 0)).toBe('');
  });
});
