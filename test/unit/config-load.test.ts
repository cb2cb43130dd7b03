import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfig } from '../../src/config/load.js';
import type { ConfigResult, SidecarConfig } from '../../src/config/types.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), 'utf8');
const example = (): string =>
  readFileSync(new URL('../../config/sense-sidecar.example.yaml', import.meta.url), 'utf8');

function load(text: string | undefined, env: Record<string, string | undefined> = {}): ConfigResult {
  return loadConfig({ text, fileName: 'sidecar.yaml', env, hostname: 'sense-node-7' });
}

function config(result: ConfigResult): SidecarConfig {
  if (!result.ok)
    throw new Error(`expected a valid config, got:\n${result.issues.map(formatIssue).join('\n')}`);
  return result.config;
}

const DEFAULTS: SidecarConfig = {
  node: 'sense-node-7',
  udp: {
    host: '127.0.0.1',
    port: 9997,
    receiveBufferBytes: 8 * 1024 * 1024,
    maxDatagramBytes: 16384,
    allowedSources: [],
  },
  nats: {
    servers: ['nats://127.0.0.1:4222'],
    subjectPrefix: 'sense',
    name: 'sense-sidecar/sense-node-7',
    token: '',
    tokenFile: '',
    user: '',
    password: '',
    passwordFile: '',
    nkeySeedFile: '',
    credsFile: '',
    tlsCaFile: '',
    tlsCertFile: '',
    tlsKeyFile: '',
  },
  jetstream: {
    enabled: true,
    eventsStream: 'SENSE_EVENTS',
    alertsStream: 'SENSE_ALERTS',
    replicas: 1,
    maxAgeMs: 604_800_000,
    duplicateWindowMs: 7_200_000,
  },
  http: { enabled: true, host: '127.0.0.1', port: 9998 },
  privacy: { hashUsers: false, secret: '', secretFile: '' },
  rules: { paths: ['rules'], timezone: 'UTC' },
  sessions: { inactivityTimeoutMs: 1_800_000, expiryGraceMs: 300_000 },
  state: { maxKeys: 200_000, snapshotIntervalMs: 30_000 },
  dataDir: 'data',
  log: { level: 'info' },
  status: { intervalMs: 10_000 },
  memory: { idleTrimAfterMs: 60_000 },
  intake: {
    readerThread: true,
    queueSize: 65536,
    batchDatagrams: 512,
    batchWaitMs: 1_000,
    batchBelowRate: 200,
  },
  outbox: { maxBytes: 1024 ** 3, segmentBytes: 64 * 1024 ** 2, fsyncIntervalMs: 100, fsyncRecords: 1000 },
  shutdown: { timeoutMs: 10_000 },
};

const FULL: SidecarConfig = {
  node: 'sense-node-1',
  udp: {
    host: '0.0.0.0',
    port: 4444,
    receiveBufferBytes: 512 * 1024,
    maxDatagramBytes: 8192,
    allowedSources: ['10.0.0.0/8', '192.168.1.20', 'fd00::/8'],
  },
  nats: {
    servers: [
      'nats://nats1.example.com:4222',
      'tls://nats2.example.com:4222',
      'wss://nats3.example.com:443/nats',
      'nats4.example.com:4222',
    ],
    subjectPrefix: 'qlik.sense',
    name: 'sidecar on node 1',
    token: '',
    tokenFile: '/etc/sense-sidecar/nats.token',
    user: '',
    password: '',
    passwordFile: '',
    nkeySeedFile: '',
    credsFile: '',
    tlsCaFile: '/etc/ssl/nats-ca.pem',
    tlsCertFile: '',
    tlsKeyFile: '',
  },
  jetstream: {
    enabled: false,
    eventsStream: 'QLIK_EVENTS',
    alertsStream: 'QLIK_ALERTS',
    replicas: 3,
    maxAgeMs: 86_400_000,
    duplicateWindowMs: 600_000,
  },
  http: { enabled: true, host: '0.0.0.0', port: 9100 },
  privacy: { hashUsers: true, secret: '', secretFile: '/etc/sense-sidecar/hmac.key' },
  rules: { paths: ['rules', '/etc/sense-sidecar/extra-rules.yaml'], timezone: 'Europe/Stockholm' },
  sessions: { inactivityTimeoutMs: 3_600_000, expiryGraceMs: 60_000 },
  state: { maxKeys: 5000, snapshotIntervalMs: 60_000 },
  dataDir: '/var/lib/sense-sidecar',
  log: { level: 'debug' },
  status: { intervalMs: 90_000 },
  memory: { idleTrimAfterMs: 60_000 },
  intake: { readerThread: false, queueSize: 1024, batchDatagrams: 8, batchWaitMs: 25, batchBelowRate: 0 },
  outbox: { maxBytes: 256 * 1024 ** 2, segmentBytes: 1024 ** 2, fsyncIntervalMs: 20, fsyncRecords: 50 },
  shutdown: { timeoutMs: 2500 },
};

/** Every key from the environment, with the config it must produce. */
const FULL_ENV: Record<string, string> = {
  SENSE_SIDECAR_NODE: 'sense-node-1',
  SENSE_SIDECAR_UDP_HOST: '0.0.0.0',
  SENSE_SIDECAR_UDP_PORT: '4444',
  SENSE_SIDECAR_UDP_RECEIVE_BUFFER_BYTES: '512KiB',
  SENSE_SIDECAR_UDP_MAX_DATAGRAM_BYTES: '8192',
  SENSE_SIDECAR_UDP_ALLOWED_SOURCES: '10.0.0.0/8, 192.168.1.20,fd00::/8',
  SENSE_SIDECAR_NATS_SERVERS:
    'nats://nats1.example.com:4222,tls://nats2.example.com:4222,wss://nats3.example.com:443/nats,nats4.example.com:4222',
  SENSE_SIDECAR_NATS_SUBJECT_PREFIX: 'qlik.sense',
  SENSE_SIDECAR_NATS_NAME: 'sidecar on node 1',
  SENSE_SIDECAR_RULES_PATHS: 'rules,/etc/sense-sidecar/extra-rules.yaml',
  SENSE_SIDECAR_RULES_TIMEZONE: 'Europe/Stockholm',
  SENSE_SIDECAR_SESSIONS_INACTIVITY_TIMEOUT: '1h',
  SENSE_SIDECAR_SESSIONS_EXPIRY_GRACE: '1m',
  SENSE_SIDECAR_STATE_MAX_KEYS: '5000',
  SENSE_SIDECAR_DATA_DIR: '/var/lib/sense-sidecar',
  SENSE_SIDECAR_LOG_LEVEL: 'debug',
  SENSE_SIDECAR_STATUS_INTERVAL: '1m30s',
  SENSE_SIDECAR_INTAKE_READER_THREAD: 'false',
  SENSE_SIDECAR_INTAKE_QUEUE_SIZE: '1024',
  SENSE_SIDECAR_INTAKE_BATCH_DATAGRAMS: '8',
  SENSE_SIDECAR_INTAKE_BATCH_WAIT: '25ms',
  SENSE_SIDECAR_INTAKE_BATCH_BELOW_RATE: '0',
  SENSE_SIDECAR_OUTBOX_MAX_BYTES: '256MiB',
  SENSE_SIDECAR_OUTBOX_SEGMENT_BYTES: '1MiB',
  SENSE_SIDECAR_OUTBOX_FSYNC_INTERVAL: '20ms',
  SENSE_SIDECAR_OUTBOX_FSYNC_RECORDS: '50',
  SENSE_SIDECAR_STATE_SNAPSHOT_INTERVAL: '1m',
  SENSE_SIDECAR_NATS_TOKEN_FILE: '/etc/sense-sidecar/nats.token',
  SENSE_SIDECAR_NATS_TLS_CA_FILE: '/etc/ssl/nats-ca.pem',
  SENSE_SIDECAR_JETSTREAM_ENABLED: 'false',
  SENSE_SIDECAR_JETSTREAM_EVENTS_STREAM: 'QLIK_EVENTS',
  SENSE_SIDECAR_JETSTREAM_ALERTS_STREAM: 'QLIK_ALERTS',
  SENSE_SIDECAR_JETSTREAM_REPLICAS: '3',
  SENSE_SIDECAR_JETSTREAM_MAX_AGE: '1d',
  SENSE_SIDECAR_JETSTREAM_DUPLICATE_WINDOW: '10m',
  SENSE_SIDECAR_HTTP_HOST: '0.0.0.0',
  SENSE_SIDECAR_HTTP_PORT: '9100',
  SENSE_SIDECAR_PRIVACY_HASH_USERS: 'true',
  SENSE_SIDECAR_PRIVACY_SECRET_FILE: '/etc/sense-sidecar/hmac.key',
  SENSE_SIDECAR_SHUTDOWN_TIMEOUT: '2500ms',
};

describe('loadConfig', () => {
  it('fills every default when there is no file and no environment', () => {
    expect(config(load(undefined))).toEqual(DEFAULTS);
  });

  it('treats an empty file and a file of comments as all defaults', () => {
    expect(config(load(''))).toEqual(DEFAULTS);
    expect(config(load('# nothing here\n\n'))).toEqual(DEFAULTS);
  });

  it('reads a full valid file', () => {
    expect(config(load(fixture('full.yaml')))).toEqual(FULL);
  });

  it('reads every key from the environment', () => {
    expect(config(load(undefined, FULL_ENV))).toEqual(FULL);
  });

  it('lets the environment win over the file, key by key', () => {
    const result = config(
      load('udp:\n  port: 4444\n  host: 0.0.0.0\nlog:\n  level: warn\n', {
        SENSE_SIDECAR_UDP_PORT: '5555',
        SENSE_SIDECAR_LOG_LEVEL: 'trace',
      }),
    );
    expect(result.udp).toMatchObject({ port: 5555, host: '0.0.0.0' });
    expect(result.log.level).toBe('trace');
  });

  it('lets the environment set keys of a section the file does not have', () => {
    expect(config(load('log: {level: warn}\n', { SENSE_SIDECAR_UDP_PORT: '5555' })).udp.port).toBe(5555);
  });

  it('treats null values as the default', () => {
    const text = [
      'node: ~',
      'udp:',
      '  port: null',
      '  receiveBufferBytes:',
      '  allowedSources: null',
      'nats:',
      '  servers: ~',
      '  name: null',
      'rules: null',
      'log:',
      'status: {interval: null}',
    ].join('\n');
    expect(config(load(text))).toEqual(DEFAULTS);
  });

  it('accepts empty lists: no source filter, no rules, the default NATS server', () => {
    const text = 'udp:\n  allowedSources: []\nnats:\n  servers: []\nrules:\n  paths: []\n';
    const result = config(load(text));
    expect(result.udp.allowedSources).toEqual([]);
    expect(result.rules.paths).toEqual([]);
    expect(result.nats.servers).toEqual(['nats://127.0.0.1:4222']);
  });

  it('reads an empty environment list as an empty list, and an empty scalar as not set', () => {
    const result = config(
      load('rules:\n  paths: [a, b]\nudp:\n  port: 4444\n', {
        SENSE_SIDECAR_RULES_PATHS: '',
        SENSE_SIDECAR_UDP_PORT: '',
        SENSE_SIDECAR_NODE: '  ',
      }),
    );
    expect(result.rules.paths).toEqual([]);
    expect(result.udp.port).toBe(4444);
    expect(result.node).toBe('sense-node-7');
  });

  it('derives the connection name from the node name', () => {
    expect(config(load('node: sense-a\n')).nats.name).toBe('sense-sidecar/sense-a');
    expect(config(load(undefined, { SENSE_SIDECAR_NODE: 'sense-b' })).nats.name).toBe(
      'sense-sidecar/sense-b',
    );
  });

  it('accepts the size, duration and number forms operators write', () => {
    const result = config(
      load(
        [
          'udp:',
          '  receiveBufferBytes: 4MB',
          '  maxDatagramBytes: "65507"',
          'status: {interval: 1h}',
          'shutdown: {timeout: 0s}',
          'intake: {queueSize: "+100"}',
        ].join('\n'),
      ),
    );
    expect(result.udp.receiveBufferBytes).toBe(4_000_000);
    expect(result.udp.maxDatagramBytes).toBe(65507);
    expect(result.status.intervalMs).toBe(3_600_000);
    expect(result.shutdown.timeoutMs).toBe(0);
    expect(result.intake.queueSize).toBe(100);
  });

  it('accepts a byte order mark and Windows line endings', () => {
    expect(config(load('\uFEFFudp:\r\n  port: 4444\r\n')).udp.port).toBe(4444);
  });

  it('names the file in issues, or <config> when none is given', () => {
    const result = loadConfig({ text: 'udp: 1', env: {}, hostname: 'h' });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      '<config>:1:6: udp: must be a mapping with the keys host, port, receiveBufferBytes, maxDatagramBytes, allowedSources, got "1"',
    ]);
  });

  it('refuses a host name that cannot be a node name when node is not set', () => {
    const result = loadConfig({ text: undefined, env: {}, hostname: '' });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      '<config>:1:1: node: is not set and the host name "" cannot be used as a node name (it must not be empty or contain spaces, "*" or ">"); set node or SENSE_SIDECAR_NODE',
    ]);
    expect(loadConfig({ text: 'node: n1', env: {}, hostname: '' }).ok).toBe(true);
  });

  it('ignores environment variables that are not ours', () => {
    expect(config(load(undefined, { PATH: '/bin', SENSE_OTHER: 'x', NODE_ENV: 'production' }))).toEqual(
      DEFAULTS,
    );
  });

  it('does not let keys like __proto__ touch prototypes', () => {
    const result = load('__proto__: {polluted: true}\nudp:\n  __proto__: {port: 1}\n');
    expect(result.ok).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the example config', () => {
  it('is valid and equals the defaults', () => {
    expect(config(load(example()))).toEqual(DEFAULTS);
  });
});
