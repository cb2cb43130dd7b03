import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCounters, type StageCounters } from '../../src/core/counters.js';
import {
  createSidecarMetrics,
  refreshedBeforeRender,
  type MetricSources,
  type NatsReading,
  type OutboxReading,
} from '../../src/observe/metrics.js';
import type { RuleCounters } from '../../src/rules/engine/evaluator.js';
import type { LiveStateStats } from '../../src/state/live-state.js';

const NOW = 1_800_000_000_000;

interface Fake {
  counters: StageCounters;
  outbox: OutboxReading;
  nats: NatsReading;
  rules: RuleCounters;
  state: LiveStateStats;
  now: number;
}

function fake(): Fake {
  const counters = createCounters();
  counters.received = 120;
  counters.decoded = 100;
  counters.rejected = { 'unknown-prefix': 15, 'too-large': 5 };
  counters.published = 98;
  counters.publishErrors = 3;
  counters.dropped = { 'intake-queue-full': 7, 'outbox-full:status': 1 };
  counters.udpReceiveErrors = 42;
  return {
    counters,
    outbox: { depth: 12, bytes: 4096, oldestAppendedAt: NOW - 90_500 },
    nats: {
      state: 'connected',
      mode: 'jetstream',
      acks: 98,
      duplicates: 2,
      retries: 1,
      inFlight: 4,
      lastAckAt: NOW - 1_250,
    },
    rules: {
      evaluations: new Map([
        ['parallel-session-limit', 50],
        ['exclude-service-accounts', 60],
      ]),
      matches: new Map([['parallel-session-limit', 4]]),
      dropped: new Map([['exclude-service-accounts', 9]]),
      fired: new Map([['parallel-session-limit', 3]]),
      resolved: new Map([['parallel-session-limit', 1]]),
      throttled: new Map([['parallel-session-limit', 2]]),
    },
    state: {
      users: 31,
      sessions: 40,
      connections: 55,
      keysEvicted: {
        presences: 1,
        appConnections: 0,
        connections: 2,
        userCounts: 3,
        hostCounts: 0,
        appCounts: 0,
      },
      staleStops: 4,
      staleCloses: 5,
      expiredSessions: 6,
    },
    now: NOW,
  };
}

function sourcesOf(f: Fake, extra: Partial<MetricSources> = {}): MetricSources {
  return {
    counters: () => f.counters,
    outbox: () => f.outbox,
    nats: () => f.nats,
    rules: () => f.rules,
    state: () => f.state,
    now: () => f.now,
    info: () => ({ node: 'SENSE-NODE1', version: '0.1.0' }),
    ...extra,
  };
}

async function lines(f: Fake, extra: Partial<MetricSources> = {}): Promise<string[]> {
  const metrics = createSidecarMetrics(sourcesOf(f, extra), { defaultMetrics: false });
  return (await metrics.render()).split('\n');
}

describe('createSidecarMetrics', () => {
  it('exposes intake, rejects and drops as counters', async () => {
    const out = await lines(fake());
    expect(out).toContain('# TYPE sense_sidecar_datagrams_received_total counter');
    expect(out).toContain('sense_sidecar_datagrams_received_total 120');
    expect(out).toContain('sense_sidecar_events_decoded_total 100');
    expect(out).toContain('# TYPE sense_sidecar_rejects_total counter');
    expect(out).toContain('sense_sidecar_rejects_total{reason="unknown-prefix"} 15');
    expect(out).toContain('sense_sidecar_rejects_total{reason="too-large"} 5');
    // every known reason has a series from the start, so rate() works on the first reject
    expect(out).toContain('sense_sidecar_rejects_total{reason="empty-user-id"} 0');
    expect(out).toContain('sense_sidecar_dropped_total{cause="intake-queue-full"} 7');
    expect(out).toContain('sense_sidecar_dropped_total{cause="outbox-full:status"} 1');
    expect(out).toContain('sense_sidecar_udp_kernel_drops_total 42');
  });

  it('documents every sidecar metric with HELP and TYPE', async () => {
    const out = await lines(fake());
    const names = out.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(names.length).toBeGreaterThan(25);
    for (const name of names) {
      expect(name).toMatch(/^sense_sidecar_[a-z_]+$/);
      const help = out.find((l) => l.startsWith(`# HELP ${String(name)} `));
      expect(help?.length ?? 0).toBeGreaterThan(`# HELP ${String(name)} `.length + 10);
    }
    for (const line of out.filter((l) => l.startsWith('# TYPE ') && l.endsWith(' counter'))) {
      expect(line.split(' ')[2]).toMatch(/_total$/);
    }
  });

  it('exposes the outbox: depth, bytes and age of the oldest record', async () => {
    const f = fake();
    expect(await lines(f)).toEqual(
      expect.arrayContaining([
        'sense_sidecar_outbox_records 12',
        'sense_sidecar_outbox_bytes 4096',
        'sense_sidecar_outbox_oldest_age_seconds 90.5',
      ]),
    );
    f.outbox = { depth: 0, bytes: 0, oldestAppendedAt: null };
    expect(await lines(f)).toContain('sense_sidecar_outbox_oldest_age_seconds 0');
  });

  it('exposes the refusals the outbox counts apart from dropped_total (they are the same records)', async () => {
    const f = fake();
    f.outbox = { ...f.outbox, drops: { status: 1, reject: 0, event: 11, alert: 0 } };
    const out = await lines(f);
    expect(out).toContain('sense_sidecar_outbox_refused_total{priority="event"} 11');
    expect(out).toContain('sense_sidecar_outbox_refused_total{priority="alert"} 0');
    expect(out).toContain('sense_sidecar_dropped_total{cause="intake-queue-full"} 7');
    expect(out.filter((l) => l.startsWith('sense_sidecar_dropped_total{'))).toHaveLength(2);
  });

  it('exposes publishing and the NATS connection state', async () => {
    const f = fake();
    let out = await lines(f);
    expect(out).toEqual(
      expect.arrayContaining([
        'sense_sidecar_published_total 98',
        'sense_sidecar_publish_errors_total 3',
        'sense_sidecar_nats_acks_total 98',
        'sense_sidecar_nats_duplicate_acks_total 2',
        'sense_sidecar_publish_retries_total 1',
        'sense_sidecar_publish_in_flight 4',
        'sense_sidecar_last_ack_age_seconds 1.25',
        'sense_sidecar_nats_connected 1',
        'sense_sidecar_nats_state{state="connected"} 1',
        'sense_sidecar_nats_state{state="disconnected"} 0',
        'sense_sidecar_publish_mode{mode="jetstream"} 1',
      ]),
    );
    f.nats = { state: 'disconnected' };
    out = await lines(f);
    expect(out).toContain('sense_sidecar_nats_connected 0');
    expect(out).toContain('sense_sidecar_nats_state{state="disconnected"} 1');
    expect(out).toContain('sense_sidecar_nats_state{state="connected"} 0');
    // unknown acks and mode: the metric is declared but has no sample
    expect(out.some((l) => l.startsWith('sense_sidecar_nats_acks_total'))).toBe(false);
    expect(out.some((l) => l.startsWith('sense_sidecar_publish_mode{'))).toBe(false);
    expect(out.some((l) => l.startsWith('sense_sidecar_last_ack_age_seconds '))).toBe(false);
    f.nats = { state: 'connecting', mode: 'unknown', lastAckAt: null };
    out = await lines(f);
    expect(out).toContain('sense_sidecar_publish_mode{mode="unknown"} 1');
    expect(out.some((l) => l.startsWith('sense_sidecar_last_ack_age_seconds '))).toBe(false);
  });

  it('exposes rule evaluations, alerts per rule and status, and drops per rule', async () => {
    const out = await lines(fake());
    expect(out).toEqual(
      expect.arrayContaining([
        'sense_sidecar_rule_evaluations_total{rule="parallel-session-limit"} 50',
        'sense_sidecar_rule_evaluations_total{rule="exclude-service-accounts"} 60',
        'sense_sidecar_rule_matches_total{rule="parallel-session-limit"} 4',
        'sense_sidecar_alerts_total{rule="parallel-session-limit",status="firing"} 3',
        'sense_sidecar_alerts_total{rule="parallel-session-limit",status="resolved"} 1',
        'sense_sidecar_alerts_total{rule="exclude-service-accounts",status="firing"} 0',
        'sense_sidecar_alerts_throttled_total{rule="parallel-session-limit"} 2',
        'sense_sidecar_events_dropped_by_rule_total{rule="exclude-service-accounts"} 9',
        'sense_sidecar_events_dropped_by_rule_total{rule="parallel-session-limit"} 0',
      ]),
    );
  });

  it('exposes live state and build info', async () => {
    const out = await lines(fake());
    expect(out).toEqual(
      expect.arrayContaining([
        '# TYPE sense_sidecar_live_users gauge',
        'sense_sidecar_live_users 31',
        'sense_sidecar_live_sessions 40',
        'sense_sidecar_live_connections 55',
        'sense_sidecar_sessions_expired_total 6',
        'sense_sidecar_stale_stops_total 4',
        'sense_sidecar_stale_closes_total 5',
        'sense_sidecar_state_keys_evicted_total{map="presences"} 1',
        'sense_sidecar_state_keys_evicted_total{map="userCounts"} 3',
        'sense_sidecar_build_info{node="SENSE-NODE1",version="0.1.0"} 1',
      ]),
    );
  });

  it('exposes the intake queue only when the sidecar gives it', async () => {
    expect((await lines(fake())).some((l) => l.includes('intake_queue'))).toBe(false);
    const out = await lines(fake(), { intake: () => ({ depth: 10, capacity: 65536 }) });
    expect(out).toContain('sense_sidecar_intake_queue_records 10');
    expect(out).toContain('sense_sidecar_intake_queue_capacity 65536');
  });

  it('reads the sources at every scrape, not before', async () => {
    const f = fake();
    let reads = 0;
    const metrics = createSidecarMetrics(
      sourcesOf(f, {
        counters: () => {
          reads++;
          return f.counters;
        },
      }),
      { defaultMetrics: false },
    );
    expect(reads).toBe(0);
    expect(await metrics.render()).toContain('\nsense_sidecar_datagrams_received_total 120\n');
    f.counters.received = 121;
    f.counters.rejected['unknown-prefix'] = 16;
    const text = await metrics.render();
    expect(text).toContain('\nsense_sidecar_datagrams_received_total 121\n');
    expect(text).toContain('\nsense_sidecar_rejects_total{reason="unknown-prefix"} 16\n');
    expect(reads).toBeGreaterThan(0);
  });

  it('refreshes before each rendering, so a reading taken on demand is current', async () => {
    const f = fake();
    let refreshes = 0;
    const metrics = refreshedBeforeRender(
      () => {
        refreshes++;
        f.counters.udpReceiveErrors = 40 + refreshes;
      },
      createSidecarMetrics(sourcesOf(f), { defaultMetrics: false }),
    );
    expect(refreshes).toBe(0);
    expect(await metrics.render()).toContain('\nsense_sidecar_udp_kernel_drops_total 41\n');
    expect(await metrics.render()).toContain('\nsense_sidecar_udp_kernel_drops_total 42\n');
    expect(refreshes).toBe(2);
  });

  it('shows a total that went down (a restart) and leaves out unusable readings', async () => {
    const f = fake();
    const metrics = createSidecarMetrics(sourcesOf(f), { defaultMetrics: false });
    await metrics.render();
    f.counters.received = 5;
    f.counters.udpReceiveErrors = null;
    f.counters.decoded = Number.NaN;
    f.counters.dropped = { broken: -1 };
    const out = (await metrics.render()).split('\n');
    expect(out).toContain('sense_sidecar_datagrams_received_total 5');
    expect(out).toContain('# TYPE sense_sidecar_udp_kernel_drops_total counter');
    expect(out.some((l) => l.startsWith('sense_sidecar_udp_kernel_drops_total '))).toBe(false);
    expect(out.some((l) => l.startsWith('sense_sidecar_events_decoded_total '))).toBe(false);
    expect(out.some((l) => l.startsWith('sense_sidecar_dropped_total{'))).toBe(false);
  });

  it('escapes label values', async () => {
    const f = fake();
    f.rules.evaluations.set('we"ird\\rule', 1);
    expect(await lines(f)).toContain('sense_sidecar_rule_evaluations_total{rule="we\\"ird\\\\rule"} 1');
  });

  it('uses its own registry: two sidecars side by side, nothing in the global one', async () => {
    const a = createSidecarMetrics(sourcesOf(fake()));
    const b = createSidecarMetrics(sourcesOf({ ...fake(), now: NOW }));
    expect(a.registry).not.toBe(b.registry);
    expect(a.registry).not.toBe(globalRegistry);
    expect(await globalRegistry.metrics()).not.toContain('sense_sidecar_');
    const text = await b.render();
    expect(text).toContain('sense_sidecar_build_info{node="SENSE-NODE1",version="0.1.0"} 1');
    // prom-client's default process metrics are on the sidecar's registry
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    expect(a.registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
