import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAggregatorMetrics } from '../../src/aggregate/aggregator-metrics.js';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import { Folder } from '../../src/aggregate/folder.js';
import { HistoryStore } from '../../src/aggregate/history-store.js';
import { apiRoutes, indexRoute, streamSnapshot } from '../../src/aggregate/http/api-routes.js';
import { ApiServer, HTML_TYPE } from '../../src/aggregate/http/api-server.js';
import { SseHub } from '../../src/aggregate/http/sse-hub.js';
import { ManualClock } from '../../src/core/clock.js';
import { metricValue } from '../helpers/metrics.js';
import { T0, userEvent } from '../fixtures/aggregate/messages.js';

/** The route table on a real loopback server, with a manual clock and an in-memory history. */
describe('aggregator HTTP server', () => {
  const clock = new ManualClock(T0);
  const view = new ClusterView({}, T0);
  const history = new HistoryStore(':memory:');
  const folder = new Folder({ view, history });
  const thresholds = { statusSilentAfterMs: 35_000, datagramsSilentAfterMs: 1_800_000 };
  const sse = new SseHub({
    maxClients: 1,
    clock,
    snapshot: () => streamSnapshot({ view, history, clock, thresholds }),
  });
  const metrics = createAggregatorMetrics(
    {
      view,
      folder: () => folder.stats(),
      loginsPerNode: () => folder.loginsPerNode(),
      alertsCounted: () => folder.alertsCounted(),
      intake: () => ({ mode: 'jetstream', nats: 'connected' }),
      sse: () => sse.stats(),
      now: () => clock.now(),
      thresholds,
      version: '9.9.9',
    },
    { defaultMetrics: false },
  );
  const server = new ApiServer({ host: '127.0.0.1', port: 0 });
  for (const route of apiRoutes({
    view,
    history,
    clock,
    thresholds,
    sse,
    metrics,
    health: () => ({
      status: 'ok',
      checks: { nats: 'connected', consume: 'jetstream', history: 'ok', pending: 0 },
    }),
  }))
    server.route(route);
  server.route(indexRoute());
  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

  beforeAll(async () => {
    await server.start();
    folder.fold(
      JSON.stringify(userEvent({ id: 's1', time: T0, kind: 'session.start', user: 'CORP\\jdoe' })),
      T0,
      null,
    );
    folder.commit();
    clock.advance(60_000);
  });
  afterAll(async () => {
    sse.stop();
    await server.stop(Date.now() + 1000);
    history.close();
  });

  it('answers /api/sessions in exactly the documented shape', async () => {
    const response = await get('/api/sessions');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({
      at: '2026-11-30T08:01:00.000Z',
      sessions: [
        { host: 'SENSE-NODE1', user: { directory: 'CORP', id: 'jdoe' }, start: '2026-11-30T08:00:00.000Z' },
      ],
    });
  });

  it('decodes the user in the path of /api/users/<DIR\\id>/history', async () => {
    const body = (await (await get('/api/users/CORP%5Cjdoe/history')).json()) as {
      user: string;
      sessions: unknown[];
    };
    expect(body.user).toBe('CORP\\jdoe');
    expect(body.sessions).toHaveLength(1);
    expect((await get('/api/users/%E0%A4%A/history')).status).toBe(400);
  });

  it('gives 400 with what to change, 404 with the paths, 405 for other methods', async () => {
    const bad = await get('/api/peaks?unit=week');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'unit: must be minute, hour or day (got "week")' });
    const missing = await get('/api/nope');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { paths: string[] }).paths).toContain('/api/sessions');
    const post = await get('/api/now', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves an index page at / and metrics from its own registry', async () => {
    const index = await get('/');
    expect(index.headers.get('content-type')).toBe(HTML_TYPE);
    const page = await index.text();
    expect(page).toContain('<a href="/api/sessions">');
    // Every route once: the receivers' route was listed twice.
    const links = [...page.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]);
    expect(links).toContain('/api/receivers');
    expect(new Set(links).size).toBe(links.length);
    const text = await (await get('/metrics')).text();
    expect(metricValue(text, 'sense_aggregator_active_sessions{node="SENSE-NODE1"}')).toBe(1);
    expect(metricValue(text, 'sense_aggregator_logins_total{node="SENSE-NODE1"}')).toBe(1);
    expect(metricValue(text, 'sense_aggregator_node_last_seen_age_seconds{node="SENSE-NODE1"}')).toBe(60);
    expect(metricValue(text, 'sense_aggregator_messages_total{outcome="applied"}')).toBe(1);
    expect(metricValue(text, 'sense_aggregator_build_info{version="9.9.9"}')).toBe(1);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('lets a page take a path by adding a route for it, with decoded parameters', async () => {
    server.route({
      path: '/',
      handle: () => ({ status: 200, contentType: HTML_TYPE, body: '<p>live page</p>' }),
    });
    server.route({
      path: '/assets/:file',
      handle: ({ params }) => ({
        status: 200,
        contentType: 'text/plain',
        body: `asset ${params.file ?? ''}`,
      }),
    });
    expect(await (await get('/')).text()).toBe('<p>live page</p>');
    expect(await (await get('/assets/app%20v2.js')).text()).toBe('asset app v2.js');
    expect((await get('/assets/')).status).toBe(404);
  });

  it('streams an update at once and refuses clients beyond the bound', async () => {
    const abort = new AbortController();
    const first = await get('/api/stream', { signal: abort.signal });
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: update\ndata: '))
      text += new TextDecoder().decode((await reader.read()).value);
    const second = await get('/api/stream');
    expect(second.status).toBe(503);
    expect(sse.stats()).toMatchObject({ clients: 1, refused: 1 });
    abort.abort();
  });
});
