import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AggregatorConfig } from '../config/aggregator-schema.js';
import type { Clock } from '../core/clock.js';
import { checkDataDir } from '../core/data-dir.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { shippedDir } from '../core/shipped-files.js';
import { jetstream } from '@nats-io/jetstream';
import { publishWithMsgId } from '../publish/msg-id-publish.js';
import { natsConnectionOptions, type ReadFile } from '../publish/nats-connection.js';
import { loadHttpAccess } from './http/access.js';
import { type AggregatorMetrics, createAggregatorMetrics } from './aggregator-metrics.js';
import { ClusterAlerting, clusterRulePaths } from './cluster-alerting.js';
import { CLUSTER_RULES_DEFAULTS, type ClusterDecision } from './cluster-rules/index.js';
import { CLUSTER_VIEW_DEFAULTS, ClusterView } from './cluster-view.js';
import { Folder } from './folder.js';
import { openHistory } from './history-open.js';
import type { HistoryStore } from './history-store.js';
import type { SilenceThresholds } from './http/api-queries.js';
import { apiRoutes, type HealthBody, indexRoute, streamSnapshot } from './http/api-routes.js';
import { ApiServer, type Route } from './http/api-server.js';
import { SseHub } from './http/sse-hub.js';
import { NatsIntake } from './nats-intake.js';
import { AlertDelivery } from './receivers/alert-delivery.js';

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
  /** Where alert receivers' `{env: NAME}` secrets are read; default none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** This machine's name (SMTP EHLO); default `sense-aggregator`. */
  readonly hostname?: string;
}

export type CreateResult =
  | { readonly ok: true; readonly aggregator: Aggregator }
  | { readonly ok: false; readonly problems: string[] };

/** The view's own expiry (idle users, aged ids) runs this often. */
const EXPIRE_INTERVAL_MS = 10_000;
/** The history's retention is applied at start and this often. */
const PRUNE_INTERVAL_MS = 3_600_000;

export const HISTORY_FILE = 'history.sqlite';
/** The cluster rules' alert memory (firing episodes, throttles), kept across restarts. */
export const CLUSTER_RULES_MEMORY_FILE = 'cluster-rules.json';
/** How long a JetStream publish of a cluster alert may wait for its acknowledgement. */
const ALERT_PUBLISH_TIMEOUT_MS = 5_000;
/** The package's own `rules/cluster` (from src/aggregate or dist/aggregate alike). */
const SHIPPED_CLUSTER_RULES = shippedDir('rules/cluster', new URL('../../rules/cluster', import.meta.url));

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
    private readonly cluster: ClusterAlerting | null,
    private readonly delivery: AlertDelivery | null,
  ) {}

  /** Builds everything; refuses with every problem (NATS credentials, history file) before anything runs. */
  static async create(options: AggregatorOptions): Promise<CreateResult> {
    const { config, clock, log } = options;
    const problems: string[] = [];
    const connection = await natsConnectionOptions(config.nats, options.readFile);
    if (!connection.ok) problems.push(...connection.problems);
    const access = await loadHttpAccess(config.http, options.readFile);
    if (!access.ok) problems.push(...access.problems);
    const path = join(config.dataDir, HISTORY_FILE);
    let history: HistoryStore | null = null;
    const streams = [config.jetstream.eventsStream, config.jetstream.alertsStream];
    const dataDirProblem = await checkDataDir(config.dataDir);
    if (dataDirProblem !== null) problems.push(dataDirProblem);
    else
      try {
        const opened = openHistory(path, clock.now(), streams);
        history = opened.history;
        if (opened.setAside !== null)
          log.warn(
            { history: path, problem: opened.setAside.problem, setAside: opened.setAside.movedTo },
            `the history ${path} is damaged (${opened.setAside.problem}): set aside as ${opened.setAside.movedTo.join(', ')}; ` +
              `a new one is rebuilt from what the streams ${streams.join(' and ')} still keep`,
          );
      } catch (error) {
        problems.push(
          `dataDir ${config.dataDir}: cannot open the history ${path} (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    let delivery: AlertDelivery | null = null;
    if (history !== null && config.alerting.receivers.length > 0) {
      const made = await AlertDelivery.create({
        config: config.alerting,
        db: history.connection,
        clock,
        log,
        env: options.env ?? {},
        readFile: options.readFile,
        clusterHost: CLUSTER_RULES_DEFAULTS.host,
        hostname: options.hostname ?? 'sense-aggregator',
      });
      if (made.ok) delivery = made.delivery;
      else problems.push(...made.problems);
    }
    if (!connection.ok || !access.ok || history === null || problems.length > 0) {
      history?.close();
      return { ok: false, problems };
    }
    const alertDelivery = delivery;
    if (alertDelivery !== null) history.onFirstRecord((alert) => alertDelivery.onRecorded(alert));

    const now = clock.now();
    const thresholds: SilenceThresholds = {
      statusSilentAfterMs: config.nodes.statusSilentAfterMs,
      datagramsSilentAfterMs: config.nodes.datagramsSilentAfterMs,
    };
    const view = new ClusterView(
      {
        ...thresholds,
        idleTimeoutMs: config.sessions.idleTimeoutMs,
        expectedNodes: config.nodes.expected,
        clusterAlertHost: CLUSTER_RULES_DEFAULTS.host,
      },
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

    // The intake is made below; the cluster alerts are published on its connection.
    let intakeRef: NatsIntake | null = null;
    let cluster: ClusterAlerting | null = null;
    if (config.rules.paths.length > 0) {
      const resolved = clusterRulePaths(config.rules.paths, existsSync, SHIPPED_CLUSTER_RULES);
      if (resolved.shipped)
        log.info(
          { paths: resolved.paths },
          'rules.paths: no rules/cluster in the working directory; using the cluster rules shipped with the package',
        );
      const loaded = await ClusterAlerting.create({
        paths: resolved.paths,
        timezone: config.rules.timezone,
        name: config.consumer.name,
        subjectPrefix: config.nats.subjectPrefix,
        host: CLUSTER_RULES_DEFAULTS.host,
        view,
        send: (d) => publishDecision(intakeRef, d),
        memoryFile: join(config.dataDir, CLUSTER_RULES_MEMORY_FILE),
        clock,
        log,
      });
      if (!loaded.ok) {
        history.close();
        return {
          ok: false,
          problems: [...loaded.problems, 'rules.paths: the cluster rules above were refused'],
        };
      }
      cluster = loaded.alerting;
    }
    const clusterAlerting = cluster;

    let sse: SseHub | null = null;
    const folder = new Folder({
      view,
      history,
      onChange: () => sse?.notify(),
      ...(clusterAlerting === null
        ? {}
        : {
            onChanges: (changes, at) => {
              clusterAlerting.changes(changes, at);
            },
          }),
    });
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
      replay: {
        pending: (stream) => historyStore.replayPending(stream),
        done: (stream) => {
          historyStore.replayDone(stream);
        },
      },
      folder,
      clock,
      log,
    });
    intakeRef = intake;
    const receivers = () => alertDelivery?.stats() ?? null;
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
      clusterRules: () => clusterAlerting?.stats() ?? null,
      receivers,
    });
    const health = (): HealthBody => {
      const nats = intake.natsState;
      const historyOk = folder.failing === null;
      const retrying = alertDelivery?.retrying() ?? [];
      return {
        status: !historyOk ? 'unhealthy' : nats === 'connected' && retrying.length === 0 ? 'ok' : 'degraded',
        checks: {
          nats,
          consume: intake.mode,
          history: historyOk ? 'ok' : 'failing',
          pending: folder.pending,
          ...(alertDelivery === null
            ? {}
            : { receivers: retrying.length === 0 ? 'ok' : `retrying: ${retrying.join(', ')}` }),
        },
      };
    };
    const server = new ApiServer({
      host: config.http.host,
      port: config.http.port,
      log,
      access: access.access,
    });
    for (const route of apiRoutes({ view, history, clock, thresholds, sse: hub, metrics, health, receivers }))
      server.route(route);
    server.route(indexRoute());
    return {
      ok: true,
      aggregator: new Aggregator(
        options,
        view,
        history,
        folder,
        intake,
        hub,
        metrics,
        server,
        cluster,
        alertDelivery,
      ),
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
    // Before the intake: notices left pending by the last run are sent first, in their order.
    this.delivery?.start();
    await this.intake.start();
    await this.cluster?.start();
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

  /** Loads the cluster rule files again (SIGHUP); a refused set is logged and the last good rules stay. */
  async reloadRules(reason: string): Promise<void> {
    await this.cluster?.reload(reason);
  }

  private async close(deadline: number): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sse.stop();
    // While the connection is still open: the last evaluations are published, the memory kept.
    // Half of the time left is theirs at most; the intake's commit and drain get the rest.
    await this.cluster?.stop(Date.now() + Math.max(0, deadline - Date.now()) / 2);
    await this.intake.stop(deadline);
    await this.delivery?.stop(deadline);
    await this.server.stop(deadline);
    this.history.close();
  }

  private prune(): void {
    const { clock, log, config } = this.options;
    try {
      const pruned = this.history.prune(clock.now(), config.history.retentionMs);
      const deliveries = this.delivery?.prune(clock.now()) ?? 0;
      log.debug({ pruned, deliveries }, 'history retention applied');
    } catch (error) {
      log.error({ err: error }, 'could not apply the history retention; trying again in an hour');
    }
  }
}

/**
 * Publishes one cluster alert on the intake's connection: through JetStream when the intake
 * consumes that way (the alerts stream keeps it, and `Nats-Msg-Id` makes a re-send a
 * duplicate the stream drops), on core NATS otherwise. Rejects when it could not; the outbox
 * tries again.
 */
async function publishDecision(intake: NatsIntake | null, d: ClusterDecision): Promise<void> {
  const nc = intake?.connection;
  if (intake === null || nc === undefined || nc.isClosed() || intake.natsState !== 'connected')
    throw new Error('not connected to NATS');
  const payload = JSON.stringify(d.envelope);
  if (intake.mode === 'jetstream') {
    await jetstream(nc).publish(d.subject, payload, {
      msgID: d.messageId,
      timeout: ALERT_PUBLISH_TIMEOUT_MS,
    });
    return;
  }
  if (intake.mode !== 'core') throw new Error('NATS intake still connecting');
  publishWithMsgId(nc, d.subject, payload, d.messageId);
  await nc.flush();
}
