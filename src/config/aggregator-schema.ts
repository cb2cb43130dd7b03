/**
 * The aggregator's config keys (`sense-sidecar aggregate`). Same file format, loader, error
 * messages and environment rules as the sidecar's, with its own key list and its own
 * environment prefix, so one environment can hold both programs' settings without either
 * refusing the other's variables. The NATS connection keys are the sidecar's own specs.
 */
import { DEFAULT_ALERTS_STREAM, DEFAULT_EVENTS_STREAM, DEFAULT_SUBJECT_PREFIX } from '../contract/streams.js';
import { KEYS, type KeySpec } from './schema.js';
import type { LogLevel, SidecarConfig } from './types.js';
import { LOG_LEVELS } from './types.js';
import {
  booleanValue,
  durationBetween,
  integerBetween,
  isListenAddress,
  isNodeName,
  isSubjectPrefix,
  isTimeZone,
  listOf,
  oneOf,
  textMatching,
} from './values.js';

export const AGGREGATOR_ENV_PREFIX = 'SENSE_AGGREGATOR_';

export interface AggregatorConfig {
  /** The same shape as the sidecar's `nats` section (auth, TLS), so the connection helpers take it. */
  nats: SidecarConfig['nats'];
  jetstream: { enabled: boolean; eventsStream: string; alertsStream: string };
  consumer: { name: string };
  http: { host: string; port: number; maxStreamClients: number };
  dataDir: string;
  history: { retentionMs: number };
  sessions: { idleTimeoutMs: number };
  nodes: { expected: string[]; statusSilentAfterMs: number; datagramsSilentAfterMs: number };
  /** Cluster rules (README "Cluster rules"): files or directories; empty = none. */
  rules: { paths: string[]; timezone: string };
  log: { level: LogLevel };
  shutdown: { timeoutMs: number };
}

function key<T>(spec: Omit<KeySpec<T>, 'list' | 'emptyMeansDefault'> & Partial<KeySpec<T>>): KeySpec<T> {
  return { list: false, emptyMeansDefault: false, ...spec };
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const DURABLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The default durable consumer name: one per host, so replicas on different machines never share
 * a consumer (a shared durable would split the messages between them). Characters a durable
 * name may not hold become `_`.
 */
export function defaultConsumerName(hostname: string): string {
  return `sense-aggregator-${hostname.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

const streamName = textMatching(
  (t) => /^[A-Za-z0-9_-]{1,64}$/.test(t),
  'a stream name of letters, digits, _ and -',
);

export const AGGREGATOR_KEYS = {
  natsServers: KEYS.natsServers,
  natsSubjectPrefix: key<string>({
    path: 'nats.subjectPrefix',
    description:
      "The sidecars' subject prefix: the aggregator reads <prefix>.events.>, .rejects.>, .alerts.> and .status.>.",
    defaultText: DEFAULT_SUBJECT_PREFIX,
    default: () => DEFAULT_SUBJECT_PREFIX,
    schema: textMatching(
      isSubjectPrefix,
      'subject tokens of letters, digits, "_" or "-" joined by "." (e.g. sense or qlik.sense)',
    ),
  }),
  natsName: key<string>({
    path: 'nats.name',
    description: 'Connection name the NATS server shows in its monitoring and logs.',
    defaultText: 'sense-aggregator/<host name>',
    default: ({ hostname }) => `sense-aggregator/${hostname}`,
    schema: textMatching((text) => text.trim() !== '', 'a connection name that is not empty'),
  }),
  natsToken: KEYS.natsToken,
  natsTokenFile: KEYS.natsTokenFile,
  natsUser: KEYS.natsUser,
  natsPassword: KEYS.natsPassword,
  natsPasswordFile: KEYS.natsPasswordFile,
  natsNkeySeedFile: KEYS.natsNkeySeedFile,
  natsCredsFile: KEYS.natsCredsFile,
  natsTlsCaFile: KEYS.natsTlsCaFile,
  natsTlsCertFile: KEYS.natsTlsCertFile,
  natsTlsKeyFile: KEYS.natsTlsKeyFile,
  jetstreamEnabled: key<boolean>({
    path: 'jetstream.enabled',
    description:
      "Read the sidecars' streams through a durable consumer; false, or a server without JetStream, uses plain subscriptions.",
    defaultText: 'true',
    default: () => true,
    schema: booleanValue,
  }),
  jetstreamEventsStream: key<string>({
    path: 'jetstream.eventsStream',
    description: "The sidecars' stream of events and rejects (their jetstream.eventsStream).",
    defaultText: DEFAULT_EVENTS_STREAM,
    default: () => DEFAULT_EVENTS_STREAM,
    schema: streamName,
  }),
  jetstreamAlertsStream: key<string>({
    path: 'jetstream.alertsStream',
    description: "The sidecars' stream of alerts (their jetstream.alertsStream).",
    defaultText: DEFAULT_ALERTS_STREAM,
    default: () => DEFAULT_ALERTS_STREAM,
    schema: streamName,
  }),
  consumerName: key<string>({
    path: 'consumer.name',
    description:
      'Durable consumer name on both streams; every aggregator replica needs its own (a shared one splits the messages).',
    defaultText: 'sense-aggregator-<host name>',
    default: ({ hostname }) => defaultConsumerName(hostname),
    schema: textMatching((t) => DURABLE_NAME.test(t), 'a name of 1 to 64 letters, digits, _ and -'),
  }),
  httpHost: key<string>({
    path: 'http.host',
    description: 'Address of the HTTP API, /metrics and the live page; loopback unless others need it.',
    defaultText: '127.0.0.1',
    default: () => '127.0.0.1',
    schema: textMatching(isListenAddress, 'an IP address or host name to listen on (e.g. 127.0.0.1)'),
  }),
  httpPort: key<number>({
    path: 'http.port',
    description: 'Port of the HTTP API (0 = any free port, logged at start).',
    defaultText: '9999',
    default: () => 9999,
    schema: integerBetween(0, 65535),
  }),
  httpMaxStreamClients: key<number>({
    path: 'http.maxStreamClients',
    description: 'Live-update (server-sent events) clients served at once; more get 503.',
    defaultText: '100',
    default: () => 100,
    schema: integerBetween(1, 10_000),
  }),
  dataDir: key<string>({
    path: 'dataDir',
    description: "Directory for the aggregator's history database (history.sqlite).",
    defaultText: 'aggregator-data',
    default: () => 'aggregator-data',
    schema: textMatching((text) => text.trim() !== '', 'a directory path (e.g. aggregator-data)'),
  }),
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
  rulesPaths: key<string[]>({
    path: 'rules.paths',
    description:
      "Cluster rule files or directories, relative to the working directory (the default falls back to the package's own); [] = none.",
    defaultText: '[rules/cluster]',
    default: () => ['rules/cluster'],
    schema: listOf(
      textMatching((text) => text.trim() !== '', 'a file or directory path'),
      'cluster rule files or directories, e.g. [rules/cluster]',
    ),
    list: true,
  }),
  rulesTimezone: key<string>({
    path: 'rules.timezone',
    description: 'IANA time zone for schedules, hour and weekday facts when a cluster rule file names none.',
    defaultText: '<system zone>',
    default: ({ timezone }) => timezone,
    schema: textMatching(isTimeZone, 'an IANA time zone name (e.g. Europe/Stockholm or UTC)'),
  }),
  logLevel: key<LogLevel>({
    path: 'log.level',
    description: `Least severe log level written: ${LOG_LEVELS.join(', ')}.`,
    defaultText: 'info',
    default: () => 'info',
    schema: oneOf(LOG_LEVELS),
  }),
  shutdownTimeout: key<number>({
    path: 'shutdown.timeout',
    description: 'How long shutdown may take to commit and acknowledge what was folded (0s..10m).',
    defaultText: '10s',
    default: () => 10 * SECOND,
    schema: durationBetween(0, 10 * MINUTE),
  }),
} as const;

export const AGGREGATOR_KEY_SPECS: readonly KeySpec<unknown>[] = Object.values(AGGREGATOR_KEYS);
