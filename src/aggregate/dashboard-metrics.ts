/**
 * The aggregator's Prometheus metrics that the Grafana dashboard (dashboards/sense-sidecar-cluster.json)
 * queries. The one list of them: test/unit/dashboard.test.ts checks that every panel uses only
 * these names, and that the aggregator's own registry (createAggregatorMetrics) exposes each of
 * them with exactly these labels.
 */
export const DASHBOARD_METRICS = {
  /** Gauge: open proxy sessions per sidecar node (on the hosts it reported). */
  sense_aggregator_active_sessions: { type: 'gauge', labels: ['node'] },
  /** Gauge: distinct users with a session or connection open anywhere in the cluster (no labels). */
  sense_aggregator_cluster_users: { type: 'gauge', labels: [] },
  /** Counter: log-ins (session starts) per sidecar node, since the aggregator started. */
  sense_aggregator_logins_total: { type: 'counter', labels: ['node'] },
  /** Counter: alert notices folded (firing, repeats, resolved), sidecars' and cluster rules' alike; also has `status`. */
  sense_aggregator_alerts_total: { type: 'counter', labels: ['rule', 'severity'] },
  /** Gauge: seconds since the aggregator last heard from a sidecar node. */
  sense_aggregator_node_last_seen_age_seconds: { type: 'gauge', labels: ['node'] },
} as const satisfies Readonly<
  Record<string, { readonly type: 'gauge' | 'counter'; readonly labels: readonly string[] }>
>;

export type DashboardMetric = keyof typeof DASHBOARD_METRICS;
