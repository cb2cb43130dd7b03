import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys, type NodeConnectionOptions } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { SidecarConfig } from '../../src/config/types.js';
import {
  natsConnectionOptions,
  type NatsConnectionSettings,
  type ReadFile,
  redactServers,
} from '../../src/publish/nats-connection.js';

type NatsConfig = SidecarConfig['nats'];

function natsConfig(overrides: Partial<NatsConfig> = {}): NatsConfig {
  return {
    servers: ['nats://127.0.0.1:4222'],
    subjectPrefix: 'sense',
    name: 'sense-sidecar/NODE1',
    token: '',
    tokenFile: '',
    user: '',
    password: '',
    passwordFile: '',
    nkeySeedFile: '',
    credsFile: '',
    tlsCaFile: '',
    tlsCertFile: '',
    tlsKeyFile: '',
    ...overrides,
  };
}

const TOKEN = 'tok-3f9a1c7e5b';
const PASSWORD = 'pw-8d2e4a6c0b';
const userKey = nkeys.createUser();
const SEED = new TextDecoder().decode(userKey.getSeed());
const PUBLIC_KEY = userKey.getPublicKey();
const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUJDIn0.c2lnbmF0dXJl';
const CREDS = `-----BEGIN NATS USER JWT-----
${JWT}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
${SEED}
------END USER NKEY SEED------

*************************************************************
`;
const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n';
const SECRETS = [TOKEN, PASSWORD, SEED, JWT, 'MIIBkey'];

/** A fake file system: path → content, or an errno code to fail with. */
function files(entries: Record<string, string | { error: string }>): ReadFile {
  return (path) => {
    const entry = entries[path];
    if (entry === undefined) return Promise.reject(errno('ENOENT', path));
    if (typeof entry !== 'string') return Promise.reject(errno(entry.error, path));
    return Promise.resolve(new TextEncoder().encode(entry));
  };
}

function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: open '${path}'`), { code });
}

function ok(result: NatsConnectionSettings): { options: NodeConnectionOptions; describe: string } {
  if (!result.ok) throw new Error(`expected options, got problems: ${result.problems.join(' | ')}`);
  return result;
}

function problems(result: NatsConnectionSettings): string[] {
  if (result.ok) throw new Error(`expected problems, got options: ${result.describe}`);
  return result.problems;
}

function authOf(options: NodeConnectionOptions, nonce?: string): Record<string, unknown> {
  const authenticator = options.authenticator;
  if (authenticator === undefined || Array.isArray(authenticator))
    throw new Error('one authenticator expected');
  return authenticator(nonce) as unknown as Record<string, unknown>;
}

function expectNoSecrets(visible: string): void {
  for (const secret of SECRETS) expect(visible).not.toContain(secret);
}

describe('natsConnectionOptions', () => {
  it('without authentication or TLS: servers, name and the reconnect policy', async () => {
    const result = ok(await natsConnectionOptions(natsConfig(), files({})));
    expect(result.options).toMatchObject({
      servers: ['nats://127.0.0.1:4222'],
      name: 'sense-sidecar/NODE1',
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      reconnectJitter: 500,
    });
    expect(result.options.authenticator).toBeUndefined();
    expect(result.options.tls).toBeUndefined();
    expect(result.describe).toBe('nats://127.0.0.1:4222 (no authentication; no TLS)');
  });

  it('a token from the configuration (or the environment)', async () => {
    const result = ok(await natsConnectionOptions(natsConfig({ token: TOKEN }), files({})));
    expect(authOf(result.options)).toEqual({ auth_token: TOKEN });
    expect(result.describe).toBe('nats://127.0.0.1:4222 (token from nats.token; no TLS)');
    expectNoSecrets(result.describe);
  });

  it('a token from a file, without its trailing newline', async () => {
    const result = ok(
      await natsConnectionOptions(
        natsConfig({ tokenFile: '/run/secrets/nats-token' }),
        files({ '/run/secrets/nats-token': `${TOKEN}\n` }),
      ),
    );
    expect(authOf(result.options)).toEqual({ auth_token: TOKEN });
    expect(result.describe).toContain('token from nats.tokenFile /run/secrets/nats-token');
    expectNoSecrets(result.describe);
  });

  it('user and password', async () => {
    const result = ok(
      await natsConnectionOptions(natsConfig({ user: 'sidecar', password: PASSWORD }), files({})),
    );
    expect(authOf(result.options)).toEqual({ user: 'sidecar', pass: PASSWORD });
    expect(result.describe).toContain('user sidecar with password from nats.password');
    expectNoSecrets(result.describe);
  });

  it('user and a password file', async () => {
    const result = ok(
      await natsConnectionOptions(
        natsConfig({ user: 'sidecar', passwordFile: '/etc/sense/nats-pass' }),
        files({ '/etc/sense/nats-pass': `${PASSWORD}\r\n` }),
      ),
    );
    expect(authOf(result.options)).toEqual({ user: 'sidecar', pass: PASSWORD });
    expect(result.describe).toContain(
      'user sidecar with password from nats.passwordFile /etc/sense/nats-pass',
    );
    expectNoSecrets(result.describe);
  });

  it('an NKey seed file: signs the server nonce with the seed', async () => {
    const result = ok(
      await natsConnectionOptions(
        natsConfig({ nkeySeedFile: '/etc/sense/user.nk' }),
        files({ '/etc/sense/user.nk': `${SEED}\n` }),
      ),
    );
    const auth = authOf(result.options, 'nonce-123');
    expect(auth['nkey']).toBe(PUBLIC_KEY);
    // Ed25519 signatures are deterministic: the same key signs the nonce the same way.
    expect(auth['sig']).toBe(nkeys.encode(userKey.sign(new TextEncoder().encode('nonce-123'))));
    expect(result.describe).toContain('NKey seed from nats.nkeySeedFile /etc/sense/user.nk');
    expectNoSecrets(result.describe);
  });

  it('a .creds file: the JWT and a signature with its seed', async () => {
    const result = ok(
      await natsConnectionOptions(
        natsConfig({ credsFile: '/etc/sense/sidecar.creds' }),
        files({ '/etc/sense/sidecar.creds': CREDS }),
      ),
    );
    const auth = authOf(result.options, 'nonce-456');
    expect(auth['jwt']).toBe(JWT);
    expect(auth['nkey']).toBe(PUBLIC_KEY);
    expect(typeof auth['sig']).toBe('string');
    expect(result.describe).toContain('credentials from nats.credsFile /etc/sense/sidecar.creds');
    expectNoSecrets(result.describe);
  });

  it('TLS with a CA only: the server is verified, no client certificate', async () => {
    const result = ok(
      await natsConnectionOptions(
        natsConfig({ tlsCaFile: '/etc/ca.pem' }),
        files({ '/etc/ca.pem': PEM_CERT }),
      ),
    );
    expect(result.options.tls).toEqual({ ca: PEM_CERT });
    expect(result.describe).toBe('nats://127.0.0.1:4222 (no authentication; TLS with CA /etc/ca.pem)');
  });

  it('TLS with a CA and a client certificate, together with a token', async () => {
    const result = ok(
      await natsConnectionOptions(
        natsConfig({
          token: TOKEN,
          tlsCaFile: '/etc/ca.pem',
          tlsCertFile: '/etc/client.pem',
          tlsKeyFile: '/etc/client-key.pem',
        }),
        files({ '/etc/ca.pem': PEM_CERT, '/etc/client.pem': PEM_CERT, '/etc/client-key.pem': PEM_KEY }),
      ),
    );
    expect(result.options.tls).toEqual({ ca: PEM_CERT, cert: PEM_CERT, key: PEM_KEY });
    expect(authOf(result.options)).toEqual({ auth_token: TOKEN });
    expect(result.describe).toBe(
      'nats://127.0.0.1:4222 (token from nats.token; TLS with CA /etc/ca.pem and client certificate /etc/client.pem)',
    );
    expectNoSecrets(result.describe);
  });

  it('a tls:// server without TLS files: TLS with the system CAs', async () => {
    const result = ok(
      await natsConnectionOptions(natsConfig({ servers: ['tls://nats.corp:4443'] }), files({})),
    );
    expect(result.options.tls).toEqual({});
    expect(result.describe).toBe('tls://nats.corp:4443 (no authentication; TLS with the system CAs)');
  });

  it('a client certificate without a CA: TLS with the system CAs and the certificate', async () => {
    const result = ok(
      await natsConnectionOptions(
        natsConfig({ tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' }),
        files({ '/c.pem': PEM_CERT, '/k.pem': PEM_KEY }),
      ),
    );
    expect(result.options.tls).toEqual({ cert: PEM_CERT, key: PEM_KEY });
    expect(result.describe).toContain('TLS with the system CAs and client certificate /c.pem');
  });

  it('credentials written into a server URL are not shown', async () => {
    const result = ok(
      await natsConnectionOptions(
        natsConfig({ servers: [`nats://sidecar:${PASSWORD}@nats1:4222`, 'nats2:4222'] }),
        files({}),
      ),
    );
    expect(result.options.servers).toEqual([`nats://sidecar:${PASSWORD}@nats1:4222`, 'nats2:4222']);
    expect(result.describe).toBe('nats://***@nats1:4222, nats2:4222 (no authentication; no TLS)');
  });
});

describe('natsConnectionOptions problems say what to change', () => {
  const cases: {
    name: string;
    config: Partial<NatsConfig>;
    files?: Record<string, string | { error: string }>;
    expected: string[];
  }[] = [
    {
      name: 'token and tokenFile',
      config: { token: TOKEN, tokenFile: '/t' },
      files: { '/t': TOKEN },
      expected: ['nats.token and nats.tokenFile are both set; set only one of them'],
    },
    {
      name: 'password and passwordFile',
      config: { user: 'u', password: PASSWORD, passwordFile: '/p' },
      files: { '/p': PASSWORD },
      expected: ['nats.password and nats.passwordFile are both set; set only one of them'],
    },
    {
      name: 'a password without a user',
      config: { password: PASSWORD },
      expected: ['nats.password is set without nats.user; set nats.user too'],
    },
    {
      name: 'a password file without a user',
      config: { passwordFile: '/p' },
      files: { '/p': PASSWORD },
      expected: ['nats.passwordFile is set without nats.user; set nats.user too'],
    },
    {
      name: 'a user without a password',
      config: { user: 'sidecar' },
      expected: ['nats.user is set without nats.password or nats.passwordFile; set one of them'],
    },
    {
      name: 'two authentication methods',
      config: { token: TOKEN, nkeySeedFile: '/nk' },
      files: { '/nk': SEED },
      expected: [
        'nats: more than one authentication method is set: token (nats.token/nats.tokenFile), NKey (nats.nkeySeedFile); keep only the one the NATS server expects',
      ],
    },
    {
      name: 'all four authentication methods',
      config: { token: TOKEN, user: 'u', password: PASSWORD, nkeySeedFile: '/nk', credsFile: '/c' },
      files: { '/nk': SEED, '/c': CREDS },
      expected: [
        'nats: more than one authentication method is set: token (nats.token/nats.tokenFile), user and password (nats.user), NKey (nats.nkeySeedFile), credentials file (nats.credsFile); keep only the one the NATS server expects',
      ],
    },
    {
      name: 'a missing password file',
      config: { user: 'u', passwordFile: '/etc/x' },
      expected: ['nats.passwordFile /etc/x: cannot read (ENOENT); check the path'],
    },
    {
      name: 'an unreadable token file',
      config: { tokenFile: '/root/token' },
      files: { '/root/token': { error: 'EACCES' } },
      expected: ["nats.tokenFile /root/token: cannot read (EACCES); let the sidecar's user read the file"],
    },
    {
      name: 'a directory as the token file',
      config: { tokenFile: '/etc' },
      files: { '/etc': { error: 'EISDIR' } },
      expected: ['nats.tokenFile /etc: cannot read (EISDIR): it is a directory; name the file'],
    },
    {
      name: 'an empty token file',
      config: { tokenFile: '/t' },
      files: { '/t': '\n' },
      expected: ['nats.tokenFile /t: the file is empty; write the secret into it'],
    },
    {
      name: 'an empty password file',
      config: { user: 'u', passwordFile: '/p' },
      files: { '/p': '' },
      expected: ['nats.passwordFile /p: the file is empty; write the secret into it'],
    },
    {
      name: 'an NKey file without a user seed',
      config: { nkeySeedFile: '/nk' },
      files: { '/nk': `${PUBLIC_KEY}\n` },
      expected: [
        'nats.nkeySeedFile /nk: no user NKey seed found (a line starting with SU, as written by "nk -gen user" or nsc); check the file',
      ],
    },
    {
      name: 'a missing NKey file',
      config: { nkeySeedFile: '/nk' },
      expected: ['nats.nkeySeedFile /nk: cannot read (ENOENT); check the path'],
    },
    {
      name: 'a creds file that is not one',
      config: { credsFile: '/c' },
      files: { '/c': `${SEED}\n` },
      expected: [
        'nats.credsFile /c: not a NATS credentials file (expected a "BEGIN NATS USER JWT" block and a "BEGIN USER NKEY SEED" block, as written by nsc); check the file',
      ],
    },
    {
      name: 'a client certificate without its key',
      config: { tlsCertFile: '/c.pem' },
      files: { '/c.pem': PEM_CERT },
      expected: [
        'nats.tlsCertFile is set without nats.tlsKeyFile; a client certificate needs its private key',
      ],
    },
    {
      name: 'a key without its certificate',
      config: { tlsKeyFile: '/k.pem' },
      files: { '/k.pem': PEM_KEY },
      expected: ['nats.tlsKeyFile is set without nats.tlsCertFile; set the client certificate too'],
    },
    {
      name: 'a CA file that is no certificate',
      config: { tlsCaFile: '/ca.pem' },
      files: { '/ca.pem': PEM_KEY },
      expected: [
        'nats.tlsCaFile /ca.pem: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----"); name the CA certificate file',
      ],
    },
    {
      name: 'certificate and key swapped',
      config: { tlsCertFile: '/k.pem', tlsKeyFile: '/c.pem' },
      files: { '/c.pem': PEM_CERT, '/k.pem': PEM_KEY },
      expected: [
        'nats.tlsCertFile /k.pem: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----"); name the client certificate file',
        'nats.tlsKeyFile /c.pem: no PEM private key found (expected "-----BEGIN … PRIVATE KEY-----"); name the key file',
      ],
    },
    {
      name: 'missing TLS files',
      config: { tlsCaFile: '/ca.pem', tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' },
      expected: [
        'nats.tlsCaFile /ca.pem: cannot read (ENOENT); check the path',
        'nats.tlsCertFile /c.pem: cannot read (ENOENT); check the path',
        'nats.tlsKeyFile /k.pem: cannot read (ENOENT); check the path',
      ],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const result = await natsConnectionOptions(natsConfig(c.config), files(c.files ?? {}));
      expect(problems(result)).toEqual(c.expected);
      expectNoSecrets(problems(result).join('\n'));
    });
  }

  it('every problem at once', async () => {
    const result = await natsConnectionOptions(
      natsConfig({ user: 'u', tokenFile: '/missing', tlsCertFile: '/c.pem' }),
      files({ '/c.pem': PEM_CERT }),
    );
    expect(problems(result)).toEqual([
      'nats: more than one authentication method is set: token (nats.token/nats.tokenFile), user and password (nats.user); keep only the one the NATS server expects',
      'nats.tokenFile /missing: cannot read (ENOENT); check the path',
      'nats.user is set without nats.password or nats.passwordFile; set one of them',
      'nats.tlsCertFile is set without nats.tlsKeyFile; a client certificate needs its private key',
    ]);
  });
});

describe('natsConnectionOptions with real files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sense-nats-conn-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads secret files from disk by default', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const result = ok(await natsConnectionOptions(natsConfig({ tokenFile })));
    expect(authOf(result.options)).toEqual({ auth_token: TOKEN });
  });

  it('names the real errno of a file it cannot read', async () => {
    const missing = join(dir, 'nope');
    const subdir = join(dir, 'sub');
    mkdirSync(subdir);
    const result = await natsConnectionOptions(
      natsConfig({ user: 'u', passwordFile: missing, credsFile: subdir }),
    );
    expect(problems(result)).toEqual([
      'nats: more than one authentication method is set: user and password (nats.user), credentials file (nats.credsFile); keep only the one the NATS server expects',
      `nats.passwordFile ${missing}: cannot read (ENOENT); check the path`,
      `nats.credsFile ${subdir}: cannot read (EISDIR): it is a directory; name the file`,
    ]);
  });

  it.skipIf(process.getuid?.() === 0)('a file without read permission', async () => {
    const locked = join(dir, 'locked');
    writeFileSync(locked, TOKEN);
    chmodSync(locked, 0o000);
    const result = await natsConnectionOptions(natsConfig({ tokenFile: locked }));
    expect(problems(result)).toEqual([
      `nats.tokenFile ${locked}: cannot read (EACCES); let the sidecar's user read the file`,
    ]);
  });
});

describe('redactServers', () => {
  it('hides user info in URLs and leaves the rest', () => {
    expect(
      redactServers([
        'nats://u:p@a:4222',
        'tls://token@b:4443',
        'c:4222',
        'u:p@d:4222',
        'wss://e/path@x',
        'nats://f',
      ]),
    ).toEqual([
      'nats://***@a:4222',
      'tls://***@b:4443',
      'c:4222',
      '***@d:4222',
      'wss://e/path@x',
      'nats://f',
    ]);
  });
});
