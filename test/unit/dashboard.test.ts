import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAggregatorMetrics } from '../../src/aggregate/aggregator-metrics.js';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import { DASHBOARD_METRICS } from '../../src/aggregate/dashboard-metrics.js';
import { Folder } from '../../src/aggregate/folder.js';
import { HistoryStore } from '../../src/aggregate/history-store.js';
import { alertMessage, SEC, statusMessage, T0, userEvent } from '../fixtures/aggregate/messages.js';

const FILE = 'dashboards/sense-sidecar-cluster.json';
const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;

interface Target {
  readonly expr?: unknown;
  readonly datasource?: unknown;
}
interface Panel {
  readonly title?: unknown;
  readonly type?: unknown;
  readonly datasource?: unknown;
  readonly targets?: readonly Target[];
}

const panels = dashboard['panels'] as readonly Panel[];
const variables = (dashboard['templating'] as { list: readonly Record<string, unknown>[] }).list;
const METRICS: readonly string[] = Object.keys(DASHBOARD_METRICS);

/** PromQL words that are not metric names: functions, aggregations, keywords used by the panels. */
const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'by',
  'without',
  'rate',
  'increase',
  'irate',
  'label_values',
  'topk',
  'bottomk',
]);

/**
 * The metric names an expression uses: what is left of its identifiers once label matchers
 * (`{...}`), ranges (`[...]`), strings, grouping labels (`by (...)`) and PromQL words are taken out.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without)\s*\([^)]*\)/g, ' ')
    .replace(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*\w+\s*\)/g, ' $1 ');
  const words = stripped.match(/[a-zA-Z_:][\w:]*/g) ?? [];
  return words.filter((word) => !PROMQL_WORDS.has(word));
}

describe(FILE, () => {
  it('is a Grafana 10/11 dashboard importable with a Prometheus data source input', () => {
    expect(dashboard['schemaVersion']).toBeGreaterThanOrEqual(36);
    expect(dashboard['__inputs']).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' }),
    ]);
    expect(dashboard['uid']).toBe('sense-sidecar-cluster');
    expect(dashboard['id']).toBeNull();
  });

  it('has the five panels', () => {
    expect(panels.map((p) => [p.type, p.title])).toEqual([
      ['timeseries', 'Open sessions per node'],
      ['stat', 'Users on now'],
      ['timeseries', 'Log-ins per minute per node'],
      ['timeseries', 'Alerts per rule'],
      ['table', 'Node last seen'],
    ]);
  });

  it('every panel, query and variable uses the data source input', () => {
    const input = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
    for (const panel of panels) {
      expect(panel.datasource, String(panel.title)).toEqual(input);
      for (const target of panel.targets ?? []) expect(target.datasource, String(panel.title)).toEqual(input);
    }
    for (const variable of variables) expect(variable['datasource']).toEqual(input);
  });

  it('every expression queries only the aggregator metrics of DASHBOARD_METRICS', () => {
    const used = new Set<string>();
    const exprs = [
      ...panels.flatMap((p) => (p.targets ?? []).map((t) => String(t.expr))),
      ...variables.map((v) => String(v['definition'])),
    ];
    for (const expr of exprs) {
      const names = metricNames(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) expect(METRICS, `${name} in ${expr}`).toContain(name);
      for (const name of names) used.add(name);
    }
    expect([...used].sort()).toEqual([...METRICS].sort());
  });

  it('counters are only read through rate or increase', () => {
    const counters = METRICS.filter(
      (name) => DASHBOARD_METRICS[name as keyof typeof DASHBOARD_METRICS].type === 'counter',
    );
    for (const expr of panels.flatMap((p) => (p.targets ?? []).map((t) => String(t.expr)))) {
      for (const counter of counters) {
        if (expr.includes(counter)) expect(expr, expr).toMatch(new RegExp(`(rate|increase)\\(${counter}\\b`));
      }
    }
  });

  it('every label a query matches or groups by is one DASHBOARD_METRICS lists for that metric', () => {
    for (const expr of panels.flatMap((p) => (p.targets ?? []).map((t) => String(t.expr)))) {
      const names = metricNames(expr) as (keyof typeof DASHBOARD_METRICS)[];
      const allowed = new Set<string>(names.flatMap((n) => DASHBOARD_METRICS[n].labels));
      const matchers = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) =>
        [...(m[1] ?? '').matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]),
      );
      const grouped = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) =>
        (m[1] ?? '').split(',').map((l) => l.trim()),
      );
      for (const label of [...matchers, ...grouped])
        expect([...allowed], `${String(label)} in ${expr}`).toContain(label);
    }
  });

  it("the aggregator's own /metrics exposes every metric the dashboard uses, with its type and labels", async () => {
    // The real registry over a real view and folder, fed a session, a status and an alert, so that
    // the labelled series exist.
    const view = new ClusterView({}, T0);
    const history = new HistoryStore(':memory:');
    const folder = new Folder({ view, history });
    const now = T0 + 5 * SEC;
    for (const input of [
      userEvent({ id: 'e1', time: T0, kind: 'session.start', node: 'NODE-A', host: 'SENSE-A' }),
      statusMessage('s1', 'NODE-A', T0 + SEC, { received: 1, startedAt: T0 }),
      alertMessage({ alertId: 'a1', status: 'firing', time: T0 + 2 * SEC, node: 'NODE-A', rule: 'r1' }),
    ])
      folder.fold(JSON.stringify(input), now, null);
    folder.commit();
    const metrics = createAggregatorMetrics(
      {
        view,
        folder: () => folder.stats(),
        loginsPerNode: () => folder.loginsPerNode(),
        alertsCounted: () => folder.alertsCounted(),
        intake: () => ({ mode: 'jetstream', nats: 'connected' }),
        sse: () => ({ clients: 0, refused: 0, slowDisconnected: 0 }),
        now: () => now,
        thresholds: { statusSilentAfterMs: 35_000, datagramsSilentAfterMs: 1_800_000 },
        version: '0.0.0',
      },
      { defaultMetrics: false },
    );
    const text = await metrics.render();
    history.close();
    for (const [name, spec] of Object.entries(DASHBOARD_METRICS)) {
      expect(text, name).toContain(`# TYPE ${name} ${spec.type}\n`);
      const samples = text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
      expect(samples.length, `${name} has a sample`).toBeGreaterThan(0);
      for (const sample of samples) {
        const labels = [...(/^[^{ ]*\{([^}]*)\}/.exec(sample)?.[1] ?? '').matchAll(/(\w+)="/g)].map(
          (m) => m[1],
        );
        for (const label of spec.labels) expect(labels, sample).toContain(label);
      }
    }
  });

  it('the metric-name check sees through label matchers and functions', () => {
    expect(metricNames('sum by (node) (rate(foo_total{node=~"$node"}[$__rate_interval])) * 60')).toEqual([
      'foo_total',
    ]);
  });
});
