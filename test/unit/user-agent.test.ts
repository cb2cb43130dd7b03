import { describe, expect, it } from 'vitest';
import type { UserAgentInfo } from '../../src/core/events.js';
import {
  createUserAgentParser,
  DEFAULT_USER_AGENT_CACHE_SIZE,
  parseUserAgent,
} from '../../src/ingest/user-agent.js';

const UA = {
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  safariIpad:
    'Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
  firefoxWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
} as const;

type Parts = Omit<UserAgentInfo, 'raw'>;

describe('parseUserAgent', () => {
  it.each<[string, string, Parts]>([
    [
      'Chrome on Windows',
      UA.chromeWindows,
      { browser: 'Chrome', browserVersion: '120.0.0.0', os: 'Windows', osVersion: 'NT 10.0' },
    ],
    [
      'Firefox on Linux',
      UA.firefoxLinux,
      { browser: 'Firefox', browserVersion: '121.0', os: 'Linux', osVersion: null },
    ],
    [
      'Edge on Windows',
      UA.edgeWindows,
      { browser: 'Microsoft Edge', browserVersion: '120.0.2210.91', os: 'Windows', osVersion: 'NT 10.0' },
    ],
    [
      'Safari on macOS',
      UA.safariMac,
      { browser: 'Safari', browserVersion: '17.2', os: 'macOS', osVersion: '10.15.7' },
    ],
    [
      'Safari on iPhone',
      UA.safariIphone,
      { browser: 'Safari', browserVersion: '17.2', os: 'iOS', osVersion: '17.2' },
    ],
    [
      'Safari on iPad',
      UA.safariIpad,
      { browser: 'Safari', browserVersion: '17.2', os: 'iOS', osVersion: '17.2' },
    ],
    [
      'Chrome on Android',
      UA.chromeAndroid,
      { browser: 'Chrome', browserVersion: '120.0.6099.144', os: 'Android', osVersion: '14' },
    ],
    [
      'Firefox on Windows',
      UA.firefoxWindows,
      { browser: 'Firefox', browserVersion: '121.0', os: 'Windows', osVersion: 'NT 10.0' },
    ],
    ['curl', 'curl/8.4.0', { browser: null, browserVersion: null, os: null, osVersion: null }],
    ['garbage', 'x', { browser: null, browserVersion: null, os: null, osVersion: null }],
  ])('%s', (_name, raw, parts) => {
    expect(parseUserAgent(raw)).toEqual({ raw, ...parts });
  });

  it('reports an empty user agent as all unknown instead of throwing like bowser', () => {
    expect(parseUserAgent('')).toEqual({
      raw: '',
      browser: null,
      browserVersion: null,
      os: null,
      osVersion: null,
    });
  });

  it('returns frozen objects, since they are shared', () => {
    expect(Object.isFrozen(parseUserAgent(UA.chromeWindows))).toBe(true);
    expect(Object.isFrozen(parseUserAgent(''))).toBe(true);
  });

  it('copes with long hostile strings', () => {
    for (const raw of ['Mozilla/5.0 ('.padEnd(512, 'a'), 'Version/'.padEnd(512, '1.'), ';'.repeat(512)]) {
      expect(parseUserAgent(raw).raw).toBe(raw);
    }
  });
});

describe('createUserAgentParser', () => {
  it('defaults to 512 entries', () => {
    expect(DEFAULT_USER_AGENT_CACHE_SIZE).toBe(512);
  });

  it('returns the same object for the same string', () => {
    const parse = createUserAgentParser();
    const first = parse(UA.chromeWindows);
    // A distinct string object with the same text must hit too.
    const sameText = UA.chromeWindows.slice(0, 10) + UA.chromeWindows.slice(10);
    expect(parse(sameText)).toBe(first);
    expect(parse(UA.firefoxLinux)).not.toBe(first);
    expect(parse(UA.chromeWindows)).toBe(first);
  });

  it('evicts the least recently used entry', () => {
    const parse = createUserAgentParser(2);
    const a = parse(UA.chromeWindows);
    const b = parse(UA.firefoxLinux);
    expect(parse(UA.chromeWindows)).toBe(a); // a is now the most recently used
    const c = parse(UA.safariMac); // evicts b
    expect(parse(UA.chromeWindows)).toBe(a);
    expect(parse(UA.safariMac)).toBe(c);
    const b2 = parse(UA.firefoxLinux); // parsed again, evicts a
    expect(b2).not.toBe(b);
    expect(b2).toEqual(b);
    expect(parse(UA.chromeWindows)).not.toBe(a);
  });

  it('works with a single entry', () => {
    const parse = createUserAgentParser(1);
    const a = parse(UA.chromeWindows);
    expect(parse(UA.chromeWindows)).toBe(a);
    const b = parse(UA.firefoxLinux);
    expect(parse(UA.firefoxLinux)).toBe(b);
    expect(parse(UA.chromeWindows)).not.toBe(a);
  });

  it('does not memoise with size 0, with equal results', () => {
    const parse = createUserAgentParser(0);
    const a = parse(UA.chromeWindows);
    const b = parse(UA.chromeWindows);
    expect(b).not.toBe(a);
    expect(b).toEqual(a);
  });

  it('refuses a negative, fractional or NaN size', () => {
    expect(() => createUserAgentParser(-1)).toThrow(RangeError);
    expect(() => createUserAgentParser(0.5)).toThrow(RangeError);
    expect(() => createUserAgentParser(Number.NaN)).toThrow(RangeError);
  });
});
