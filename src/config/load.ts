/**
 * The config loader: YAML file (optional) + environment + defaults → a validated SidecarConfig,
 * or every problem found, each pointing at the place to change. Pure: the caller reads the file,
 * passes `process.env` and `os.hostname()`.
 */
import { ENV_PREFIX } from './env-names.js';
import { type KeyReader, loadKeys } from './key-reader.js';
import type { DefaultContext } from './key-spec.js';
import { KEY_SPECS, KEYS } from './schema.js';
import { readNatsSection } from './shared-keys.js';
import type { ConfigResult, SidecarConfig } from './types.js';
import { isNodeName } from './values.js';

export { formatIssue } from './issues.js';
export type { ConfigIssue, ConfigResult, SidecarConfig } from './types.js';

export interface LoadConfigInput {
  /** The config file's text; undefined when there is no file (defaults and environment apply). */
  text?: string | undefined;
  /** Shown in issues; defaults to `<config>`. */
  fileName?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Default for `node`. */
  hostname: string;
  /** Default for `rules.timezone`: the system's IANA zone; UTC when not given. */
  timezone?: string | undefined;
}

export function loadConfig(input: LoadConfigInput): ConfigResult {
  return loadKeys(input, { specs: KEY_SPECS, envPrefix: ENV_PREFIX }, (reader) =>
    readSidecarConfig(input, reader),
  );
}

function readSidecarConfig(input: LoadConfigInput, reader: KeyReader): SidecarConfig {
  const { file, issues, read } = reader;

  const { hostname } = input;
  const timezone = input.timezone ?? 'UTC';
  const node = read(KEYS.node, { hostname, node: hostname, timezone });
  if (!reader.isSet(KEYS.node) && !isNodeName(hostname)) {
    issues.push({
      file,
      line: 1,
      column: 1,
      path: 'node',
      message:
        `is not set and the host name ${JSON.stringify(hostname)} cannot be used as a node name ` +
        '(it must not be empty or contain spaces, "*" or ">"); set node or SENSE_SIDECAR_NODE',
    });
  }
  const context: DefaultContext = { hostname, node, timezone };

  return {
    node,
    udp: {
      host: read(KEYS.udpHost, context),
      port: read(KEYS.udpPort, context),
      receiveBufferBytes: read(KEYS.udpReceiveBufferBytes, context),
      maxDatagramBytes: read(KEYS.udpMaxDatagramBytes, context),
      allowedSources: read(KEYS.udpAllowedSources, context),
    },
    nats: readNatsSection(read, KEYS, context),
    rules: { paths: read(KEYS.rulesPaths, context), timezone: read(KEYS.rulesTimezone, context) },
    sessions: {
      inactivityTimeoutMs: read(KEYS.sessionsInactivityTimeout, context),
      expiryGraceMs: read(KEYS.sessionsExpiryGrace, context),
    },
    state: {
      maxKeys: read(KEYS.stateMaxKeys, context),
      snapshotIntervalMs: read(KEYS.stateSnapshotInterval, context),
    },
    jetstream: {
      enabled: read(KEYS.jetstreamEnabled, context),
      eventsStream: read(KEYS.jetstreamEventsStream, context),
      alertsStream: read(KEYS.jetstreamAlertsStream, context),
      replicas: read(KEYS.jetstreamReplicas, context),
      maxAgeMs: read(KEYS.jetstreamMaxAge, context),
      duplicateWindowMs: read(KEYS.jetstreamDuplicateWindow, context),
    },
    http: {
      enabled: read(KEYS.httpEnabled, context),
      host: read(KEYS.httpHost, context),
      port: read(KEYS.httpPort, context),
    },
    privacy: {
      hashUsers: read(KEYS.privacyHashUsers, context),
      secret: read(KEYS.privacySecret, context),
      secretFile: read(KEYS.privacySecretFile, context),
    },
    dataDir: read(KEYS.dataDir, context),
    log: { level: read(KEYS.logLevel, context) },
    status: { intervalMs: read(KEYS.statusInterval, context) },
    memory: { idleTrimAfterMs: read(KEYS.memoryIdleTrimAfter, context) },
    intake: {
      readerThread: read(KEYS.intakeReaderThread, context),
      queueSize: read(KEYS.intakeQueueSize, context),
      batchDatagrams: read(KEYS.intakeBatchDatagrams, context),
      batchWaitMs: read(KEYS.intakeBatchWait, context),
      batchBelowRate: read(KEYS.intakeBatchBelowRate, context),
    },
    outbox: {
      maxBytes: read(KEYS.outboxMaxBytes, context),
      segmentBytes: read(KEYS.outboxSegmentBytes, context),
      fsyncIntervalMs: read(KEYS.outboxFsyncInterval, context),
      fsyncRecords: read(KEYS.outboxFsyncRecords, context),
    },
    shutdown: { timeoutMs: read(KEYS.shutdownTimeout, context) },
  };
}
