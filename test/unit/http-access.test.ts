import { describe, expect, it } from 'vitest';
import { authorized, isLoopbackHost, loadHttpAccess } from '../../src/aggregate/http/access.js';

const TOKEN = 'a-token-of-twenty-four-c';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A readFile over a fixed set of files (others: ENOENT). */
function files(contents: Record<string, string>) {
  return (path: string): Promise<Uint8Array> => {
    const text = contents[path];
    if (text === undefined) return Promise.reject(new Error(`ENOENT: no such file, open '${path}'`));
    return Promise.resolve(new TextEncoder().encode(text));
  };
}
const ALL = { '/t': `${TOKEN}\n`, '/c.pem': 'CERT', '/k.pem': 'KEY' };
const config = (over: Partial<Parameters<typeof loadHttpAccess>[0]> = {}) => ({
  host: '127.0.0.1',
  tokenFile: '',
  tlsCertFile: '',
  tlsKeyFile: '',
  ...over,
});

describe('who may read the aggregator over HTTP', () => {
  it('knows loopback addresses from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'sense-agg.corp', '128.0.0.1'])
      expect(isLoopbackHost(host)).toBe(false);
  });

  it('takes the token as Bearer, or as the password of Basic with any user, and nothing else', () => {
    expect(authorized(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(authorized(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(authorized(basic('admin', TOKEN), TOKEN)).toBe(true);
    expect(authorized(basic('', TOKEN), TOKEN)).toBe(true);
    for (const header of [
      undefined,
      '',
      TOKEN,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(1)}`,
      basic(TOKEN, 'x'),
      `Basic ${Buffer.from(TOKEN).toString('base64')}`,
      `Digest ${TOKEN}`,
    ])
      expect(authorized(header, TOKEN)).toBe(false);
  });

  it('is open on loopback without a token, and reads token and TLS when given', async () => {
    expect(await loadHttpAccess(config(), files({}))).toEqual({
      ok: true,
      access: { token: null, tls: null },
    });
    const full = await loadHttpAccess(
      config({ host: '0.0.0.0', tokenFile: '/t', tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' }),
      files(ALL),
    );
    expect(full.ok && full.access.token).toBe(TOKEN);
    expect(full.ok && full.access.tls !== null).toBe(true);
  });

  it('refuses a non-loopback address without both a token and TLS, saying which keys to set', async () => {
    for (const over of [
      { host: '0.0.0.0' },
      { host: '10.0.0.5', tokenFile: '/t' },
      { host: '::', tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' },
    ]) {
      const result = await loadHttpAccess(config(over), files(ALL));
      expect(result.ok).toBe(false);
      expect(!result.ok && result.problems.join('\n')).toMatch(
        /http\.host .* is not loopback.*set http\.tokenFile and http\.tlsCertFile \+ http\.tlsKeyFile/,
      );
    }
  });

  it('refuses a short token, a missing file and a certificate without its key', async () => {
    const short = await loadHttpAccess(config({ tokenFile: '/s' }), files({ '/s': 'short\n' }));
    expect(!short.ok && short.problems).toEqual([
      'http.tokenFile: the token in /s must be at least 16 characters',
    ]);
    const missing = await loadHttpAccess(config({ tokenFile: '/nope' }), files({}));
    expect(!missing.ok && missing.problems[0]).toMatch(/^http\.tokenFile \/nope: cannot read \(ENOENT/);
    const half = await loadHttpAccess(config({ tlsCertFile: '/c.pem' }), files(ALL));
    expect(!half.ok && half.problems).toEqual([
      'http.tlsCertFile and http.tlsKeyFile: set both (a certificate and its key) or neither',
    ]);
  });
});
