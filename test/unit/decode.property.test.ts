import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, type UserEvent } from '../../src/core/events.js';
import { REJECT_REASONS, type DecodeResult } from '../../src/core/reject.js';
import { createDecoder, DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../src/ingest/decode.js';

/**
 * Properties of decode, checked against a reference model written independently of src/ingest
 * (plain array filters, native trim, a regular expression for the app id).
 */

const encoder = new TextEncoder();

// ---- reference model ------------------------------------------------------------------------

function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

function hasControl(s: string): boolean {
  return Array.from(s).some((ch) => isControl(ch.charCodeAt(0)));
}

/** strip controls, trim, cap without splitting a surrogate pair, trim the end again */
function normalise(s: string, max: number): string {
  const clean = Array.from(s)
    .filter((ch) => !isControl(ch.charCodeAt(0)))
    .join('')
    .trim();
  if (clean.length <= max) return clean;
  let cut = clean.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut.trimEnd();
}

const APP_ID = /(?:^|\/)app\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=$|\/)/i;

function referenceAppId(context: string): string | null {
  const path = context.split(/[?#]/)[0] ?? '';
  return APP_ID.exec(path)?.[1]?.toLowerCase() ?? null;
}

function referenceUserAgentRaw(message: string, max: number): string | null {
  const marker = "UserAgent: '";
  const at = message.indexOf(marker);
  if (at === -1) return null;
  const rest = message.slice(at + marker.length);
  const close = rest.lastIndexOf("'");
  const raw = normalise(close === -1 ? rest : rest.slice(0, close), max);
  return raw === '' ? null : raw;
}

// ---- arbitraries ----------------------------------------------------------------------------

const PAIRS = [
  ['/qseow-proxy-session/', 'Start session', 'session.start'],
  ['/qseow-proxy-session/', 'Stop session', 'session.stop'],
  ['/proxy-session/', 'Start session', 'session.start'],
  ['/proxy-session/', 'Stop session', 'session.stop'],
  ['/qseow-proxy-connection/', 'Open connection', 'connection.open'],
  ['/qseow-proxy-connection/', 'Close connection', 'connection.close'],
  ['/proxy-connection/', 'Open connection', 'connection.open'],
  ['/proxy-connection/', 'Close connection', 'connection.close'],
] as const;

/** Characters the normalisation has to get right: controls, odd whitespace, astral letters. */
const TRICKY = [
  ' ',
  '\t',
  '\r',
  '\n',
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2028',
  '\u202f',
  '\u3000',
  '\ufeff',
  '\u200b',
  'é',
  '山',
  '😀',
  "'",
  '/',
];

const unit = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 3 },
  { arbitrary: fc.constantFrom(...TRICKY), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 3 },
);
/** Any text, `;` included. */
const anyText = (maxLength: number) => fc.string({ unit, maxLength });
/** Text for a field other than the message: never contains the separator. */
const fieldText = (maxLength = 40) => anyText(maxLength).map((s) => s.replaceAll(';', ''));

const controlChar = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .map((code) => String.fromCharCode(code));
const controlRichText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(controlChar, unit, fc.constant(';')), maxLength });

const limitsArb: fc.Arbitrary<DecodeLimits> = fc.record({
  maxDatagramBytes: fc.constant(1 << 20),
  maxFieldChars: fc.integer({ min: 1, max: 60 }),
  maxMessageChars: fc.integer({ min: 0, max: 120 }),
  maxRawChars: fc.integer({ min: 0, max: 80 }),
});

interface Datagram {
  readonly prefix: string;
  readonly command: string;
  readonly kind: string;
  readonly commandPad: string;
  readonly host: string;
  readonly directory: string;
  readonly userId: string;
  readonly origin: string;
  readonly context: string;
  readonly message: string | null;
  readonly bom: boolean;
  readonly newline: string;
}

const datagramArb = (message: fc.Arbitrary<string>, field = fieldText()): fc.Arbitrary<Datagram> =>
  fc
    .record({
      pair: fc.constantFrom(...PAIRS),
      commandPad: fc.constantFrom('', ' ', '\t', ' \u0007'),
      host: field,
      directory: field,
      userId: field,
      origin: field,
      context: field,
      message: fc.option(message, { freq: 8 }),
      bom: fc.boolean(),
      newline: fc.constantFrom('', '', '\n', '\r\n'),
    })
    .map(({ pair: [prefix, command, kind], ...rest }) => ({ prefix, command, kind, ...rest }));

function datagramText(d: Datagram): string {
  const fields = [
    d.prefix,
    d.host,
    d.commandPad + d.command + d.commandPad,
    d.directory,
    d.userId,
    d.origin,
    d.context,
  ];
  if (d.message !== null) fields.push(d.message);
  return (d.bom ? '\ufeff' : '') + fields.join(';') + d.newline;
}

// ---- checks ---------------------------------------------------------------------------------

function eventStrings(event: UserEvent): string[] {
  const ua = event.userAgent;
  return [
    event.kind,
    event.host,
    event.user.directory,
    event.user.id,
    event.origin,
    event.context,
    event.appId ?? '',
    event.message,
    ua?.raw ?? '',
    ua?.browser ?? '',
    ua?.browserVersion ?? '',
    ua?.os ?? '',
    ua?.osVersion ?? '',
  ];
}

/** What holds for every result of every input. */
function checkInvariants(result: DecodeResult, bytes: Uint8Array, limits: DecodeLimits): void {
  if (result.ok) {
    const { event } = result;
    expect(EVENT_KINDS).toContain(event.kind);
    expect(event.host).not.toBe('');
    expect(event.user.id).not.toBe('');
    for (const s of [event.host, event.user.directory, event.user.id, event.origin, event.context]) {
      expect(s.length).toBeLessThanOrEqual(limits.maxFieldChars);
      expect(s).toBe(s.trim());
    }
    expect(event.message.length).toBeLessThanOrEqual(limits.maxMessageChars);
    if (event.appId !== null) expect(event.appId).toMatch(/^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
    if (event.userAgent !== null) {
      expect(event.userAgent.raw).not.toBe('');
      expect(event.userAgent.raw.length).toBeLessThanOrEqual(limits.maxFieldChars);
    }
    for (const s of eventStrings(event)) expect(hasControl(s)).toBe(false);
  } else {
    const { reject } = result;
    expect(REJECT_REASONS).toContain(reject.reason);
    expect(reject.bytes).toBe(bytes.length);
    expect(reject.detail.length).toBeGreaterThan(0);
    expect(reject.raw.length).toBeLessThanOrEqual(limits.maxRawChars);
    expect(hasControl(reject.detail)).toBe(false);
    expect(hasControl(reject.raw)).toBe(false);
  }
}

const PIECES = [
  ...new Set(PAIRS.flatMap(([prefix, command]) => [prefix, command])),
  ';',
  ';',
  ';',
  "UserAgent: '",
  "'",
  '/app/',
  '0f4c1d6e-8a7b-4c3d-9e2f-1a2b3c4d5e6f',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  '\r\n',
  '\ufeff',
  ' ',
];

/** Byte soup that often gets past the first checks: datagram-like pieces, then byte mutations. */
const structuredBytes = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom(...PIECES), anyText(12)), { maxLength: 24 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
  )
  .map(([pieces, mutations]) => {
    const bytes = encoder.encode(pieces.join(''));
    for (const [at, value] of mutations) if (bytes.length > 0) bytes[at % bytes.length] = value;
    return bytes;
  });

const anyBytes = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 600 }), weight: 3 },
  { arbitrary: structuredBytes, weight: 6 },
  { arbitrary: fc.uint8Array({ minLength: 16_000, maxLength: 70_000 }), weight: 1 },
);

describe('decode properties', () => {
  const decode = createDecoder();

  it('never throws, and every result is an event or a reject with a known reason', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        checkInvariants(decode(bytes), bytes, DEFAULT_DECODE_LIMITS);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps its invariants under any limits', () => {
    fc.assert(
      fc.property(anyBytes, limitsArb, (bytes, limits) => {
        checkInvariants(createDecoder({ limits })(bytes), bytes, limits);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: same bytes, same result, whatever the memo holds', () => {
    const other = createDecoder({ userAgentCacheSize: 1 });
    fc.assert(
      fc.property(fc.array(anyBytes, { minLength: 1, maxLength: 5 }), (batch) => {
        const first = batch.map((bytes) => decode(bytes));
        for (const bytes of batch) other(bytes);
        expect(batch.map((bytes) => other(bytes))).toEqual(first);
        expect(batch.map((bytes) => decode(bytes))).toEqual(first);
      }),
      { numRuns: 150 },
    );
  });

  it('rejects anything over maxDatagramBytes as too-large', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16_385, maxLength: 70_000 }), (bytes) => {
        const result = decode(bytes);
        expect(result.ok ? null : result.reject.reason).toBe('too-large');
      }),
      { numRuns: 30 },
    );
  });

  it('decodes a well-formed datagram to its fields after normalisation', () => {
    fc.assert(
      fc.property(datagramArb(anyText(80)), limitsArb, (d, limits) => {
        fc.pre(normalise(d.host, limits.maxFieldChars) !== '');
        fc.pre(normalise(d.userId, limits.maxFieldChars) !== '');
        const result = createDecoder({ limits })(encoder.encode(datagramText(d)));
        const max = limits.maxFieldChars;
        const context = normalise(d.context, max);
        const message = d.message ?? '';
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect({ ...result.event, userAgent: result.event.userAgent?.raw ?? null }).toEqual({
          kind: d.kind,
          host: normalise(d.host, max),
          user: { directory: normalise(d.directory, max), id: normalise(d.userId, max) },
          origin: normalise(d.origin, max),
          context,
          appId: referenceAppId(context),
          userAgent: referenceUserAgentRaw(message, max),
          message: normalise(message, limits.maxMessageChars),
        });
      }),
      { numRuns: 500 },
    );
  });

  it('finds the app id after app/ in any path, whatever the case of the GUID', () => {
    const segment = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
    const contextArb = fc
      .record({
        before: fc.array(segment, { maxLength: 3 }),
        slash: fc.boolean(),
        guid: fc.uuid(),
        upper: fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }),
        after: fc.constantFrom('', '/', '/sheet/abc', '?reloaduri=x%2fapp%2f', '#hash', '/?a=b'),
      })
      .map(({ before, slash, guid, upper, after }) => {
        const mixed = Array.from(guid, (ch, i) => (upper[i] === true ? ch.toUpperCase() : ch)).join('');
        const path = before.length > 0 ? `/${before.join('/')}/app/` : slash ? '/app/' : 'app/';
        return { context: `${path}${mixed}${after}`, guid };
      });
    fc.assert(
      fc.property(contextArb, ({ context, guid }) => {
        const datagram = `/qseow-proxy-connection/;N;Open connection;D;u;;${context};m`;
        const result = decode(encoder.encode(datagram));
        expect(result.ok ? result.event.appId : 'reject').toBe(guid);
      }),
    );
  });

  it('takes the user agent from after the marker to the last quote, or to the end', () => {
    const uaText = fieldText(60).map((s) => s.replaceAll("'", ''));
    const messageArb = fc
      .record({
        before: anyText(30).filter((s) => !s.includes("UserAgent: '")),
        ua: uaText,
        closed: fc.boolean(),
      })
      .map(({ before, ua, closed }) => ({ message: `${before}UserAgent: '${ua}${closed ? "'" : ''}`, ua }));
    fc.assert(
      fc.property(messageArb, ({ message, ua }) => {
        const datagram = `/qseow-proxy-connection/;N;Open connection;D;u;;/hub/;${message}`;
        const result = decode(encoder.encode(datagram));
        const expected = normalise(ua, DEFAULT_DECODE_LIMITS.maxFieldChars);
        expect(result.ok ? (result.event.userAgent?.raw ?? null) : 'reject').toBe(
          expected === '' ? null : expected,
        );
      }),
    );
  });

  it('never lets a control character into any output', () => {
    const controlField = controlRichText(30).map((s) => s.replaceAll(';', ''));
    const controlDatagram = datagramArb(controlRichText(60), controlField).map((d) => datagramText(d));
    fc.assert(
      fc.property(fc.oneof(controlDatagram, controlRichText(200)), (text) => {
        const bytes = encoder.encode(text);
        checkInvariants(decode(bytes), bytes, DEFAULT_DECODE_LIMITS);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the printable rest of control-ridden fields', () => {
    const controlField = controlRichText(30).map((s) => s.replaceAll(';', ''));
    fc.assert(
      fc.property(datagramArb(controlRichText(60), controlField), (d) => {
        const withIds = { ...d, host: `h${d.host}`, userId: `${d.userId}u` };
        const result = decode(encoder.encode(datagramText(withIds)));
        expect(result.ok ? result.event.host : 'reject').toBe(normalise(withIds.host, 512));
        expect(result.ok ? result.event.user.id : 'reject').toBe(normalise(withIds.userId, 512));
        expect(result.ok ? result.event.message : 'reject').toBe(normalise(d.message ?? '', 4096));
        if (result.ok) for (const s of eventStrings(result.event)) expect(hasControl(s)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
