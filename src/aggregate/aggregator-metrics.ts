import { collectDefaultMetrics, Registry } from 'prom-client';
import { scrapedMetrics } from '../observe/scraped-metrics.js';
import type { ClusterAlertingStats } from './cluster-alerting.js';
import type { ClusterView } from './cluster-view.js';
import type { FolderStats } from './folder.js';
import { lastSeenAt } from './http/api-queries.js';
import type { AlertDeliveryStats } from './receivers/alert-delivery.js';
import { registerReceiverMetrics } from './receivers/receiver-metrics.js';

/**
 * The aggregator's Prometheus metrics (`sense_aggregator_*`) in a registry of its own, read at
 * scrape time from the view, the folder and the intake; nothing on the message path touches
 * prom-client. Totals kept as plain numbers are exposed as counters that are reset and set on
 * each scrape (a restart reads as a counter reset, which it is).
 */

export interface AggregatorMetricSources {
  readonly view: ClusterView;
  folder(): FolderStats;
  loginsPerNode(): ReadonlyMap<string, number>;
  alertsCounted(): readonly { rule: string; severity: string; status: string; n: number }[];
  intake(): { readonly mode: string; readonly nats: string };
  sse(): { readonly clients: number; readonly refused: number; readonly slowDisconnected: number };
  now(): number;
  readonly thresholds: { readonly statusSilentAfterMs: number; readonly datagramsSilentAfterMs: number };
  readonly version: string;
  /** The cluster rules' counters; null (or absent) when none are configured (rules.paths empty). */
  clusterRules?(): ClusterAlertingStats | null;
  /** The alert receivers' counters; null (or absent) when none are configured. */
  receivers?(): AlertDeliveryStats | null;
}

export interface AggregatorMetrics {
  readonly registry: Registry;
  render(): Promise<string>;
}

export const AGGREGATOR_METRIC_PREFIX = 'sense_aggregator_';

export function createAggregatorMetrics(
  sources: AggregatorMetricSources,
  options: { readonly defaultMetrics?: boolean } = {},
): AggregatorMetrics {
  const registry = new Registry();
  const scraped = scrapedMetrics(registry, AGGREGATOR_METRIC_PREFIX, Number.isFinite);
  const { counter, gauge } = scraped;

  const one = (value: number): [readonly [Record<string, never>, number]] => [[{}, value]];

  // One nodes() reading per scrape: the per-node gauges below are collected in the same turn.
  let nodesAt = -1;
  let nodesCache: ReturnType<ClusterView['nodes']> = [];
  const nodes = (): ReturnType<ClusterView['nodes']> => {
    const now = sources.now();
    if (now !== nodesAt) {
      nodesAt = now;
      nodesCache = sources.view.nodes(
        now,
        sources.thresholds.statusSilentAfterMs,
        sources.thresholds.datagramsSilentAfterMs,
      );
    }
    return nodesCache;
  };
  const perNode = (read: (n: ReturnType<ClusterView['nodes']>[number]) => number) => () =>
    nodes().map((n) => [{ node: n.node }, read(n)] as const);

  // ---- the cluster -----------------------------------------------------------------------------
  gauge(
    'active_sessions',
    'Open proxy sessions on the hosts each sidecar node reported.',
    ['node'],
    perNode((n) => n.sessions),
  );
  gauge(
    'active_users',
    'Users with a session or connection open on the hosts of each node.',
    ['node'],
    perNode((n) => n.users),
  );
  gauge(
    'active_connections',
    'Open app connections on the hosts of each node.',
    ['node'],
    perNode((n) => n.connections),
  );
  gauge('cluster_sessions', 'Open proxy sessions in the whole cluster.', [], () =>
    one(sources.view.totals().sessions),
  );
  gauge('cluster_users', 'Distinct users with something open anywhere in the cluster.', [], () =>
    one(sources.view.totals().users),
  );
  gauge('cluster_connections', 'Open app connections in the whole cluster.', [], () =>
    one(sources.view.totals().connections),
  );
  counter(
    'logins_total',
    'Sessions started (log-ins) folded since the aggregator started, per sidecar node.',
    ['node'],
    () => [...sources.loginsPerNode()].map(([node, n]) => [{ node }, n] as const),
  );
  counter(
    'alerts_total',
    'Alert notices folded since start, per rule, severity and status (firing/resolved).',
    ['rule', 'severity', 'status'],
    () =>
      sources
        .alertsCounted()
        .map((a) => [{ rule: a.rule, severity: a.severity, status: a.status }, a.n] as const),
  );
  gauge('alerts_firing', 'Alerts firing now (not resolved).', [], () => one(sources.view.alertsNow().length));
  gauge(
    'node_last_seen_age_seconds',
    'Seconds since the aggregator last received a status or event from the node.',
    ['node'],
    perNode((n) => (sources.now() - lastSeenAt(n)) / 1000),
  );
  gauge(
    'node_silent',
    '1 when the node is silent (no status, or no datagrams, for longer than the thresholds).',
    ['node'],
    perNode((n) => (n.silent.length > 0 ? 1 : 0)),
  );

  // ---- consuming and folding -----------------------------------------------------------------------
  counter(
    'messages_received_total',
    'Messages taken from NATS (events, rejects, alerts, status), any outcome.',
    [],
    () => one(sources.folder().received),
  );
  counter(
    'messages_total',
    'Messages by what folding them did: applied, duplicate, beyond-horizon (an old redelivery), invalid, ignored (a type the view does not use), unparseable (not a CloudEvent).',
    ['outcome'],
    () => {
      const f = sources.folder();
      return [
        ...Object.entries(f.outcomes).map(([outcome, n]) => [{ outcome }, n] as const),
        [{ outcome: 'unparseable' }, f.unparseable] as const,
      ];
    },
  );
  counter('invalid_total', 'Messages refused by the view, by reason.', ['reason'], () =>
    Object.entries(sources.view.stats().invalid).map(([reason, n]) => [{ reason }, n] as const),
  );
  counter(
    'history_commits_total',
    'History transactions committed (each covers a batch of messages).',
    [],
    () => one(sources.folder().commits),
  );
  counter(
    'history_write_errors_total',
    'History transactions that failed (the batch is retried, nothing is acknowledged meanwhile).',
    [],
    () => one(sources.folder().commitErrors),
  );
  counter(
    'history_changes_dropped_total',
    'View changes given up because commits kept failing and the pending list was full.',
    [],
    () => one(sources.folder().changesDropped),
  );
  counter('acks_total', 'JetStream messages acknowledged (after their commit).', [], () =>
    one(sources.folder().acks),
  );
  gauge('pending_messages', 'Messages folded but not yet committed and acknowledged.', [], () =>
    one(sources.folder().pending),
  );
  counter(
    'stale_total',
    'Stops and closes that closed nothing (their start was lost or is still to come), and expiries naming more sessions than were open.',
    ['kind'],
    () => {
      const s = sources.view.stats();
      return [
        [{ kind: 'stop' }, s.staleStops],
        [{ kind: 'close' }, s.staleCloses],
        [{ kind: 'expired' }, s.unmatchedExpired],
      ] as const;
    },
  );
  counter(
    'timed_out_total',
    "Sessions and connections closed by the aggregator's own idle timeout.",
    ['kind'],
    () => {
      const s = sources.view.stats();
      return [
        [{ kind: 'session' }, s.timedOut.sessions],
        [{ kind: 'connection' }, s.timedOut.connections],
      ] as const;
    },
  );
  counter('evicted_total', 'Entries the view evicted to stay within its bounds, by what.', ['what'], () =>
    Object.entries(sources.view.stats().evicted).map(([what, n]) => [{ what }, n] as const),
  );
  gauge('nats_connected', '1 when connected to NATS.', [], () =>
    one(sources.intake().nats === 'connected' ? 1 : 0),
  );
  gauge(
    'consume_mode',
    '1 for the way messages are consumed now: jetstream (durable consumer), core (plain subscriptions) or connecting.',
    ['mode'],
    () =>
      ['connecting', 'jetstream', 'core'].map(
        (mode) => [{ mode }, sources.intake().mode === mode ? 1 : 0] as const,
      ),
  );
  gauge('stream_clients', 'Live-update (server-sent events) clients connected.', [], () =>
    one(sources.sse().clients),
  );
  counter(
    'stream_refused_total',
    'Live-update clients refused (http.maxStreamClients) or cut off for not reading.',
    ['cause'],
    () => {
      const s = sources.sse();
      return [
        [{ cause: 'full' }, s.refused],
        [{ cause: 'slow' }, s.slowDisconnected],
      ] as const;
    },
  );
  // ---- cluster rules ---------------------------------------------------------------------------
  const cluster = (): ClusterAlertingStats | null => sources.clusterRules?.() ?? null;
  const perRule = (pick: (s: ClusterAlertingStats) => Readonly<Record<string, number>>) => () => {
    const s = cluster();
    return s === null ? [] : Object.entries(pick(s)).map(([rule, n]) => [{ rule }, n] as const);
  };
  gauge('cluster_rules', 'Cluster rules loaded (0 when rules.paths is empty).', [], () =>
    one(cluster()?.rules.rules ?? 0),
  );
  counter(
    'cluster_rule_evaluations_total',
    'Times each cluster rule was evaluated (per user, node or the cluster, after folds and on the 5 s tick).',
    ['rule'],
    perRule((s) => s.rules.evaluations),
  );
  counter(
    'cluster_rule_alerts_total',
    'Alert notices the cluster rules decided (firing includes repeats after the throttle), per rule and status.',
    ['rule', 'status'],
    () => {
      const s = cluster();
      if (s === null) return [];
      return [
        ...Object.entries(s.rules.fired).map(([rule, n]) => [{ rule, status: 'firing' }, n] as const),
        ...Object.entries(s.rules.resolved).map(([rule, n]) => [{ rule, status: 'resolved' }, n] as const),
      ];
    },
  );
  counter(
    'cluster_rule_throttled_total',
    'Cluster rule matches not notified because of the throttle.',
    ['rule'],
    perRule((s) => s.rules.throttled),
  );
  counter('cluster_rule_errors_total', 'Cluster rule evaluations that failed (logged).', [], () =>
    one(cluster()?.feed.failures ?? 0),
  );
  counter(
    'cluster_rule_changes_dropped_total',
    'View changes not evaluated by the cluster rules because too many were waiting for an evaluation.',
    [],
    () => one(cluster()?.feed.changesDropped ?? 0),
  );
  counter(
    'cluster_rule_reloads_total',
    'Cluster rule reloads (file change or SIGHUP): ok, or refused (the last good rules stay).',
    ['outcome'],
    () => {
      const s = cluster();
      return s === null
        ? []
        : [[{ outcome: 'ok' }, s.reloads.ok] as const, [{ outcome: 'refused' }, s.reloads.refused] as const];
    },
  );
  counter(
    'cluster_alerts_published_total',
    "The aggregator's own alert notices published to NATS, per status.",
    ['status'],
    () => {
      const s = cluster();
      return s === null
        ? []
        : (['firing', 'resolved'] as const).map(
            (status) => [{ status }, s.outbox.published[status]] as const,
          );
    },
  );
  counter(
    'cluster_alerts_publish_errors_total',
    'Failed publishes of cluster alerts (each is tried again every second).',
    [],
    () => one(cluster()?.outbox.errors ?? 0),
  );
  counter(
    'cluster_alerts_dropped_total',
    'Cluster alerts given up: the publish queue was full, or still held at stop.',
    [],
    () => one(cluster()?.outbox.dropped ?? 0),
  );
  gauge('cluster_alerts_queued', 'Cluster alerts waiting to be published.', [], () =>
    one(cluster()?.outbox.queued ?? 0),
  );

  registerReceiverMetrics(scraped, () => sources.receivers?.() ?? null);

  gauge('build_info', 'The running version (value 1).', ['version'], () => [
    [{ version: sources.version }, 1] as const,
  ]);

  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: AGGREGATOR_METRIC_PREFIX });
  return { registry, render: () => registry.metrics() };
}
