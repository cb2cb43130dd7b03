import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Chaos on the aggregator's HTTP side: 1,000 live-page clients at once (the first
 * `http.maxStreamClients` served, the rest 503, memory bounded, /healthz still answering), and
 * hostile requests (huge URLs, many and repeated parameters, bad encodings, absurd numbers and
 * dates, path traversal, other methods): each a clear 4xx, never a 500, and the process stays up.
 */
const CLIENTS = 1_000;
/** The default of `http.maxStreamClients`. */
const MAX_STREAM_CLIENTS = 100;
const MiB = 1024 * 1024;

let nats: NatsServer;
let aggregator: AggregatorUnderTest;

beforeAll(async () => {
  nats = await NatsServer.start({ jetstream: true });
  aggregator = await AggregatorUnderTest.create(nats.url, 'http-flood');
  await aggregator.start();
});

afterAll(async () => {
  await aggregator.dispose();
  await nats.stop();
});

/**
 * The status line Node's HTTP parser answers a request with, over a plain socket: for a request
 * line beyond the header limit it answers 431 and closes, and a client still writing would see
 * only its own write fail.
 */
function rawStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = '';
    const socket = connect({ host: '127.0.0.1', port: aggregator.port }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (got += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(got)?.[1];
      if (status === undefined) reject(new Error(`no status line: ${JSON.stringify(got.slice(0, 80))}`));
      else resolve(Number(status));
    });
  });
}

/** A raw request (the path exactly as given: fetch would normalise `..` and encodings away). */
function raw(
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: aggregator.port, path, method, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function rss(): Promise<number> {
  return metricValue(await aggregator.metrics(), 'sense_aggregator_process_resident_memory_bytes');
}

describe('chaos: the aggregator HTTP API flooded', () => {
  it(`${CLIENTS} live-page clients: ${MAX_STREAM_CLIENTS} served, the rest 503, memory bounded, /healthz answers`, async () => {
    const before = await rss();
    const open: { req: ClientRequest; res: IncomingMessage }[] = [];
    const statuses = await Promise.all(
      Array.from(
        { length: CLIENTS },
        () =>
          new Promise<number>((resolve, reject) => {
            const req = request(
              { host: '127.0.0.1', port: aggregator.port, path: '/api/stream', agent: false },
              (res) => {
                if (res.statusCode === 200) open.push({ req, res });
                else res.resume();
                resolve(res.statusCode ?? 0);
              },
            );
            req.on('error', reject);
            req.end();
          }),
      ),
    );
    try {
      expect(statuses.filter((s) => s === 200)).toHaveLength(MAX_STREAM_CLIENTS);
      expect(statuses.filter((s) => s === 503)).toHaveLength(CLIENTS - MAX_STREAM_CLIENTS);
      const health = await aggregator.get<{ status: string }>('/healthz');
      expect(health.status).toBe(200);
      const text = await aggregator.metrics();
      expect(metricValue(text, 'sense_aggregator_stream_clients')).toBe(MAX_STREAM_CLIENTS);
      expect(metricValue(text, 'sense_aggregator_stream_refused_total{cause="full"}')).toBe(
        CLIENTS - MAX_STREAM_CLIENTS,
      );
      const during = await rss();
      console.log(
        `${CLIENTS} stream clients: ${MAX_STREAM_CLIENTS} served, ${CLIENTS - MAX_STREAM_CLIENTS} refused; ` +
          `RSS ${(before / MiB).toFixed(0)} MiB before, ${(during / MiB).toFixed(0)} MiB with them open`,
      );
      expect(during - before).toBeLessThan(64 * MiB);
    } finally {
      for (const { req } of open) req.destroy();
    }
    // The slots come back: a new client is served once the others are gone.
    await waitFor(
      async () => metricValue(await aggregator.metrics(), 'sense_aggregator_stream_clients') === 0,
      'the clients gone',
    );
    const again = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: aggregator.port, path: '/api/stream', agent: false },
        (res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(again).toBe(200);
  }, 60_000);

  const hostile: [string, string, string?][] = [
    ['a long parameter value under the header limit', `/api/sessions?host=${'x'.repeat(8_000)}`],
    ['many parameters', `/api/now?${Array.from({ length: 2_000 }, (_, i) => `p${i}=1`).join('&')}`],
    ['a repeated parameter', `/api/now?limit=1&limit=2`],
    ['a parameter repeated 1,000 times', `/api/alerts?${'host=a&'.repeat(1_000)}`],
    ['a bad encoding in the query', '/api/sessions?user=%zz'],
    ['a bad encoding in the path', '/api/users/%zz/history'],
    ['a huge limit', '/api/now?limit=99999999999999999999'],
    ['a negative limit', '/api/alerts?limit=-1'],
    ['a fractional limit', '/api/alerts?limit=1.5'],
    ['an absurd date', '/api/sessions?at=99999-01-01T00:00:00Z'],
    ['a date without an offset', '/api/sessions?at=2026-01-01T00:00:00'],
    ['an impossible date', '/api/sessions?at=2026-02-31T00:00:00Z'],
    ['a range over the limit', '/api/logins?unit=minute&from=1970-01-01T00:00:00Z&to=2026-01-01T00:00:00Z'],
    ['a range backwards', '/api/peaks?unit=hour&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'],
    ['an unknown unit', '/api/peaks?unit=century'],
    ['an unknown time zone', '/api/peaks?unit=day&tz=Mars%2FOlympus'],
    ['path traversal in the user', '/api/users/..%2F..%2Fetc%2Fpasswd/history'],
    ['path traversal with raw dots', '/api/users/../../etc/passwd/history'],
    ['a user without a directory', '/api/users/justme/history'],
    ['a NUL in the user', '/api/users/CORP%5Cj%00doe/history'],
    ['an unknown path', '/api/../../../etc/passwd'],
    ['POST', '/api/sessions', 'POST'],
    ['DELETE', '/api/now', 'DELETE'],
    ['PUT on the stream', '/api/stream', 'PUT'],
    ['OPTIONS', '/healthz', 'OPTIONS'],
  ];
  for (const [what, path, method] of hostile) {
    it(`${what}: a clear 4xx, not a 500`, async () => {
      const { status, body } = await raw(path, method ?? 'GET');
      expect(status, `${status} ${body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(status, `${status} ${body.slice(0, 200)}`).toBeLessThan(500);
      // Node answers 414/431 itself with no body; everything of ours says what to change.
      if (status !== 431 && status !== 414) expect(JSON.parse(body)).toHaveProperty('error');
    });
  }

  it('a URL beyond the header limit: 431 from Node itself', async () => {
    expect(await rawStatus(`/api/sessions?host=${'x'.repeat(100_000)}`)).toBe(431);
  });

  it('still answers after all that', async () => {
    expect((await aggregator.get('/healthz')).status).toBe(200);
    expect((await aggregator.get('/api/now')).status).toBe(200);
  });
});
