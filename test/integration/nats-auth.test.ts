import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection, nkeys } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SidecarConfig } from '../../src/config/types.js';
import { createCounters } from '../../src/core/counters.js';
import { JetStreamPublisher } from '../../src/publish/jetstream-publisher.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { natsConnectionOptions } from '../../src/publish/nats-connection.js';
import type { OutboxRecord } from '../../src/publish/outbox.js';
import { hasOpenssl } from '../helpers/openssl.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/wait.js';
import { captureLog, type LogLine } from '../helpers/capture.js';

/**
 * Real nats-servers that require a token, a user and password, an NKey, a .creds file (operator
 * mode with JWTs made here), or TLS with a client certificate; the sidecar's publisher, configured through `nats.*` as the sidecar is, gets in
 * with the right secret and is refused with a wrong one, and no secret reaches the log.
 */

const TOKEN = 'tok-R1ght-7c4f0e2a';
const WRONG_TOKEN = 'tok-Wr0ng-91b3d5e8';
const PASSWORD = 'pw-R1ght-5a8e2c71';
const WRONG_PASSWORD = 'pw-Wr0ng-0d6f4b39';
const userKey = nkeys.createUser();
const SEED = new TextDecoder().decode(userKey.getSeed());
const WRONG_SEED = new TextDecoder().decode(nkeys.createUser().getSeed());
const SECRETS = [TOKEN, WRONG_TOKEN, PASSWORD, WRONG_PASSWORD, SEED, WRONG_SEED];

type NatsConfig = SidecarConfig['nats'];
const dir = mkdtempSync(join(tmpdir(), 'sense-nats-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function natsConfig(server: string, overrides: Partial<NatsConfig>): NatsConfig {
  return {
    servers: [server],
    subjectPrefix: 'sense',
    name: 'sense-sidecar/auth-test',
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

interface Attempt {
  publisher: JetStreamPublisher;
  outbox: MemoryOutbox;
  lines: LogLine[];
  raw: string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let counter = 0;
function record(): OutboxRecord {
  const id = `auth-${process.pid}-${++counter}`;
  return {
    id,
    subject: 'sense.events.NODE1.session.start',
    payload: new TextEncoder().encode(JSON.stringify({ id })),
    priority: 'event',
    appendedAt: Date.now(),
  };
}

/** A publisher configured from `nats.*` as the sidecar's is, with one record waiting. */
async function attempt(config: NatsConfig, connectTimeoutMs?: number): Promise<Attempt> {
  const settings = await natsConnectionOptions(config);
  if (!settings.ok) throw new Error(settings.problems.join('\n'));
  if (connectTimeoutMs !== undefined) settings.options.timeout = connectTimeoutMs;
  const { log, lines, raw } = captureLog();
  const outbox = new MemoryOutbox(100);
  const publisher = new JetStreamPublisher({
    servers: config.servers,
    name: config.name,
    connection: settings,
    outbox,
    counters: createCounters(),
    log,
    subjectPrefix: 'sense',
    streams: { events: 'E', alerts: 'A', replicas: 1, maxAgeMs: 3_600_000, duplicateWindowMs: 60_000 },
    jetstream: false,
    reconnectTimeWaitMs: 100,
  });
  outbox.append(record());
  cleanups.push(() => publisher.stop(Date.now() + 2_000));
  await publisher.start();
  return { publisher, outbox, lines, raw };
}

/** A subscriber that gets in with the given config (the same options as the sidecar). */
async function subscriber(config: NatsConfig): Promise<{ nc: NatsConnection; ids: string[] }> {
  const settings = await natsConnectionOptions(config);
  if (!settings.ok) throw new Error(settings.problems.join('\n'));
  const nc = await connect(settings.options);
  cleanups.push(() => nc.close());
  const ids: string[] = [];
  nc.subscribe('sense.>', {
    callback: (_error, msg) => {
      ids.push(msg.headers?.get('Nats-Msg-Id') ?? '');
    },
  });
  await nc.flush();
  return { nc, ids };
}

async function expectPublished(a: Attempt, ids: string[]): Promise<void> {
  await waitFor(() => a.outbox.depth === 0, 'the record confirmed');
  expect(a.publisher.state).toBe('connected');
  await waitFor(() => ids.length === 1, 'the record on the subscriber');
}

async function expectRefused(a: Attempt, reason: RegExp): Promise<LogLine> {
  const refusal = await waitFor(
    () => a.lines.find((l) => l.msg.startsWith('NATS refused the connection')),
    'the refusal in the log',
  );
  expect(refusal.msg).toMatch(reason);
  expect(refusal.level).toBe(50);
  expect(a.publisher.state).toBe('connecting');
  expect(a.outbox.depth).toBe(1);
  return refusal;
}

function expectNoSecrets(a: Attempt): void {
  const log = a.raw.join('\n');
  for (const secret of SECRETS) expect(log).not.toContain(secret);
}

describe('token', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({ config: `authorization { token: "${TOKEN}" }\n` });
  });
  afterAll(() => server.stop());

  it('gets in with the right token (from a file) and publishes', async () => {
    const { ids } = await subscriber(natsConfig(server.url, { token: TOKEN }));
    const a = await attempt(natsConfig(server.url, { tokenFile: file('token', `${TOKEN}\n`) }));
    await expectPublished(a, ids);
    expect(a.lines.find((l) => l.msg === 'connecting to NATS')?.['connection']).toBe(
      `${server.url} (token from nats.tokenFile ${join(dir, 'token')}; no TLS)`,
    );
    expectNoSecrets(a);
  });

  it('is refused with a wrong token, retries, and never logs the secret', async () => {
    const a = await attempt(natsConfig(server.url, { token: WRONG_TOKEN }));
    const refusal = await expectRefused(a, /Authorization Violation.*check the credentials/);
    expect(refusal['connection']).toBe(`${server.url} (token from nats.token; no TLS)`);
    expect(a.lines.some((l) => l.msg.startsWith('NATS is not reachable'))).toBe(false);
    expectNoSecrets(a);
  });
});

describe('user and password', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({
      config: `authorization { users: [ { user: sidecar, password: "${PASSWORD}" } ] }\n`,
    });
  });
  afterAll(() => server.stop());

  it('gets in with the right password and publishes', async () => {
    const { ids } = await subscriber(natsConfig(server.url, { user: 'sidecar', password: PASSWORD }));
    const a = await attempt(
      natsConfig(server.url, { user: 'sidecar', passwordFile: file('password', `${PASSWORD}\n`) }),
    );
    await expectPublished(a, ids);
    expectNoSecrets(a);
  });

  it('is refused with a wrong password, without the secret in the log', async () => {
    const a = await attempt(natsConfig(server.url, { user: 'sidecar', password: WRONG_PASSWORD }));
    await expectRefused(a, /Authorization Violation/);
    expectNoSecrets(a);
  });
});

describe('NKey', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start({
      config: `authorization { users: [ { nkey: ${userKey.getPublicKey()} } ] }\n`,
    });
  });
  afterAll(() => server.stop());

  it('gets in with the right seed and publishes', async () => {
    const seedFile = file('user.nk', `${SEED}\n`);
    const { ids } = await subscriber(natsConfig(server.url, { nkeySeedFile: seedFile }));
    const a = await attempt(natsConfig(server.url, { nkeySeedFile: seedFile }));
    await expectPublished(a, ids);
    expectNoSecrets(a);
  });

  it('is refused with another seed', async () => {
    const a = await attempt(natsConfig(server.url, { nkeySeedFile: file('wrong.nk', `${WRONG_SEED}\n`) }));
    await expectRefused(a, /Authorization Violation/);
    expectNoSecrets(a);
  });
});

/** A JWT (nats-io/jwt v2 layout) with `claims`, issued and signed by `signer`. */
function jwt(signer: ReturnType<typeof nkeys.createOperator>, claims: Record<string, unknown>): string {
  const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');
  const header = b64(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const body = { ...claims, jti: '', iat: Math.floor(Date.now() / 1000), iss: signer.getPublicKey() };
  body.jti = createHash('sha256').update(JSON.stringify(body)).digest('hex').toUpperCase().slice(0, 52);
  const payload = b64(JSON.stringify(body));
  return `${header}.${payload}.${b64(signer.sign(new TextEncoder().encode(`${header}.${payload}`)))}`;
}

/** A .creds file (as nsc writes it) for a new user of `account`. */
function credsFor(account: ReturnType<typeof nkeys.createAccount>): { creds: string; seed: string } {
  const user = nkeys.createUser();
  const userJwt = jwt(account, {
    name: 'sense-sidecar',
    sub: user.getPublicKey(),
    nats: { pub: {}, sub: {}, subs: -1, data: -1, payload: -1, type: 'user', version: 2 },
  });
  const seed = new TextDecoder().decode(user.getSeed());
  const creds = [
    '-----BEGIN NATS USER JWT-----',
    userJwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    seed,
    '------END USER NKEY SEED------',
    '',
  ].join('\n');
  return { creds, seed };
}

describe('.creds file (operator mode)', () => {
  let server: NatsServer;
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const right = credsFor(account);
  const wrong = credsFor(nkeys.createAccount()); // an account this server does not know
  const seeds = [right.seed, wrong.seed];

  beforeAll(async () => {
    const operatorJwt = jwt(operator, {
      name: 'test-operator',
      sub: operator.getPublicKey(),
      nats: { type: 'operator', version: 2 },
    });
    const accountJwt = jwt(operator, {
      name: 'SENSE',
      sub: account.getPublicKey(),
      nats: {
        limits: {
          subs: -1,
          data: -1,
          payload: -1,
          imports: -1,
          exports: -1,
          wildcards: true,
          conn: -1,
          leaf: -1,
        },
        type: 'account',
        version: 2,
      },
    });
    server = await NatsServer.start({
      config: [
        `operator: ${operatorJwt}`,
        'resolver: MEMORY',
        `resolver_preload: { ${account.getPublicKey()}: ${accountJwt} }`,
        '',
      ].join('\n'),
    });
  });
  afterAll(() => server.stop());

  it('gets in with the user credentials and publishes', async () => {
    const credsFile = file('sidecar.creds', right.creds);
    const { ids } = await subscriber(natsConfig(server.url, { credsFile }));
    const a = await attempt(natsConfig(server.url, { credsFile }));
    await expectPublished(a, ids);
    for (const seed of seeds) expect(a.raw.join('\n')).not.toContain(seed);
  });

  it('is refused with credentials of an unknown account', async () => {
    const a = await attempt(natsConfig(server.url, { credsFile: file('stranger.creds', wrong.creds) }));
    await expectRefused(a, /Authorization Violation/);
    for (const seed of seeds) expect(a.raw.join('\n')).not.toContain(seed);
  });
});

describe.skipIf(!hasOpenssl())('TLS with a CA and a client certificate', () => {
  let server: NatsServer;
  const pki = join(dir, 'pki');
  const path = (name: string): string => join(pki, name);

  /** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA; and a stranger CA. */
  function makePki(): void {
    execFileSync('mkdir', ['-p', pki]);
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { cwd: pki, stdio: 'ignore' });
    };
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    for (const ca of ['ca', 'other-ca']) {
      openssl(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        `${ca}-key.pem`,
        '-out',
        `${ca}.pem`,
        '-days',
        '2',
        '-subj',
        `/CN=${ca}`,
      );
    }
    writeFileSync(
      path('server.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    writeFileSync(path('client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const [name, cn] of [
      ['server', '127.0.0.1'],
      ['client', 'sense-sidecar'],
    ] as const) {
      openssl('req', ...ec, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca-key.pem',
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      );
    }
  }

  beforeAll(async () => {
    makePki();
    server = await NatsServer.start({
      config: [
        'tls {',
        `  cert_file: "${path('server.pem')}"`,
        `  key_file: "${path('server-key.pem')}"`,
        `  ca_file: "${path('ca.pem')}"`,
        '  verify: true',
        '  timeout: 2',
        '}',
        '',
      ].join('\n'),
    });
  });
  afterAll(() => server.stop());

  const tls = (): Partial<NatsConfig> => ({
    tlsCaFile: path('ca.pem'),
    tlsCertFile: path('client.pem'),
    tlsKeyFile: path('client-key.pem'),
  });

  it('gets in with the CA and the client certificate and publishes', async () => {
    const { ids } = await subscriber(natsConfig(server.tlsUrl, tls()));
    const a = await attempt(natsConfig(server.tlsUrl, tls()));
    await expectPublished(a, ids);
    expect(a.lines.find((l) => l.msg === 'connecting to NATS')?.['connection']).toBe(
      `${server.tlsUrl} (no authentication; TLS with CA ${path('ca.pem')} and client certificate ${path('client.pem')})`,
    );
    expect(a.raw.join('\n')).not.toContain('PRIVATE KEY');
  });

  it('is refused when it does not trust the server (another CA)', async () => {
    const a = await attempt(natsConfig(server.tlsUrl, { ...tls(), tlsCaFile: path('other-ca.pem') }));
    await expectRefused(a, /certificate.*check the TLS settings/);
  });

  it('is refused without a client certificate (the server closes the handshake)', async () => {
    const a = await attempt(natsConfig(server.tlsUrl, { tlsCaFile: path('ca.pem') }), 1_000);
    const refusal = await waitFor(
      () => a.lines.find((l) => l.msg.startsWith('NATS is not reachable yet')),
      'the connection failure in the log',
    );
    expect(refusal['reason']).toBe('timeout');
    expect(a.publisher.state).toBe('connecting');
    expect(a.outbox.depth).toBe(1);
  });
});
