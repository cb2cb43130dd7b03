import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_METRICS } from '../../src/aggregate/dashboard-metrics.js';

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

  it('the metric-name check sees through label matchers and functions', () => {
    expect(metricNames('sum by (node) (rate(foo_total{node=~"$node"}[$__rate_interval])) * 60')).toEqual([
      'foo_total',
    ]);
  });
});
