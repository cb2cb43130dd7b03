import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ClusterView } from './cluster-view.js';
import type { FolderStats } from './folder.js';
import { lastSeenAt } from './http/api-queries.js';

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
}

export interface AggregatorMetrics {
  readonly registry: Registry;
  render(): Promise<string>;
}

export const AGGREGATOR_METRIC_PREFIX = 'sense_aggregator_';

type Labels<L extends string> = Readonly<Record<L, string>>;

export function createAggregatorMetrics(
  sources: AggregatorMetricSources,
  options: { readonly defaultMetrics?: boolean } = {},
): AggregatorMetrics {
  const registry = new Registry();
  const name = (suffix: string): string => AGGREGATOR_METRIC_PREFIX + suffix;

  const counter = <L extends string>(
    suffix: string,
    help: string,
    labelNames: readonly L[],
    read: () => Iterable<readonly [Labels<L>, number]>,
  ): void => {
    new Counter<L>({
      name: name(suffix),
      help,
      labelNames,
      registers: [registry],
      collect(this: Counter<L>) {
        this.reset();
        for (const [labels, value] of read())
          if (Number.isFinite(value) && value >= 0) this.inc(labels, value);
      },
    });
  };
  const gauge = <L extends string>(
    suffix: string,
    help: string,
    labelNames: readonly L[],
    read: () => Iterable<readonly [Labels<L>, number]>,
  ): void => {
    new Gauge<L>({
      name: name(suffix),
      help,
      labelNames,
      registers: [registry],
      collect(this: Gauge<L>) {
        this.reset();
        for (const [labels, value] of read()) if (Number.isFinite(value)) this.set(labels, value);
      },
    });
  };
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
  gauge('build_info', 'The running version (value 1).', ['version'], () => [
    [{ version: sources.version }, 1] as const,
  ]);

  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: AGGREGATOR_METRIC_PREFIX });
  return { registry, render: () => registry.metrics() };
}
