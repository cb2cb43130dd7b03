/**
 * Every config key: its path (operators script against these names), what it means, its default
 * and how its value is checked. The environment names, the reference table, the unknown-key
 * suggestions and the loader are all derived from this one list.
 */
import { DEFAULT_ALERTS_STREAM, DEFAULT_EVENTS_STREAM, DEFAULT_SUBJECT_PREFIX } from '../contract/streams.js';
import { LOG_LEVELS, type LogLevel } from './types.js';

export type { ConfigIssue, ConfigResult, LogLevel, SidecarConfig } from './types.js';
import {
  type ValueSchema,
  durationBetween,
  integerBetween,
  isListenAddress,
  isNodeName,
  isSubjectPrefix,
  isTimeZone,
  booleanValue,
  optionalText,
  listOf,
  natsServer,
  oneOf,
  sizeBetween,
  sourceRange,
  textMatching,
} from './values.js';

/** What computed defaults may depend on. */
export interface DefaultContext {
  readonly hostname: string;
  /** The node name once known (the host name while `node` itself is being read). */
  readonly node: string;
  /** The system's IANA time zone. */
  readonly timezone: string;
}

export interface KeySpec<T> {
  /** Dotted path, exactly as operators write it: `udp.receiveBufferBytes`. */
  readonly path: string;
  /** One line for the reference table and the example file. */
  readonly description: string;
  /** The default as the reference shows it (in the syntax the key accepts). */
  readonly defaultText: string;
  readonly default: (context: DefaultContext) => T;
  readonly schema: ValueSchema<T>;
  /** The value is a list; from the environment it is comma-separated. */
  readonly list: boolean;
  /** For lists: an empty list means the default rather than "none". */
  readonly emptyMeansDefault: boolean;
}

function key<T>(spec: Omit<KeySpec<T>, 'list' | 'emptyMeansDefault'> & Partial<KeySpec<T>>): KeySpec<T> {
  return { list: false, emptyMeansDefault: false, ...spec };
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Upper bounds guard against typos (an extra zero) and values Node cannot honour
 * (timers above 24.8 days fire at once; socket buffers are 32-bit).
 */
export const KEYS = {
  node: key<string>({
    path: 'node',
    description: 'Name of this Sense node, as it appears in events and status; defaults to the host name.',
    defaultText: '<host name>',
    default: ({ hostname }) => hostname,
    schema: textMatching(isNodeName, 'a node name without spaces, "*" or ">" (e.g. sense-node-1)'),
  }),
  udpHost: key<string>({
    path: 'udp.host',
    description: 'Address the UDP socket listens on; 0.0.0.0 or :: to accept datagrams from other hosts.',
    defaultText: '127.0.0.1',
    default: () => '127.0.0.1',
    schema: textMatching(
      isListenAddress,
      'an IP address or host name to listen on (e.g. 127.0.0.1, 0.0.0.0 or ::)',
    ),
  }),
  udpPort: key<number>({
    path: 'udp.port',
    description: 'UDP port the Qlik Sense proxy sends user events to (1..65535).',
    defaultText: '9997',
    default: () => 9997,
    schema: integerBetween(1, 65535),
  }),
  udpReceiveBufferBytes: key<number>({
    path: 'udp.receiveBufferBytes',
    description:
      'Kernel receive buffer of the socket (4KiB..1GiB), in bytes or with a unit; rides out bursts.',
    defaultText: '8MiB',
    default: () => 8 * MiB,
    schema: sizeBetween(4 * KiB, GiB),
  }),
  udpMaxDatagramBytes: key<number>({
    path: 'udp.maxDatagramBytes',
    description: 'Datagrams larger than this are rejected as too-large (64..65507 bytes).',
    defaultText: '16KiB',
    default: () => 16 * KiB,
    schema: sizeBetween(64, 65507),
  }),
  udpAllowedSources: key<string[]>({
    path: 'udp.allowedSources',
    description:
      'IP addresses or CIDRs datagrams may come from (IPv4 entries match IPv4-mapped IPv6); empty = any.',
    defaultText: '[]',
    default: () => [],
    schema: listOf(sourceRange, 'IP addresses or CIDRs like 10.0.0.0/8'),
    list: true,
  }),
  natsServers: key<string[]>({
    path: 'nats.servers',
    description: 'NATS servers: nats://, tls://, ws:// or wss:// URLs, or host:port; empty = the default.',
    defaultText: '[nats://127.0.0.1:4222]',
    default: () => ['nats://127.0.0.1:4222'],
    schema: listOf(natsServer, 'URLs like nats://host:4222'),
    list: true,
    emptyMeansDefault: true,
  }),
  natsSubjectPrefix: key<string>({
    path: 'nats.subjectPrefix',
    description: 'First token(s) of every subject published: letters, digits, _ and -, joined by dots.',
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
    defaultText: 'sense-sidecar/<node>',
    default: ({ node }) => `sense-sidecar/${node}`,
    schema: textMatching((text) => text.trim() !== '', 'a connection name that is not empty'),
  }),
  natsToken: key<string>({
    path: 'nats.token',
    description: 'NATS token; prefer the environment or nats.tokenFile. Never logged.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsTokenFile: key<string>({
    path: 'nats.tokenFile',
    description: 'File holding the NATS token.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsUser: key<string>({
    path: 'nats.user',
    description: 'NATS user name (with nats.password or nats.passwordFile).',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsPassword: key<string>({
    path: 'nats.password',
    description: 'NATS password; prefer the environment or nats.passwordFile. Never logged.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsPasswordFile: key<string>({
    path: 'nats.passwordFile',
    description: 'File holding the NATS password.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsNkeySeedFile: key<string>({
    path: 'nats.nkeySeedFile',
    description: 'File holding an NKey seed (SU...) to authenticate with.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsCredsFile: key<string>({
    path: 'nats.credsFile',
    description: 'A .creds file (user JWT and NKey seed) to authenticate with.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsTlsCaFile: key<string>({
    path: 'nats.tlsCaFile',
    description: 'CA certificate (PEM) to verify the NATS server with; setting any TLS file turns TLS on.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsTlsCertFile: key<string>({
    path: 'nats.tlsCertFile',
    description: 'Client certificate (PEM) for TLS client authentication.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  natsTlsKeyFile: key<string>({
    path: 'nats.tlsKeyFile',
    description: 'Private key (PEM) of the client certificate.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  rulesPaths: key<string[]>({
    path: 'rules.paths',
    description: 'Rule files, or directories of rule files, to load; empty = no rules.',
    defaultText: '[rules]',
    default: () => ['rules'],
    schema: listOf(
      textMatching((text) => text.trim() !== '', 'a file or directory path'),
      'rule files or directories, e.g. [rules]',
    ),
    list: true,
  }),
  rulesTimezone: key<string>({
    path: 'rules.timezone',
    description: 'IANA time zone for schedules, hour and weekday facts when a rule file names none.',
    defaultText: '<system zone>',
    default: ({ timezone }) => timezone,
    schema: textMatching(isTimeZone, 'an IANA time zone name (e.g. Europe/Stockholm or UTC)'),
  }),
  sessionsInactivityTimeout: key<number>({
    path: 'sessions.inactivityTimeout',
    description:
      "The virtual proxy's session inactivity timeout (QMC; Qlik's default 30m), for expiring lost stops.",
    defaultText: '30m',
    default: () => 30 * MINUTE,
    schema: durationBetween(MINUTE, 24 * HOUR),
  }),
  sessionsExpiryGrace: key<number>({
    path: 'sessions.expiryGrace',
    description: 'Extra time after the inactivity timeout before a silent session is declared expired.',
    defaultText: '5m',
    default: () => 5 * MINUTE,
    schema: durationBetween(0, 24 * HOUR),
  }),
  stateMaxKeys: key<number>({
    path: 'state.maxKeys',
    description:
      'Users (and apps, hosts) live state tracks at most; the least recently active are evicted and counted.',
    defaultText: '200000',
    default: () => 200_000,
    schema: integerBetween(100, 10_000_000),
  }),
  stateSnapshotInterval: key<number>({
    path: 'state.snapshotInterval',
    description: 'How often live state (sessions, windows, throttles) is saved under dataDir for a restart.',
    defaultText: '30s',
    default: () => 30 * SECOND,
    schema: durationBetween(SECOND, HOUR),
  }),
  jetstreamEnabled: key<boolean>({
    path: 'jetstream.enabled',
    description:
      'Publish into JetStream streams with acknowledgements; false, or a server without JetStream, uses core NATS.',
    defaultText: 'true',
    default: () => true,
    schema: booleanValue,
  }),
  jetstreamEventsStream: key<string>({
    path: 'jetstream.eventsStream',
    description: 'Stream for events and rejects (subjects <prefix>.events.> and <prefix>.rejects.>).',
    defaultText: DEFAULT_EVENTS_STREAM,
    default: () => DEFAULT_EVENTS_STREAM,
    schema: textMatching((t) => /^[A-Za-z0-9_-]{1,64}$/.test(t), 'a stream name of letters, digits, _ and -'),
  }),
  jetstreamAlertsStream: key<string>({
    path: 'jetstream.alertsStream',
    description: 'Stream for alerts (subjects <prefix>.alerts.>).',
    defaultText: DEFAULT_ALERTS_STREAM,
    default: () => DEFAULT_ALERTS_STREAM,
    schema: textMatching((t) => /^[A-Za-z0-9_-]{1,64}$/.test(t), 'a stream name of letters, digits, _ and -'),
  }),
  jetstreamReplicas: key<number>({
    path: 'jetstream.replicas',
    description: 'Replicas of each stream the sidecar creates (1 for a single server, 3 in a cluster).',
    defaultText: '1',
    default: () => 1,
    schema: integerBetween(1, 5),
  }),
  jetstreamMaxAge: key<number>({
    path: 'jetstream.maxAge',
    description: 'How long the streams keep messages.',
    defaultText: '7d',
    default: () => 7 * 24 * HOUR,
    schema: durationBetween(MINUTE, 3650 * 24 * HOUR),
  }),
  jetstreamDuplicateWindow: key<number>({
    path: 'jetstream.duplicateWindow',
    description: 'Window in which the server drops a re-sent message by its Nats-Msg-Id.',
    defaultText: '2h',
    default: () => 2 * HOUR,
    schema: durationBetween(SECOND, 7 * 24 * HOUR),
  }),
  httpEnabled: key<boolean>({
    path: 'http.enabled',
    description: 'Serve /healthz and /metrics (Prometheus text format).',
    defaultText: 'true',
    default: () => true,
    schema: booleanValue,
  }),
  httpHost: key<string>({
    path: 'http.host',
    description: 'Address of the health and metrics endpoint; loopback unless a scraper needs it.',
    defaultText: '127.0.0.1',
    default: () => '127.0.0.1',
    schema: textMatching(isListenAddress, 'an IP address or host name to listen on (e.g. 127.0.0.1)'),
  }),
  httpPort: key<number>({
    path: 'http.port',
    description: 'Port of the health and metrics endpoint (0 = any free port, logged at start).',
    defaultText: '9998',
    default: () => 9998,
    schema: integerBetween(0, 65535),
  }),
  privacyHashUsers: key<boolean>({
    path: 'privacy.hashUsers',
    description:
      'Replace user directory and id by a keyed hash (HMAC-SHA256) before anything leaves the node.',
    defaultText: 'false',
    default: () => false,
    schema: booleanValue,
  }),
  privacySecret: key<string>({
    path: 'privacy.secret',
    description:
      'The HMAC key; the same on every node so hashes match. Prefer privacy.secretFile. Never logged.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  privacySecretFile: key<string>({
    path: 'privacy.secretFile',
    description: 'File holding the HMAC key.',
    defaultText: '',
    default: () => '',
    schema: optionalText,
  }),
  dataDir: key<string>({
    path: 'dataDir',
    description: "Directory for the sidecar's own state.",
    defaultText: 'data',
    default: () => 'data',
    schema: textMatching((text) => text.trim() !== '', 'a directory path (e.g. data)'),
  }),
  logLevel: key<LogLevel>({
    path: 'log.level',
    description: `Least severe log level written: ${LOG_LEVELS.join(', ')}.`,
    defaultText: 'info',
    default: () => 'info',
    schema: oneOf(LOG_LEVELS),
  }),
  statusInterval: key<number>({
    path: 'status.interval',
    description: 'How often the sidecar publishes its status (1s..1h).',
    defaultText: '10s',
    default: () => 10 * SECOND,
    schema: durationBetween(SECOND, HOUR),
  }),
  intakeQueueSize: key<number>({
    path: 'intake.queueSize',
    description:
      'Datagrams that may wait between socket and decoder (1..16777216); more are dropped and counted.',
    defaultText: '65536',
    default: () => 65536,
    schema: integerBetween(1, 16_777_216),
  }),
  intakeBatchDatagrams: key<number>({
    path: 'intake.batchDatagrams',
    description:
      'Hand datagrams to the decoder once this many wait (1..512; 1: each at once); with intake.batchWait, fewer wake-ups at quiet rates.',
    defaultText: '1',
    default: () => 1,
    schema: integerBetween(1, 512),
  }),
  intakeBatchWait: key<number>({
    path: 'intake.batchWait',
    description:
      'Longest a datagram waits for intake.batchDatagrams to gather (0ms..1s; 0ms: no wait). Adds up to this much latency.',
    defaultText: '0ms',
    default: () => 0,
    schema: durationBetween(0, SECOND),
  }),
  outboxMaxBytes: key<number>({
    path: 'outbox.maxBytes',
    description:
      'Disk the outbox under dataDir may use while NATS is away; past it records are dropped by priority.',
    defaultText: '1GiB',
    default: () => GiB,
    schema: sizeBetween(MiB, 1024 * GiB),
  }),
  outboxSegmentBytes: key<number>({
    path: 'outbox.segmentBytes',
    description: 'Size of one outbox segment file; fully published segments are deleted.',
    defaultText: '64MiB',
    default: () => 64 * MiB,
    schema: sizeBetween(64 * KiB, GiB),
  }),
  outboxFsyncInterval: key<number>({
    path: 'outbox.fsyncInterval',
    description: 'Longest time appended records wait for fsync; a power cut can lose at most this much.',
    defaultText: '100ms',
    default: () => 100,
    schema: durationBetween(1, 10 * SECOND),
  }),
  outboxFsyncRecords: key<number>({
    path: 'outbox.fsyncRecords',
    description: 'Records appended before an fsync is forced, whichever comes first with fsyncInterval.',
    defaultText: '1000',
    default: () => 1000,
    schema: integerBetween(1, 1_000_000),
  }),
  shutdownTimeout: key<number>({
    path: 'shutdown.timeout',
    description: 'How long shutdown may take to flush waiting records before giving up (0s..10m).',
    defaultText: '10s',
    default: () => 10 * SECOND,
    schema: durationBetween(0, 10 * MINUTE),
  }),
} as const;

/** The specs in reference order, for code that treats every key alike. */
export const KEY_SPECS: readonly KeySpec<unknown>[] = Object.values(KEYS);

/** Top-level names in order, each with the names of its keys when it is a section. */
export function keyTree(specs: readonly KeySpec<unknown>[] = KEY_SPECS): Map<string, string[] | null> {
  const tree = new Map<string, string[] | null>();
  for (const { path } of specs) {
    const [top = '', leaf] = path.split('.');
    if (leaf === undefined) tree.set(top, null);
    else tree.set(top, [...(tree.get(top) ?? []), leaf]);
  }
  return tree;
}
