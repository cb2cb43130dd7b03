import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AggregatorConfig } from '../config/aggregator-schema.js';
import type { Clock } from '../core/clock.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { natsConnectionOptions, type ReadFile } from '../publish/nats-connection.js';
import { type AggregatorMetrics, createAggregatorMetrics } from './aggregator-metrics.js';
import { CLUSTER_VIEW_DEFAULTS, ClusterView } from './cluster-view.js';
import { Folder } from './folder.js';
import { HistoryStore } from './history-store.js';
import type { SilenceThresholds } from './http/api-queries.js';
import { apiRoutes, type HealthBody, indexRoute, streamSnapshot } from './http/api-routes.js';
import { ApiServer, type Route } from './http/api-server.js';
import { SseHub } from './http/sse-hub.js';
import { NatsIntake } from './nats-intake.js';

/**
 * The central aggregator process: the cluster view restored from the history, the NATS intake
 * folding every sidecar's messages into it, timers for the view's own expiry and the history's
 * retention, and the HTTP server (API, live stream, health, metrics, page).
 *
 * Start order: history and view first (restored before the first message), then the HTTP
 * server, then NATS. Stop order: timers and live streams, the intake (it commits and
 * acknowledges what was folded, then drains NATS), the server, the history last.
 */

export interface AggregatorOptions {
  readonly config: AggregatorConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly version: string;
  readonly readFile?: ReadFile;
}

export type CreateResult =
  | { readonly ok: true; readonly aggregator: Aggregator }
  | { readonly ok: false; readonly problems: string[] };

/** The view's own expiry (idle users, aged ids) runs this often. */
const EXPIRE_INTERVAL_MS = 10_000;
/** The history's retention is applied at start and this often. */
const PRUNE_INTERVAL_MS = 3_600_000;

export const HISTORY_FILE = 'history.sqlite';

export class Aggregator implements Lifecycle {
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly options: AggregatorOptions,
    readonly view: ClusterView,
    private readonly history: HistoryStore,
    private readonly folder: Folder,
    private readonly intake: NatsIntake,
    private readonly sse: SseHub,
    readonly metrics: AggregatorMetrics,
    readonly server: ApiServer,
  ) {}

  /** Builds everything; refuses with every problem (NATS credentials, history file) before anything runs. */
  static async create(options: AggregatorOptions): Promise<CreateResult> {
    const { config, clock, log } = options;
    const problems: string[] = [];
    const connection = await natsConnectionOptions(config.nats, options.readFile);
    if (!connection.ok) problems.push(...connection.problems);
    const path = join(config.dataDir, HISTORY_FILE);
    let history: HistoryStore | null = null;
    try {
      mkdirSync(config.dataDir, { recursive: true });
      history = new HistoryStore(path);
    } catch (error) {
      problems.push(
        `dataDir ${config.dataDir}: cannot open the history ${path} (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (!connection.ok || history === null) {
      history?.close();
      return { ok: false, problems };
    }

    const now = clock.now();
    const thresholds: SilenceThresholds = {
      statusSilentAfterMs: config.nodes.statusSilentAfterMs,
      datagramsSilentAfterMs: config.nodes.datagramsSilentAfterMs,
    };
    const view = new ClusterView(
      { ...thresholds, idleTimeoutMs: config.sessions.idleTimeoutMs, expectedNodes: config.nodes.expected },
      now,
    );
    const restored = history.restoreState(now - CLUSTER_VIEW_DEFAULTS.idHorizonMs);
    view.restore(restored, now);
    log.info(
      {
        history: path,
        sessions: restored.sessions.length,
        connections: restored.connections.length,
        firingAlerts: restored.firingAlerts.length,
        knownIds: restored.seenIds.length,
      },
      'cluster view restored from the history',
    );

    let sse: SseHub | null = null;
    const folder = new Folder({ view, history, onChange: () => sse?.notify() });
    const historyStore = history;
    sse = new SseHub({
      maxClients: config.http.maxStreamClients,
      clock,
      snapshot: () => streamSnapshot({ view, history: historyStore, clock, thresholds }),
    });
    const hub = sse;
    const intake = new NatsIntake({
      connect: connection,
      subjectPrefix: config.nats.subjectPrefix,
      jetstream: config.jetstream.enabled,
      streams: { events: config.jetstream.eventsStream, alerts: config.jetstream.alertsStream },
      consumerName: config.consumer.name,
      folder,
      clock,
      log,
    });
    const metrics = createAggregatorMetrics({
      view,
      folder: () => folder.stats(),
      loginsPerNode: () => folder.loginsPerNode(),
      alertsCounted: () => folder.alertsCounted(),
      intake: () => ({ mode: intake.mode, nats: intake.natsState }),
      sse: () => hub.stats(),
      now: () => clock.now(),
      thresholds,
      version: options.version,
    });
    const health = (): HealthBody => {
      const nats = intake.natsState;
      const historyOk = folder.failing === null;
      return {
        status: !historyOk ? 'unhealthy' : nats === 'connected' ? 'ok' : 'degraded',
        checks: {
          nats,
          consume: intake.mode,
          history: historyOk ? 'ok' : 'failing',
          pending: folder.pending,
        },
      };
    };
    const server = new ApiServer({ host: config.http.host, port: config.http.port, log });
    for (const route of apiRoutes({ view, history, clock, thresholds, sse: hub, metrics, health }))
      server.route(route);
    server.route(indexRoute());
    return {
      ok: true,
      aggregator: new Aggregator(options, view, history, folder, intake, hub, metrics, server),
    };
  }

  /** Adds a route, or replaces the one with the same path (e.g. the live page at `/` replaces the index). */
  route(route: Route): void {
    this.server.route(route);
  }

  async start(): Promise<void> {
    const { clock, log, config } = this.options;
    await this.server.start();
    this.prune();
    await this.intake.start();
    this.timers.push(
      setInterval(() => {
        this.folder.expire(clock.now());
        this.folder.commit();
      }, EXPIRE_INTERVAL_MS),
      setInterval(() => {
        this.prune();
      }, PRUNE_INTERVAL_MS),
    );
    for (const t of this.timers) t.unref();
    log.info(
      { url: this.server.url, consumer: config.consumer.name, nodesExpected: config.nodes.expected },
      'sense-aggregator ready',
    );
  }

  stop(deadline: number): Promise<void> {
    this.stopping ??= this.close(deadline);
    return this.stopping;
  }

  private async close(deadline: number): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sse.stop();
    await this.intake.stop(deadline);
    await this.server.stop(deadline);
    this.history.close();
  }

  private prune(): void {
    const { clock, log, config } = this.options;
    try {
      const pruned = this.history.prune(clock.now(), config.history.retentionMs);
      log.debug({ pruned }, 'history retention applied');
    } catch (error) {
      log.error({ err: error }, 'could not apply the history retention; trying again in an hour');
    }
  }
}
