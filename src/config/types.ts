/** The sidecar's configuration as the rest of the program sees it: validated, every default filled. */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface SidecarConfig {
  /** This sidecar's node name (defaults to the host name). */
  node: string;
  udp: {
    /** Address the UDP socket binds to. */
    host: string;
    port: number;
    /** Requested kernel receive buffer (SO_RCVBUF), in bytes. */
    receiveBufferBytes: number;
    /** Datagrams larger than this are rejected as `too-large`, in bytes. */
    maxDatagramBytes: number;
    /** IP addresses and CIDRs datagrams may come from, as written; empty = any. See createSourceFilter. */
    allowedSources: string[];
  };
  nats: {
    /** Server URLs as written: nats://, tls://, ws://, wss:// or bare host[:port]. Never empty. */
    servers: string[];
    /** Subject tokens joined by `.`, without a trailing dot. */
    subjectPrefix: string;
    /** Connection name shown by the NATS server. */
    name: string;
    /** Authentication and TLS; '' = not set. Secrets are never logged. */
    token: string;
    tokenFile: string;
    user: string;
    password: string;
    passwordFile: string;
    nkeySeedFile: string;
    credsFile: string;
    tlsCaFile: string;
    tlsCertFile: string;
    tlsKeyFile: string;
  };
  jetstream: {
    enabled: boolean;
    eventsStream: string;
    alertsStream: string;
    replicas: number;
    maxAgeMs: number;
    duplicateWindowMs: number;
  };
  http: { enabled: boolean; host: string; port: number };
  privacy: { hashUsers: boolean; secret: string; secretFile: string };
  rules: {
    paths: string[];
    /** IANA zone for schedules and hour/weekday facts when the rule files name none. */
    timezone: string;
  };
  sessions: {
    /** The virtual proxy's inactivity timeout. */
    inactivityTimeoutMs: number;
    /** Added to the timeout before a silent session is expired. */
    expiryGraceMs: number;
  };
  state: { maxKeys: number; snapshotIntervalMs: number };
  dataDir: string;
  log: { level: LogLevel };
  status: { intervalMs: number };
  memory: { idleTrimAfterMs: number };
  intake: {
    readerThread: boolean;
    queueSize: number;
    batchDatagrams: number;
    batchWaitMs: number;
    batchBelowRate: number;
  };
  outbox: { maxBytes: number; segmentBytes: number; fsyncIntervalMs: number; fsyncRecords: number };
  shutdown: { timeoutMs: number };
}

/**
 * One thing wrong with the configuration. File problems carry a 1-based line and column; problems
 * in environment variables have `file: 'env'`, line 0 and column 0.
 */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /**
   * Config path such as `udp.port` or `nats.servers[1]`; '' for the document as a whole; for an
   * unknown environment variable, the variable's name.
   */
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: SidecarConfig } | { ok: false; issues: ConfigIssue[] };

/** A path into the YAML document: mapping keys and list indexes. */
export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}
