/**
 * Every sidecar config key: its path (operators script against these names), what it means, its
 * default and how its value is checked. The environment names, the reference table, the
 * unknown-key suggestions and the loader are all derived from this one list. Keys the aggregator
 * has too come from shared-keys.ts; the order here is the reference order.
 */
import { GiB, HOUR, KiB, type KeySpec, MINUTE, MiB, SECOND, key } from './key-spec.js';
import {
  LOG_LEVEL_KEY,
  dataDirKey,
  httpHostKey,
  httpPortKey,
  jetstreamStreamKeys,
  listenAddress,
  natsKeys,
  rulesPathsKey,
  rulesTimezoneKey,
  shutdownTimeoutKey,
} from './shared-keys.js';

export type { ConfigIssue, ConfigResult, LogLevel, SidecarConfig } from './types.js';
import {
  booleanValue,
  durationBetween,
  integerBetween,
  isNodeName,
  optionalText,
  listOf,
  sizeBetween,
  sourceRange,
  textMatching,
} from './values.js';

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
    schema: listenAddress('127.0.0.1, 0.0.0.0 or ::'),
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
  ...natsKeys(
    'First token(s) of every subject published: letters, digits, _ and -, joined by dots.',
    'sense-sidecar/<node>',
    ({ node }) => `sense-sidecar/${node}`,
  ),
  rulesPaths: rulesPathsKey(
    'Rule files, or directories of rule files, to load; empty = no rules.',
    'rules',
    'rule',
  ),
  rulesTimezone: rulesTimezoneKey(
    'IANA time zone for schedules, hour and weekday facts when a rule file names none.',
  ),
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
  ...jetstreamStreamKeys({
    enabled:
      'Publish into JetStream streams with acknowledgements; false, or a server without JetStream, uses core NATS.',
    eventsStream: 'Stream for events and rejects (subjects <prefix>.events.> and <prefix>.rejects.>).',
    alertsStream: 'Stream for alerts (subjects <prefix>.alerts.>).',
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
  httpHost: httpHostKey('Address of the health and metrics endpoint; loopback unless a scraper needs it.'),
  httpPort: httpPortKey(
    'Port of the health and metrics endpoint (0 = any free port, logged at start).',
    9998,
  ),
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
  dataDir: dataDirKey("Directory for the sidecar's own state.", 'data'),
  logLevel: LOG_LEVEL_KEY,
  statusInterval: key<number>({
    path: 'status.interval',
    description: 'How often the sidecar publishes its status (1s..1h).',
    defaultText: '10s',
    default: () => 10 * SECOND,
    schema: durationBetween(SECOND, HOUR),
  }),
  memoryIdleTrimAfter: key<number>({
    path: 'memory.idleTrimAfter',
    description:
      'After this long without a datagram, the heap is collected once and its free pages handed back to the OS (one pause of tens of ms, only if the heap grew by 8 MB since the last time; 0ms: never).',
    defaultText: '60s',
    default: () => MINUTE,
    schema: durationBetween(0, 24 * HOUR),
  }),
  intakeReaderThread: key<boolean>({
    path: 'intake.readerThread',
    description:
      'Read the UDP socket on a thread of its own, which keeps a burst whole while events are processed; false reads it on the main thread: less CPU and memory on a quiet node, a burst must fit udp.receiveBufferBytes.',
    defaultText: 'true',
    default: () => true,
    schema: booleanValue,
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
    defaultText: '512',
    default: () => 512,
    schema: integerBetween(1, 512),
  }),
  intakeBatchWait: key<number>({
    path: 'intake.batchWait',
    description:
      'Longest a datagram waits for intake.batchDatagrams to gather, below intake.batchBelowRate (0ms..10s; 0ms: never). Adds up to this much latency; longer costs a quiet node less CPU.',
    defaultText: '1s',
    default: () => SECOND,
    schema: durationBetween(0, 10 * SECOND),
  }),
  intakeBatchBelowRate: key<number>({
    path: 'intake.batchBelowRate',
    description:
      'Datagrams a second from which nothing waits for a batch (0..1000000; 0: wait at any rate): a busy node fills batches by itself.',
    defaultText: '200',
    default: () => 200,
    schema: integerBetween(0, 1_000_000),
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
  shutdownTimeout: shutdownTimeoutKey(
    'How long shutdown may take to flush waiting records before giving up (0s..10m).',
  ),
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
