/**
 * The aggregator's Prometheus metrics that the Grafana dashboard (dashboards/sense-sidecar-cluster.json)
 * queries. The one list of them: a test checks that every panel uses only these names, and the
 * aggregator's /metrics should be checked against it (every name here must be exposed, with
 * these labels).
 */
export const DASHBOARD_METRICS = {
  /** Gauge: open proxy sessions per Sense node. */
  sense_aggregate_active_sessions: { type: 'gauge', labels: ['node'] },
  /** Gauge: users with a session or connection open per Sense node (a user on two nodes counts on both). */
  sense_aggregate_active_users: { type: 'gauge', labels: ['node'] },
  /** Counter: log-ins (session starts) per Sense node. */
  sense_aggregate_logins_total: { type: 'counter', labels: ['node'] },
  /** Counter: alert notices seen (firing, repeats, resolved), sidecars' and cluster rules' alike. */
  sense_aggregate_alerts_total: { type: 'counter', labels: ['rule', 'severity'] },
  /** Gauge: seconds since the aggregator last heard from a sidecar node. */
  sense_aggregate_node_last_seen_age_seconds: { type: 'gauge', labels: ['node'] },
} as const satisfies Readonly<
  Record<string, { readonly type: 'gauge' | 'counter'; readonly labels: readonly string[] }>
>;

export type DashboardMetric = keyof typeof DASHBOARD_METRICS;
