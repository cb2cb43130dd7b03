import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

const EVENT_LOOP_SAMPLE_MS = 5_000;
import type { StageCounters } from '../core/counters.js';
import { REJECT_REASONS } from '../core/reject.js';
import type { RuleCounters } from '../rules/engine/evaluator.js';
import type { LiveStateStats } from '../state/live-state.js';
import { isCount, scrapedMetrics } from './scraped-metrics.js';

/**
 * Prometheus metrics of one sidecar, read at scrape time.
 *
 * The pipeline keeps its own plain-number counters (StageCounters, RuleCounters, LiveStateStats,
 * the outbox and publisher state); nothing on the hot path touches prom-client. Every metric
 * here has a `collect()` callback that copies the current value from `MetricSources` when
 * Prometheus scrapes. All of those callbacks are synchronous and the registry calls them in one
 * turn of the event loop, so one scrape sees one consistent moment of the pipeline.
 *
 * Counters from plain numbers are prom-client `Counter`s (TYPE counter, names ending `_total`)
 * whose `collect()` resets them and adds the current total: Prometheus sees a real counter, so
 * `rate()`/`increase()` work, and a total that goes down (the process restarted, a component
 * was replaced) is taken for a counter reset, which is exactly what it is. A negative or
 * non-finite reading is left out rather than thrown on (prom-client refuses to decrease).
 */

/** What the outbox says about itself. */
export interface OutboxReading {
  /** Records waiting to be published. */
  readonly depth: number;
  /** Bytes they take (on disk for the durable outbox). */
  readonly bytes: number;
  /** Epoch ms of the oldest waiting record's append; null when empty. */
  readonly oldestAppendedAt: number | null;
  /**
   * Records the outbox refused since start, by priority (Outbox.drops). The pipeline counts the
   * same refusals as `outbox-full:<priority>` in StageCounters.dropped, so these are exposed
   * apart, as `sense_sidecar_outbox_refused_total{priority}`, never added to dropped_total.
   */
  readonly drops?: Partial<Record<string, number>>;
}

/** What the NATS publisher says about itself (its state and mode, and PublisherStats). */
export interface NatsReading {
  /** `connecting`, `connected`, `disconnected` or `closed` (NatsState); other values are shown as they are. */
  readonly state: string;
  /** PublishMode: `jetstream`, `core` or `unknown`; unset = no series. */
  readonly mode?: string;
  /** JetStream publish acknowledgements received. */
  readonly acks?: number;
  /** Acknowledgements that said the message was a duplicate (already stored). */
  readonly duplicates?: number;
  /** Times publishing restarted from the first unconfirmed record (PublisherStats.retries). */
  readonly retries?: number;
  /** Records sent and not yet confirmed. */
  readonly inFlight?: number;
  /** Epoch ms of the last confirmation; null before the first. */
  readonly lastAckAt?: number | null;
}

/**
 * Read-only getters the sidecar passes; called at scrape time only. Each may return the live
 * object (no copy is needed: values are read before the scrape yields).
 */
export interface MetricSources {
  counters(): StageCounters;
  outbox(): OutboxReading;
  nats(): NatsReading;
  rules(): RuleCounters;
  state(): LiveStateStats;
  /** Epoch ms, for the age of the oldest outbox record. */
  now(): number;
  info(): { readonly node: string; readonly version: string };
  /** Optional: the queue between socket and decoder. Without it its two gauges are not registered. */
  intake?(): { readonly depth: number; readonly capacity: number };
  /** Optional: the heap in use after the last full collection (LiveHeap); null before the first. */
  liveHeap?(): { readonly bytes: number | null; readonly fullCollections: number };
  /** Optional: the idle trims so far (memory.idleTrimAfter). */
  heapTrims?(): { readonly count: number; readonly releasedBytes: number; readonly seconds: number };
}

export interface SidecarMetrics {
  /** This sidecar's own registry (never prom-client's global one). */
  readonly registry: Registry;
  /** The exposition text (Prometheus text format 0.0.4); content type: `registry.contentType`. */
  render(): Promise<string>;
}

export interface SidecarMetricsOptions {
  /** Register prom-client's default process and Node.js metrics too (default true). */
  readonly defaultMetrics?: boolean;
}

export const METRIC_PREFIX = 'sense_sidecar_';

/** NatsState values: each gets a `sense_sidecar_nats_state` series, 1 for the current one. */
const NATS_STATES = ['connecting', 'connected', 'disconnected', 'closed'] as const;

const ALERT_STATUSES = ['firing', 'resolved'] as const;

/**
 * A new registry holding the sidecar's metrics (and, by default, prom-client's process metrics),
 * reading `sources` at every scrape. Call it once per sidecar; nothing is shared between calls.
 */
export function createSidecarMetrics(
  sources: MetricSources,
  options: SidecarMetricsOptions = {},
): SidecarMetrics {
  const registry = new Registry();
  const name = (suffix: string): string => METRIC_PREFIX + suffix;
  const { counter: totals, gauge: gauges } = scrapedMetrics(registry, METRIC_PREFIX, isReading);

  const total = (suffix: string, help: string, read: () => number | null | undefined): void => {
    new Counter({
      name: name(suffix),
      help,
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        const value = read();
        if (isCount(value)) this.inc(value);
        else this.remove({});
      },
    });
  };

  const gauge = (suffix: string, help: string, read: () => number | null | undefined): void => {
    new Gauge({
      name: name(suffix),
      help,
      registers: [registry],
      collect(this: Gauge) {
        this.reset();
        const value = read();
        if (isReading(value)) this.set(value);
        else this.remove({});
      },
    });
  };

  // ---- intake --------------------------------------------------------------------------------

  total(
    'datagrams_received_total',
    'Datagrams read from the UDP socket, before any check.',
    () => sources.counters().received,
  );
  total('events_decoded_total', 'Datagrams decoded into user events.', () => sources.counters().decoded);
  totals(
    'rejects_total',
    'Datagrams that were not user events (dead-lettered), by reject reason.',
    ['reason'],
    () => withKnownKeys(REJECT_REASONS, sources.counters().rejected, 'reason'),
  );
  totals(
    'dropped_total',
    'Records given up, by cause (intake-queue-full, outbox-full:<priority>).',
    ['cause'],
    () => labelled(Object.entries(sources.counters().dropped), 'cause'),
  );
  total(
    'udp_kernel_drops_total',
    'Datagrams the kernel dropped for this socket (receive buffer full); absent where the OS does not say (Linux: /proc/net/udp).',
    () => sources.counters().udpReceiveErrors,
  );
  if (sources.liveHeap !== undefined) {
    const liveHeap = sources.liveHeap.bind(sources);
    gauge(
      'heap_live_bytes',
      'Heap in use right after the last full garbage collection: the live set (heap used and RSS also count garbage not yet collected).',
      () => liveHeap().bytes,
    );
  }
  if (sources.heapTrims !== undefined) {
    const trims = sources.heapTrims.bind(sources);
    total(
      'heap_trims_total',
      'Memory-reducing collections of a quiet node (memory.idleTrimAfter): one per quiet spell at most.',
      () => trims().count,
    );
    total(
      'heap_trim_released_bytes_total',
      'Heap handed back to the OS by the idle trims.',
      () => trims().releasedBytes,
    );
    total('heap_trim_seconds_total', 'Time the idle trims paused the main thread.', () => trims().seconds);
  }
  if (sources.intake !== undefined) {
    const intake = sources.intake.bind(sources);
    gauge('intake_queue_records', 'Datagrams waiting between socket and decoder.', () => intake().depth);
    gauge(
      'intake_queue_capacity',
      'Datagrams the intake queue holds at most (intake.queueSize); more are dropped.',
      () => intake().capacity,
    );
  }

  // ---- outbox and publishing -----------------------------------------------------------------

  gauge('outbox_records', 'Records in the outbox waiting to be published.', () => sources.outbox().depth);
  gauge('outbox_bytes', 'Bytes the records waiting in the outbox take.', () => sources.outbox().bytes);
  gauge(
    'outbox_oldest_age_seconds',
    'Age of the oldest record waiting in the outbox, in seconds; 0 when the outbox is empty.',
    () => {
      const oldest = sources.outbox().oldestAppendedAt;
      return oldest === null ? 0 : Math.max(0, sources.now() - oldest) / 1000;
    },
  );
  totals(
    'outbox_refused_total',
    'Records the outbox refused (full, too large, closed), by priority; the same records are in dropped_total as outbox-full:<priority>.',
    ['priority'],
    () => labelled(Object.entries(sources.outbox().drops ?? {}), 'priority'),
  );
  total(
    'published_total',
    'Records NATS confirmed (events, rejects, alerts and status alike).',
    () => sources.counters().published,
  );
  total(
    'publish_errors_total',
    'Failed publish attempts; each is retried, a record is never given up for an error.',
    () => sources.counters().publishErrors,
  );
  total(
    'nats_acks_total',
    'JetStream publish acknowledgements received; absent until the publisher reports them.',
    () => sources.nats().acks,
  );
  total(
    'nats_duplicate_acks_total',
    'JetStream acknowledgements saying the message was already stored (a re-send within the duplicate window).',
    () => sources.nats().duplicates,
  );
  total(
    'publish_retries_total',
    'Times publishing started again from the first unconfirmed record after an error or a lost connection.',
    () => sources.nats().retries,
  );
  gauge('publish_in_flight', 'Records sent to NATS and not yet confirmed.', () => sources.nats().inFlight);
  gauge(
    'last_ack_age_seconds',
    'Seconds since NATS last confirmed records (PubAck, or a flush round trip in core mode); absent before the first.',
    () => {
      const at = sources.nats().lastAckAt;
      return at === undefined || at === null ? null : Math.max(0, sources.now() - at) / 1000;
    },
  );
  gauge('nats_connected', '1 when the NATS connection is up, else 0 (records wait in the outbox).', () =>
    sources.nats().state === 'connected' ? 1 : 0,
  );
  gauges(
    'nats_state',
    'State of the NATS connection: 1 for the current state, 0 for the others.',
    ['state'],
    () => {
      const current = sources.nats().state;
      const states: string[] = [...NATS_STATES];
      if (!states.includes(current)) states.push(current);
      return states.map((state) => [{ state }, state === current ? 1 : 0] as const);
    },
  );
  gauges(
    'publish_mode',
    'How records are published (jetstream, core, or unknown before the first connection): 1 for the current mode.',
    ['mode'],
    () => {
      const { mode } = sources.nats();
      return mode === undefined ? [] : [[{ mode }, 1] as const];
    },
  );

  // ---- rules ---------------------------------------------------------------------------------

  totals('rule_evaluations_total', 'Times a rule was evaluated against an event or a tick.', ['rule'], () =>
    perRule(sources.rules(), 'evaluations'),
  );
  totals('rule_matches_total', 'Times the conditions of a rule held.', ['rule'], () =>
    perRule(sources.rules(), 'matches'),
  );
  totals(
    'alerts_total',
    'Alert notices published, by rule and status (firing includes repeats after the throttle).',
    ['rule', 'status'],
    () => {
      const counters = sources.rules();
      const out: [Record<'rule' | 'status', string>, number][] = [];
      for (const rule of ruleIds(counters)) {
        for (const status of ALERT_STATUSES) {
          const map = status === 'firing' ? counters.fired : counters.resolved;
          out.push([{ rule, status }, map.get(rule) ?? 0]);
        }
      }
      return out;
    },
  );
  totals('alerts_throttled_total', 'Alert notices a rule held back because of its throttle.', ['rule'], () =>
    perRule(sources.rules(), 'throttled'),
  );
  totals(
    'events_dropped_by_rule_total',
    'Events a drop rule removed before they were counted or published.',
    ['rule'],
    () => perRule(sources.rules(), 'dropped'),
  );

  // ---- live state ----------------------------------------------------------------------------

  gauge(
    'live_users',
    'Users with at least one session or open connection on some host.',
    () => sources.state().users,
  );
  gauge('live_sessions', 'Proxy sessions open, summed over users and hosts.', () => sources.state().sessions);
  gauge(
    'live_connections',
    'App connections open, summed over users and hosts.',
    () => sources.state().connections,
  );
  total(
    'sessions_expired_total',
    'Sessions closed by expiry (no stop seen within the inactivity timeout plus grace).',
    () => sources.state().expiredSessions,
  );
  total(
    'stale_stops_total',
    'Session stops for a user and host with no session known (start lost or before start-up).',
    () => sources.state().staleStops,
  );
  total(
    'stale_closes_total',
    'Connection closes with no matching open connection.',
    () => sources.state().staleCloses,
  );
  totals(
    'state_keys_evicted_total',
    'Live-state entries evicted because their map reached state.maxKeys, by map.',
    ['map'],
    () => labelled(Object.entries(sources.state().keysEvicted), 'map'),
  );

  // ---- identity ------------------------------------------------------------------------------

  gauges(
    'build_info',
    'Always 1; labels name this sidecar node and its version.',
    ['node', 'version'],
    () => {
      const { node, version } = sources.info();
      return [[{ node, version }, 1] as const];
    },
  );

  if (options.defaultMetrics ?? true) startRuntimeMetrics(registry, EVENT_LOOP_SAMPLE_MS);

  return { registry, render: () => registry.metrics() };
}

/**
 * prom-client's process and Node.js metrics into `registry`, the event-loop lag histogram
 * sampling every `sampleEveryMs`. It samples on a libuv timer of its own: at prom-client's
 * default 10 ms that timer alone woke an idle sidecar 100 times a second (1.5 % of a core here),
 * and at 1 s it was still half of an idle node's wake-ups. Every 5 s still catches a loop
 * stalled for seconds; nodejs_eventloop_lag_seconds is measured at each scrape besides. Started
 * in the same turn as another timer of the same interval, the two fire in one wake-up.
 */
export function startRuntimeMetrics(registry: Registry, sampleEveryMs: number): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: sampleEveryMs });
}

/** The metrics, with `refresh` called before each rendering (for readings too dear to poll). */
export function refreshedBeforeRender(refresh: () => void, metrics: SidecarMetrics): SidecarMetrics {
  return {
    registry: metrics.registry,
    render: () => {
      refresh();
      return metrics.render();
    },
  };
}

function isReading(value: number | null | undefined): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

function labelled<L extends string>(
  entries: Iterable<readonly [string, number | undefined]>,
  label: L,
): [Record<L, string>, number][] {
  const out: [Record<L, string>, number][] = [];
  for (const [key, value] of entries) {
    if (value !== undefined) out.push([{ [label]: key } as Record<L, string>, value]);
  }
  return out;
}

/** Every known key (0 when absent, so rate() has a series from the start), then any other key. */
function withKnownKeys<L extends string>(
  known: readonly string[],
  values: Readonly<Partial<Record<string, number>>>,
  label: L,
): [Record<L, string>, number][] {
  const entries = new Map<string, number>(known.map((key) => [key, 0]));
  for (const [key, value] of Object.entries(values)) if (value !== undefined) entries.set(key, value);
  return labelled(entries, label);
}

function ruleIds(counters: RuleCounters): string[] {
  const ids = new Set<string>();
  const maps = [
    counters.evaluations,
    counters.matches,
    counters.dropped,
    counters.fired,
    counters.resolved,
    counters.throttled,
  ];
  for (const map of maps) for (const id of map.keys()) ids.add(id);
  return [...ids].sort();
}

/** One series per rule any counter knows, 0 where this counter has no entry. */
function perRule(counters: RuleCounters, which: keyof RuleCounters): [Record<'rule', string>, number][] {
  const map = counters[which];
  return ruleIds(counters).map((rule) => [{ rule }, map.get(rule) ?? 0]);
}
