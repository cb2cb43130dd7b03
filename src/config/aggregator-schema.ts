/**
 * The aggregator's config keys (`sense-sidecar aggregate`). Same file format, loader, error
 * messages and environment rules as the sidecar's, with its own key list and its own
 * environment prefix, so one environment can hold both programs' settings without either
 * refusing the other's variables. Keys both programs have come from shared-keys.ts.
 */
import { DAY, HOUR, type KeySpec, MINUTE, SECOND, key } from './key-spec.js';
import {
  LOG_LEVEL_KEY,
  dataDirKey,
  httpHostKey,
  httpPortKey,
  jetstreamStreamKeys,
  natsKeys,
  optionalTextKey,
  rulesPathsKey,
  rulesTimezoneKey,
  shutdownTimeoutKey,
} from './shared-keys.js';
import type { LogLevel, SidecarConfig } from './types.js';
import { type AlertingConfig, NO_ALERTING, alertingValue } from './alerting-schema.js';
import { durationBetween, integerBetween, isNodeName, listOf, textMatching } from './values.js';

export const AGGREGATOR_ENV_PREFIX = 'SENSE_AGGREGATOR_';

export interface AggregatorConfig {
  /** The same shape as the sidecar's `nats` section (auth, TLS), so the connection helpers take it. */
  nats: SidecarConfig['nats'];
  jetstream: { enabled: boolean; eventsStream: string; alertsStream: string };
  consumer: { name: string };
  http: {
    host: string;
    port: number;
    maxStreamClients: number;
    tokenFile: string;
    tlsCertFile: string;
    tlsKeyFile: string;
  };
  dataDir: string;
  history: { retentionMs: number };
  sessions: { idleTimeoutMs: number };
  nodes: { expected: string[]; statusSilentAfterMs: number; datagramsSilentAfterMs: number };
  /** Cluster rules (README "Cluster rules"): files or directories; empty = none. */
  rules: { paths: string[]; timezone: string };
  /** Alert receivers and routes (README "Alert receivers"); none by default. */
  alerting: AlertingConfig;
  log: { level: LogLevel };
  shutdown: { timeoutMs: number };
}

const DURABLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The default durable consumer name: one per host, so replicas on different machines never share
 * a consumer (a shared durable would split the messages between them). Characters a durable
 * name may not hold become `_`.
 */
export function defaultConsumerName(hostname: string): string {
  return `sense-aggregator-${hostname.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

export const AGGREGATOR_KEYS = {
  ...natsKeys(
    "The sidecars' subject prefix: the aggregator reads <prefix>.events.>, .rejects.>, .alerts.> and .status.>.",
    'sense-aggregator/<host name>',
    ({ hostname }) => `sense-aggregator/${hostname}`,
  ),
  ...jetstreamStreamKeys({
    enabled:
      "Read the sidecars' streams through a durable consumer; false, or a server without JetStream, uses plain subscriptions.",
    eventsStream: "The sidecars' stream of events and rejects (their jetstream.eventsStream).",
    alertsStream: "The sidecars' stream of alerts (their jetstream.alertsStream).",
  }),
  consumerName: key<string>({
    path: 'consumer.name',
    description:
      'Durable consumer name on both streams; every aggregator replica needs its own (a shared one splits the messages).',
    defaultText: 'sense-aggregator-<host name>',
    default: ({ hostname }) => defaultConsumerName(hostname),
    schema: textMatching((t) => DURABLE_NAME.test(t), 'a name of 1 to 64 letters, digits, _ and -'),
  }),
  httpHost: httpHostKey(
    'Address of the HTTP API, /metrics and the live page; loopback unless others need it.',
  ),
  httpPort: httpPortKey('Port of the HTTP API (0 = any free port, logged at start).', 9999),
  httpMaxStreamClients: key<number>({
    path: 'http.maxStreamClients',
    description: 'Live-update (server-sent events) clients served at once; more get 503.',
    defaultText: '100',
    default: () => 100,
    schema: integerBetween(1, 10_000),
  }),
  httpTokenFile: optionalTextKey(
    'http.tokenFile',
    'File holding the API token (16+ characters): Bearer, or Basic with it as the password; needed beyond loopback.',
  ),
  httpTlsCertFile: optionalTextKey(
    'http.tlsCertFile',
    'PEM certificate (chain) for HTTPS, with http.tlsKeyFile; needed beyond loopback.',
  ),
  httpTlsKeyFile: optionalTextKey('http.tlsKeyFile', 'PEM private key of http.tlsCertFile.'),
  dataDir: dataDirKey("Directory for the aggregator's history database (history.sqlite).", 'aggregator-data'),
  historyRetention: key<number>({
    path: 'history.retention',
    description: 'How long ended sessions, connections, log-in counts and alerts are kept.',
    defaultText: '90d',
    default: () => 90 * DAY,
    schema: durationBetween(HOUR, 3650 * DAY),
  }),
  sessionsIdleTimeout: key<number>({
    path: 'sessions.idleTimeout',
    description:
      "The aggregator's own expiry: a user on a host with nothing received for this long has their sessions closed.",
    defaultText: '24h',
    default: () => DAY,
    schema: durationBetween(MINUTE, 30 * DAY),
  }),
  nodesExpected: key<string[]>({
    path: 'nodes.expected',
    description: 'Sidecar node names to show (and flag as silent) before they have said anything.',
    defaultText: '[]',
    default: () => [],
    schema: listOf(
      textMatching(isNodeName, 'a node name without spaces, "*" or ">"'),
      'node names, e.g. [SENSE-NODE1]',
    ),
    list: true,
  }),
  nodesStatusSilentAfter: key<number>({
    path: 'nodes.statusSilentAfter',
    description:
      "A node without a status message for this long is silent (no-status); > the sidecars' status.interval.",
    defaultText: '35s',
    default: () => 35 * SECOND,
    schema: durationBetween(SECOND, DAY),
  }),
  nodesDatagramsSilentAfter: key<number>({
    path: 'nodes.datagramsSilentAfter',
    description: 'A node that received no datagram for this long is silent (no-datagrams).',
    defaultText: '30m',
    default: () => 30 * MINUTE,
    schema: durationBetween(SECOND, 30 * DAY),
  }),
  rulesPaths: rulesPathsKey(
    "Cluster rule files or directories, relative to the working directory (the default falls back to the package's own); [] = none.",
    'rules/cluster',
    'cluster rule',
  ),
  rulesTimezone: rulesTimezoneKey(
    'IANA time zone for schedules, hour and weekday facts when a cluster rule file names none.',
  ),
  alerting: key<AlertingConfig>({
    path: 'alerting',
    description:
      'Where firing and resolved alerts are forwarded: receivers (webhook, slack, teams, smtp) and routes; see "Alert receivers". File only.',
    defaultText: '<none>',
    default: () => NO_ALERTING,
    schema: alertingValue,
  }),
  logLevel: LOG_LEVEL_KEY,
  shutdownTimeout: shutdownTimeoutKey(
    'How long shutdown may take to commit and acknowledge what was folded (0s..10m).',
  ),
} as const;

export const AGGREGATOR_KEY_SPECS: readonly KeySpec<unknown>[] = Object.values(AGGREGATOR_KEYS);
