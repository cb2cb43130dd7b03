import type { Clock } from '../../core/clock.js';
import type { ClusterView } from '../cluster-view.js';
import { answerSessions, parseSessionsQuery } from '../sessions-query.js';
import type { History } from '../types.js';
import {
  alertsBody,
  type AlertsBody,
  loginsBody,
  nodesBody,
  type NodesBody,
  nowBody,
  type NowBody,
  onlineBody,
  parseAlertsQuery,
  parseLoginsQuery,
  parseNoQuery,
  parseNowQuery,
  parseOnlineQuery,
  parsePeaksQuery,
  parseUserHistoryQuery,
  peaksBody,
  type SilenceThresholds,
  userHistoryBody,
} from './api-queries.js';
import { badRequest, HTML_TYPE, json, type Reply, type Route } from './api-server.js';
import type { AlertDeliveryStats } from '../receivers/alert-delivery.js';
import type { SseHub } from './sse-hub.js';

/**
 * The aggregator's routes: the JSON API, the live stream, health and metrics, and a minimal
 * index page. Each handler is a thin shell over api-queries (parse, answer).
 */

export interface ApiDeps {
  readonly view: ClusterView;
  readonly history: History;
  readonly clock: Clock;
  readonly thresholds: SilenceThresholds;
  readonly sse: SseHub;
  readonly metrics: { readonly registry: { readonly contentType: string }; render(): Promise<string> };
  readonly health: () => HealthBody;
  /** The alert receivers' queues and counters; null without receivers. */
  readonly receivers?: () => AlertDeliveryStats | null;
}

export interface HealthBody {
  /** ok; degraded: NATS not connected (the API still answers); unhealthy (503): history writes failing. */
  readonly status: 'ok' | 'degraded' | 'unhealthy';
  readonly checks: {
    readonly nats: string;
    readonly consume: string;
    readonly history: 'ok' | 'failing';
    readonly pending: number;
    /** Only with alert receivers: ok, or `retrying: <names>` (degraded) while one cannot deliver. */
    readonly receivers?: string;
  };
}

/** The `data` of every `update` event on /api/stream. */
export interface StreamSnapshot {
  readonly now: NowBody;
  readonly nodes: NodesBody['nodes'];
  readonly alerts: Pick<AlertsBody, 'firing' | 'alerts'>;
}

/** Recent alert notices in each stream update. */
export const STREAM_RECENT_ALERTS = 20;

export function streamSnapshot(deps: Omit<ApiDeps, 'sse' | 'metrics' | 'health'>): StreamSnapshot {
  const now = deps.clock.now();
  const alerts = alertsBody(deps.view, deps.history, {
    from: now - 86_400_000,
    to: null,
    limit: STREAM_RECENT_ALERTS,
    host: undefined,
  });
  return {
    now: nowBody(deps.view, now),
    nodes: nodesBody(deps.view, now, deps.thresholds).nodes,
    alerts: { firing: alerts.firing, alerts: alerts.alerts },
  };
}

function answer<Q>(
  parsed: { ok: true; query: Q } | { ok: false; error: string },
  body: (q: Q) => unknown,
): Reply {
  return parsed.ok ? json(200, body(parsed.query)) : badRequest(parsed.error);
}

export function apiRoutes(deps: ApiDeps): Route[] {
  const { view, history, clock, thresholds } = deps;
  return [
    {
      path: '/api/sessions',
      handle: ({ url }) => {
        const parsed = parseSessionsQuery(url.searchParams);
        if (!parsed.ok) return badRequest(parsed.error);
        const result = answerSessions(parsed.query, clock.now(), view, history);
        return result.ok ? json(200, result.body) : badRequest(result.error);
      },
    },
    {
      path: '/api/now',
      handle: ({ url }) =>
        answer(parseNowQuery(url.searchParams), (q) => nowBody(view, clock.now(), q.limit)),
    },
    {
      path: '/api/online',
      handle: ({ url }) =>
        answer(parseOnlineQuery(url.searchParams), (q) => onlineBody(view, clock.now(), q.limit)),
    },
    {
      path: '/api/nodes',
      handle: ({ url }) =>
        answer(parseNoQuery(url.searchParams), () => nodesBody(view, clock.now(), thresholds)),
    },
    {
      path: '/api/users/:user/history',
      handle: ({ url, params }) =>
        answer(parseUserHistoryQuery(params.user ?? '', url.searchParams, clock.now()), (q) =>
          userHistoryBody(history, q),
        ),
    },
    {
      path: '/api/peaks',
      handle: ({ url }) =>
        answer(parsePeaksQuery(url.searchParams, clock.now()), (q) => peaksBody(history, q)),
    },
    {
      path: '/api/logins',
      handle: ({ url }) =>
        answer(parseLoginsQuery(url.searchParams, clock.now()), (q) => loginsBody(history, q)),
    },
    {
      path: '/api/alerts',
      handle: ({ url }) =>
        answer(parseAlertsQuery(url.searchParams, clock.now()), (q) => alertsBody(view, history, q)),
    },
    {
      path: '/api/receivers',
      handle: ({ url }) =>
        answer(parseNoQuery(url.searchParams), () => deps.receivers?.() ?? { unrouted: 0, receivers: [] }),
    },
    {
      path: '/api/stream',
      handle: ({ url, req, res }) => {
        const parsed = parseNoQuery(url.searchParams);
        if (!parsed.ok) return badRequest(parsed.error);
        if (req.method === 'HEAD')
          return { status: 200, contentType: 'text/event-stream; charset=utf-8', body: '' };
        if (deps.sse.attach(req, res)) return 'taken';
        return json(503, { error: 'too many live-update clients (http.maxStreamClients); try again later' });
      },
    },
    {
      path: '/healthz',
      handle: () => {
        const body = deps.health();
        return json(body.status === 'unhealthy' ? 503 : 200, body);
      },
    },
    {
      path: '/metrics',
      handle: async () => ({
        status: 200,
        contentType: deps.metrics.registry.contentType,
        body: await deps.metrics.render(),
      }),
    },
  ];
}

const INDEX_LINKS: readonly (readonly [string, string])[] = [
  [
    '/api/sessions',
    'who is on now (?at=2026-11-30T08:00:00Z for a past time, &host=, &user=DIR%5Cid, &app=)',
  ],
  ['/api/now', 'totals, per host, per app, users on now'],
  ['/api/online', 'one row per host and user on now: since, apps, browser and OS, node'],
  ['/api/nodes', 'sidecar nodes: last event, last status, silent or not'],
  ['/api/peaks', 'peak concurrent users per minute, hour or day (?unit=minute|day)'],
  ['/api/logins', 'log-ins per minute or hour (?unit=hour)'],
  ['/api/alerts', 'alerts firing now and recent notices'],
  ['/api/receivers', 'alert receivers: queues, sent, retries, given up'],
  ['/api/stream', 'live updates (server-sent events)'],
  ['/healthz', 'health'],
  ['/metrics', 'Prometheus metrics'],
];

/** A plain index of the API: at `/` until the live page takes that route, then at `/api`. */
export function indexRoute(path = '/'): Route {
  const items = INDEX_LINKS.map(([href, what]) => `<li><a href="${href}">${href}</a> — ${what}</li>`).join(
    '\n',
  );
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sense-sidecar aggregator</title></head>
<body><h1>sense-sidecar aggregator</h1>
<p>Who is using Qlik Sense, across every node: the <a href="/">live page</a>. JSON API:</p>
<ul>
${items}
</ul>
<p>User history: <code>/api/users/CORP%5Cjdoe/history?from=…&amp;to=…</code></p>
</body></html>
`;
  return { path, handle: () => ({ status: 200, contentType: HTML_TYPE, body }) };
}
