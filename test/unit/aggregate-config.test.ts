import { describe, expect, it } from 'vitest';
import {
  AGGREGATOR_CONFIG_KEYS,
  formatAggregatorIssue,
  loadAggregatorConfig,
  renderAggregatorConfigReference,
} from '../../src/config/aggregator-load.js';
import { AGGREGATOR_KEY_SPECS, defaultConsumerName } from '../../src/config/aggregator-schema.js';
import { splitList } from '../../src/config/env.js';

function issues(text: string | undefined, env: Record<string, string> = {}): string[] {
  const result = loadAggregatorConfig({ text, fileName: 'agg.yaml', env, hostname: 'agg1.corp' });
  return result.ok ? [] : result.issues.map(formatAggregatorIssue);
}

describe('aggregator config', () => {
  it('has defaults for everything, distinct from the sidecar where both listen', () => {
    const result = loadAggregatorConfig({ env: {}, hostname: 'agg1.corp' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      nats: {
        servers: ['nats://127.0.0.1:4222'],
        subjectPrefix: 'sense',
        name: 'sense-aggregator/agg1.corp',
      },
      jetstream: { enabled: true, eventsStream: 'SENSE_EVENTS', alertsStream: 'SENSE_ALERTS' },
      consumer: { name: 'sense-aggregator-agg1_corp' },
      http: { host: '127.0.0.1', port: 9999, maxStreamClients: 100 },
      dataDir: 'aggregator-data',
      history: { retentionMs: 90 * 86_400_000 },
      nodes: { expected: [], statusSilentAfterMs: 35_000, datagramsSilentAfterMs: 1_800_000 },
      log: { level: 'info' },
    });
  });

  it('reads the file and lets SENSE_AGGREGATOR_* win over it', () => {
    const text = 'consumer:\n  name: agg-a\nnodes:\n  expected: [N1, N2]\nhttp: {port: 8080}\n';
    const result = loadAggregatorConfig({
      text,
      env: { SENSE_AGGREGATOR_HTTP_PORT: '8081', SENSE_AGGREGATOR_NODES_EXPECTED: 'N3' },
      hostname: 'h',
    });
    expect(result.ok && result.config.consumer.name).toBe('agg-a');
    expect(result.ok && result.config.http.port).toBe(8081);
    expect(result.ok && result.config.nodes.expected).toEqual(['N3']);
  });

  it('ignores the sidecar variables, so both programs can share an environment', () => {
    expect(issues(undefined, { SENSE_SIDECAR_UDP_PORT: '9997' })).toEqual([]);
  });

  it('says where each problem is, with did-you-mean, file and environment alike', () => {
    const text = ['consumer:', '  nmae: x', 'http:', '  port: 99999', 'history:', '  retention: 5'].join(
      '\n',
    );
    expect(issues(text, { SENSE_AGGREGATOR_HTTP_PROT: '1' })).toEqual([
      'agg.yaml:2:3: consumer.nmae: unknown key "nmae"; did you mean "name"?',
      'agg.yaml:4:9: http.port: must be an integer between 0 and 65535, got "99999"',
      'agg.yaml:6:14: history.retention: must be a duration between 1h and 3650d (e.g. 10s, 500ms, 1m30s), got "5"; add a unit',
      'env SENSE_AGGREGATOR_HTTP_PROT: unknown variable; did you mean SENSE_AGGREGATOR_HTTP_PORT?',
    ]);
  });

  it('refuses a durable name NATS would refuse, naming the variable when it came from there', () => {
    expect(issues(undefined, { SENSE_AGGREGATOR_CONSUMER_NAME: 'a.b' })).toEqual([
      'env SENSE_AGGREGATOR_CONSUMER_NAME: consumer.name: must be a name of 1 to 64 letters, digits, _ and -, got "a.b"',
    ]);
    expect(defaultConsumerName('sense 1.corp>x')).toBe('sense-aggregator-sense_1_corp_x');
  });

  it('renders a reference row per key whose defaults parse to the default values', () => {
    const lines = renderAggregatorConfigReference().trimEnd().split('\n');
    expect(lines).toHaveLength(AGGREGATOR_CONFIG_KEYS.length + 2);
    expect(lines).toContain(
      '| `consumer.name` | `SENSE_AGGREGATOR_CONSUMER_NAME` | `sense-aggregator-<host name>` | Durable consumer name on both streams; every aggregator replica needs its own (a shared one splits the messages). |',
    );
    const context = { hostname: 'h', node: 'h', timezone: 'UTC' };
    for (const spec of AGGREGATOR_KEY_SPECS) {
      expect(spec.description).toMatch(/^[A-Z][^\n]+\.$/);
      if (spec.defaultText.includes('<')) continue;
      const input = spec.list ? splitList(spec.defaultText.replace(/^\[|\]$/g, '')) : spec.defaultText;
      const parsed = spec.schema.safeParse(input);
      expect([spec.path, parsed.success ? parsed.data : parsed.error.issues]).toEqual([
        spec.path,
        spec.default(context),
      ]);
    }
  });
});
