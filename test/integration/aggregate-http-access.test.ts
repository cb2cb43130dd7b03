import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { hasOpenssl, makeLoopbackCertificate } from '../helpers/openssl.js';
import { NatsServer } from '../helpers/nats-server.js';
import { CLI } from '../helpers/sidecar-process.js';

/**
 * The aggregator beyond loopback: refused without a token and TLS; with them, HTTPS only, and
 * every path but /healthz asks for the token (Bearer, or Basic with it as the password).
 */
const TOKEN = 'a-long-enough-test-token-0123';

describe.skipIf(!hasOpenssl())('aggregator HTTP access', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sense-agg-access-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const tokenFile = join(dir, 'token');
  let nats: NatsServer;
  let aggregator: AggregatorUnderTest | undefined;

  /** GET over HTTPS trusting only the test certificate. */
  function get(path: string, authorization?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: aggregator?.port,
          path,
          ca: readFileSync(cert),
          headers: authorization === undefined ? {} : { authorization },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, text });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    makeLoopbackCertificate(key, cert);
    writeFileSync(tokenFile, `${TOKEN}\n`);
    nats = await NatsServer.start({ jetstream: true });
    aggregator = await AggregatorUnderTest.create(nats.url, 'access', [], {
      SENSE_AGGREGATOR_HTTP_HOST: '0.0.0.0',
      SENSE_AGGREGATOR_HTTP_TOKEN_FILE: tokenFile,
      SENSE_AGGREGATOR_HTTP_TLS_CERT_FILE: cert,
      SENSE_AGGREGATOR_HTTP_TLS_KEY_FILE: key,
    });
    await aggregator.start();
  }, 60_000);

  afterAll(async () => {
    await aggregator?.dispose();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to listen beyond loopback without a token and TLS, naming the keys, exit 2', () => {
    const config = join(dir, 'open.yaml');
    writeFileSync(
      config,
      [
        `nats: {servers: [${nats.url}]}`,
        `dataDir: ${join(dir, 'open-data')}`,
        'http: {host: 0.0.0.0, port: 0}',
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, [CLI, 'aggregate', '--config', config], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /http\.host 0\.0\.0\.0 is not loopback.*set http\.tokenFile and http\.tlsCertFile/,
    );
  });

  it('answers over HTTPS only with the token, as Bearer or as the Basic password; /healthz stays open', async () => {
    const refused = await get('/api/sessions');
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('authentication required');
    expect((await get('/api/sessions', 'Bearer wrong-token-wrong-token')).status).toBe(401);
    const bearer = await get('/api/sessions', `Bearer ${TOKEN}`);
    expect(bearer.status).toBe(200);
    expect(JSON.parse(bearer.text)).toHaveProperty('sessions');
    const basic = `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`;
    expect((await get('/', basic)).status).toBe(200);
    expect((await get('/metrics', basic)).status).toBe(200);
    expect((await get('/healthz')).status).not.toBe(401);
  });

  it('who takes the token from a file, and says it is needed when it is not given', () => {
    const url = `https://127.0.0.1:${String(aggregator?.port)}`;
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: cert };
    const ok = spawnSync(process.execPath, [CLI, 'who', '--url', url, '--token-file', tokenFile], {
      encoding: 'utf8',
      env,
    });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const without = spawnSync(process.execPath, [CLI, 'who', '--url', url], { encoding: 'utf8', env });
    expect(without.status).not.toBe(0);
    expect(without.stderr).toContain('--token-file');
  });
});
