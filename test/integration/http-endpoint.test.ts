import { request } from 'node:http';
import { waitFor as waitUntil } from '../helpers/wait.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounters } from '../../src/core/counters.js';
import type { HealthInputs } from '../../src/observe/health.js';
import { ObserveServer } from '../../src/observe/http-server.js';
import { createSidecarMetrics, type MetricSources } from '../../src/observe/metrics.js';

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function fakeSources(): MetricSources {
  const counters = createCounters();
  counters.received = 10;
  counters.decoded = 9;
  counters.rejected = { empty: 1 };
  counters.published = 9;
  return {
    counters: () => counters,
    outbox: () => ({ depth: 3, bytes: 900, oldestAppendedAt: 1_000 }),
    nats: () => ({ state: 'connected', mode: 'jetstream' }),
    rules: () => ({
      evaluations: new Map([['leaver-login', 9]]),
      matches: new Map(),
      dropped: new Map(),
      fired: new Map([['leaver-login', 1]]),
      resolved: new Map(),
      throttled: new Map(),
    }),
    state: () => ({
      users: 2,
      sessions: 2,
      connections: 1,
      keysEvicted: {
        presences: 0,
        appConnections: 0,
        connections: 0,
        userCounts: 0,
        hostCounts: 0,
        appCounts: 0,
      },
      staleStops: 0,
      staleCloses: 0,
      expiredSessions: 0,
    }),
    now: () => 31_000,
    info: () => ({ node: 'SENSE-NODE1', version: '0.1.0' }),
  };
}

let health: HealthInputs;
const servers: ObserveServer[] = [];

function server(over: Partial<ConstructorParameters<typeof ObserveServer>[0]> = {}): ObserveServer {
  health = {
    outbox: { healthy: true, lastError: null },
    nats: { state: 'connected' },
    intakeDepth: 0,
    intakeCapacity: 1000,
  };
  const s = new ObserveServer({
    host: '127.0.0.1',
    port: 0,
    metrics: createSidecarMetrics(fakeSources()),
    health: () => health,
    ...over,
  });
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop(Date.now() + 2000)));
});

describe('ObserveServer', () => {
  it('serves /metrics in the Prometheus text format', async () => {
    const s = server();
    await s.start();
    expect(s.port).toBeGreaterThan(0);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_TYPE);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const lines = (await res.text()).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE sense_sidecar_datagrams_received_total counter',
        'sense_sidecar_datagrams_received_total 10',
        'sense_sidecar_rejects_total{reason="empty"} 1',
        'sense_sidecar_outbox_records 3',
        'sense_sidecar_outbox_oldest_age_seconds 30',
        'sense_sidecar_nats_connected 1',
        'sense_sidecar_alerts_total{rule="leaver-login",status="firing"} 1',
        'sense_sidecar_build_info{node="SENSE-NODE1",version="0.1.0"} 1',
      ]),
    );
    expect(lines.some((l) => l.startsWith('process_cpu_user_seconds_total '))).toBe(true);
  });

  it('serves /healthz as JSON: 200 when ok or degraded, 503 when the outbox cannot be written', async () => {
    const s = server();
    await s.start();
    let res = await fetch(`${s.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toMatchObject({
      status: 'ok',
      checks: { nats: { ok: true, state: 'connected' } },
    });

    health = { ...health, nats: { state: 'disconnected' } };
    res = await fetch(`${s.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'degraded', checks: { nats: { ok: false } } });

    health = { ...health, outbox: { healthy: false, lastError: 'EIO: i/o error' } };
    res = await fetch(`${s.url}/healthz?verbose=1`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'unhealthy',
      checks: { outbox: { ok: false, lastError: 'EIO: i/o error' } },
    });
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const s = server();
    await s.start();
    expect((await fetch(`${s.url}/`)).status).toBe(404);
    expect((await fetch(`${s.url}/metrics/extra`)).status).toBe(404);
    const post = await fetch(`${s.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${s.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 500 when rendering fails, and keeps serving', async () => {
    let fail = true;
    const s = server({
      metrics: {
        registry: { contentType: PROMETHEUS_TYPE },
        render: () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve('ok 1\n')),
      },
    });
    await s.start();
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('boom');
    fail = false;
    expect(await (await fetch(`${s.url}/metrics`)).text()).toBe('ok 1\n');
  });

  it('shares one rendering between scrapes that arrive together', async () => {
    let renders = 0;
    let release: () => void = () => undefined;
    const s = server({
      metrics: {
        registry: { contentType: PROMETHEUS_TYPE },
        render: () => {
          renders++;
          return new Promise<string>((resolve) => {
            release = () => resolve(`scrape ${renders}\n`);
          });
        },
      },
    });
    await s.start();
    const a = fetch(`${s.url}/metrics`);
    const b = fetch(`${s.url}/metrics`);
    // Both scrapes are inside the server before the rendering ends, so the second must share it.
    await waitFor(() => renders === 1 && s.scrapesReceived === 2);
    release();
    const texts = await Promise.all([a, b].map(async (p) => (await p).text()));
    expect(texts).toEqual(['scrape 1\n', 'scrape 1\n']);
    expect(renders).toBe(1);
  });

  it('stops idempotently, also without start, and frees the port', async () => {
    const never = server();
    await never.stop(Date.now() + 1000);
    await never.stop(Date.now() + 1000);

    const s = server();
    await s.start();
    const { port } = s;
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    await Promise.all([s.stop(Date.now() + 1000), s.stop(Date.now() + 1000)]);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('cuts requests still open at the deadline', async () => {
    const s = server({
      metrics: {
        registry: { contentType: PROMETHEUS_TYPE },
        render: () => {
          entered = true;
          return new Promise<string>(() => undefined);
        },
      },
    });
    let entered = false;
    await s.start();
    const pending = new Promise<string>((resolve) => {
      const req = request(`${s.url}/metrics`, (res) => resolve(`status ${res.statusCode ?? 0}`));
      req.on('error', (error) => resolve(`error ${error.message}`));
      req.end();
    });
    await waitFor(() => entered);
    const started = Date.now();
    await s.stop(Date.now() + 200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pending).toMatch(/^error /);
  });

  it('refuses to start on a port in use, naming the address', async () => {
    const first = server();
    await first.start();
    const second = server({ port: first.port });
    await expect(second.start()).rejects.toThrow(`cannot listen on 127.0.0.1:${first.port}`);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  await waitUntil(() => condition(), 'the condition', 2_000, 5);
}
