/**
 * The keys the sidecar and the aggregator have in common, defined once. Keys that mean exactly
 * the same in both (NATS servers, auth and TLS files, log level) are shared specs; keys that
 * differ only in wording or default (subject prefix, stream names, HTTP, rules, ...) come from
 * one maker each, so their path, value kind and error messages cannot drift apart between the
 * programs. Each program's schema lists its keys in its own reference order.
 */
import { DEFAULT_ALERTS_STREAM, DEFAULT_EVENTS_STREAM, DEFAULT_SUBJECT_PREFIX } from '../contract/streams.js';
import type { KeyReader } from './key-reader.js';
import { type DefaultContext, type KeySpec, MINUTE, SECOND, key } from './key-spec.js';
import { LOG_LEVELS, type LogLevel, type SidecarConfig } from './types.js';
import {
  type ValueSchema,
  booleanValue,
  durationBetween,
  integerBetween,
  isListenAddress,
  isSubjectPrefix,
  isTimeZone,
  listOf,
  natsServer,
  oneOf,
  optionalText,
  textMatching,
} from './values.js';

const isNotBlank = (text: string): boolean => text.trim() !== '';

/** An address to bind to; `example` ends the message (`e.g. 127.0.0.1`). */
export function listenAddress(example: string): ValueSchema<string> {
  return textMatching(isListenAddress, `an IP address or host name to listen on (e.g. ${example})`);
}

const streamName = textMatching(
  (t) => /^[A-Za-z0-9_-]{1,64}$/.test(t),
  'a stream name of letters, digits, _ and -',
);

/** A text key that may stay empty (a file path that is not set, a secret not given). */
export function optionalTextKey(path: string, description: string): KeySpec<string> {
  return key<string>({ path, description, defaultText: '', default: () => '', schema: optionalText });
}

const NATS_SERVERS_KEY = key<string[]>({
  path: 'nats.servers',
  description: 'NATS servers: nats://, tls://, ws:// or wss:// URLs, or host:port; empty = the default.',
  defaultText: '[nats://127.0.0.1:4222]',
  default: () => ['nats://127.0.0.1:4222'],
  schema: listOf(natsServer, 'URLs like nats://host:4222'),
  list: true,
  emptyMeansDefault: true,
});

/** Authentication and TLS; both programs list them in this order, right after nats.name. */
const NATS_AUTH_KEYS = {
  natsToken: optionalTextKey(
    'nats.token',
    'NATS token; prefer the environment or nats.tokenFile. Never logged.',
  ),
  natsTokenFile: optionalTextKey('nats.tokenFile', 'File holding the NATS token.'),
  natsUser: optionalTextKey('nats.user', 'NATS user name (with nats.password or nats.passwordFile).'),
  natsPassword: optionalTextKey(
    'nats.password',
    'NATS password; prefer the environment or nats.passwordFile. Never logged.',
  ),
  natsPasswordFile: optionalTextKey('nats.passwordFile', 'File holding the NATS password.'),
  natsNkeySeedFile: optionalTextKey(
    'nats.nkeySeedFile',
    'File holding an NKey seed (SU...) to authenticate with.',
  ),
  natsCredsFile: optionalTextKey(
    'nats.credsFile',
    'A .creds file (user JWT and NKey seed) to authenticate with.',
  ),
  natsTlsCaFile: optionalTextKey(
    'nats.tlsCaFile',
    'CA certificate (PEM) to verify the NATS server with; setting any TLS file turns TLS on.',
  ),
  natsTlsCertFile: optionalTextKey(
    'nats.tlsCertFile',
    'Client certificate (PEM) for TLS client authentication.',
  ),
  natsTlsKeyFile: optionalTextKey('nats.tlsKeyFile', 'Private key (PEM) of the client certificate.'),
} as const;

export const LOG_LEVEL_KEY = key<LogLevel>({
  path: 'log.level',
  description: `Least severe log level written: ${LOG_LEVELS.join(', ')}.`,
  defaultText: 'info',
  default: () => 'info',
  schema: oneOf(LOG_LEVELS),
});

function natsSubjectPrefixKey(description: string): KeySpec<string> {
  return key<string>({
    path: 'nats.subjectPrefix',
    description,
    defaultText: DEFAULT_SUBJECT_PREFIX,
    default: () => DEFAULT_SUBJECT_PREFIX,
    schema: textMatching(
      isSubjectPrefix,
      'subject tokens of letters, digits, "_" or "-" joined by "." (e.g. sense or qlik.sense)',
    ),
  });
}

function natsNameKey(defaultText: string, byDefault: (context: DefaultContext) => string): KeySpec<string> {
  return key<string>({
    path: 'nats.name',
    description: 'Connection name the NATS server shows in its monitoring and logs.',
    defaultText,
    default: byDefault,
    schema: textMatching(isNotBlank, 'a connection name that is not empty'),
  });
}

function jetstreamEnabledKey(description: string): KeySpec<boolean> {
  return key<boolean>({
    path: 'jetstream.enabled',
    description,
    defaultText: 'true',
    default: () => true,
    schema: booleanValue,
  });
}

function streamKey(path: string, description: string, name: string): KeySpec<string> {
  return key<string>({ path, description, defaultText: name, default: () => name, schema: streamName });
}

function eventsStreamKey(description: string): KeySpec<string> {
  return streamKey('jetstream.eventsStream', description, DEFAULT_EVENTS_STREAM);
}

function alertsStreamKey(description: string): KeySpec<string> {
  return streamKey('jetstream.alertsStream', description, DEFAULT_ALERTS_STREAM);
}

export function httpHostKey(description: string): KeySpec<string> {
  return key<string>({
    path: 'http.host',
    description,
    defaultText: '127.0.0.1',
    default: () => '127.0.0.1',
    schema: listenAddress('127.0.0.1'),
  });
}

export function httpPortKey(description: string, port: number): KeySpec<number> {
  return key<number>({
    path: 'http.port',
    description,
    defaultText: String(port),
    default: () => port,
    schema: integerBetween(0, 65535),
  });
}

export function dataDirKey(description: string, directory: string): KeySpec<string> {
  return key<string>({
    path: 'dataDir',
    description,
    defaultText: directory,
    default: () => directory,
    schema: textMatching(isNotBlank, `a directory path (e.g. ${directory})`),
  });
}

/** `kind` names the files in the list message: `rule` or `cluster rule`. */
export function rulesPathsKey(description: string, directory: string, kind: string): KeySpec<string[]> {
  return key<string[]>({
    path: 'rules.paths',
    description,
    defaultText: `[${directory}]`,
    default: () => [directory],
    schema: listOf(
      textMatching(isNotBlank, 'a file or directory path'),
      `${kind} files or directories, e.g. [${directory}]`,
    ),
    list: true,
  });
}

export function rulesTimezoneKey(description: string): KeySpec<string> {
  return key<string>({
    path: 'rules.timezone',
    description,
    defaultText: '<system zone>',
    default: ({ timezone }) => timezone,
    schema: textMatching(isTimeZone, 'an IANA time zone name (e.g. Europe/Stockholm or UTC)'),
  });
}

export function shutdownTimeoutKey(description: string): KeySpec<number> {
  return key<number>({
    path: 'shutdown.timeout',
    description,
    defaultText: '10s',
    default: () => 10 * SECOND,
    schema: durationBetween(0, 10 * MINUTE),
  });
}

/**
 * A program's `nats.*` keys in reference order: the shared servers and auth/TLS keys around its
 * own wording of the subject prefix and its own default connection name.
 */
export function natsKeys(
  subjectPrefixDescription: string,
  nameDefaultText: string,
  nameDefault: (context: DefaultContext) => string,
) {
  return {
    natsServers: NATS_SERVERS_KEY,
    natsSubjectPrefix: natsSubjectPrefixKey(subjectPrefixDescription),
    natsName: natsNameKey(nameDefaultText, nameDefault),
    ...NATS_AUTH_KEYS,
  } as const;
}

export type NatsKeys = ReturnType<typeof natsKeys>;

/** The first three `jetstream.*` keys, which both programs have, each in its own wording. */
export function jetstreamStreamKeys(descriptions: {
  readonly enabled: string;
  readonly eventsStream: string;
  readonly alertsStream: string;
}) {
  return {
    jetstreamEnabled: jetstreamEnabledKey(descriptions.enabled),
    jetstreamEventsStream: eventsStreamKey(descriptions.eventsStream),
    jetstreamAlertsStream: alertsStreamKey(descriptions.alertsStream),
  } as const;
}

/** The `nats` section in key order (the order issues from the environment are reported in). */
export function readNatsSection(
  read: KeyReader['read'],
  keys: NatsKeys,
  context: DefaultContext,
): SidecarConfig['nats'] {
  return {
    servers: read(keys.natsServers, context),
    subjectPrefix: read(keys.natsSubjectPrefix, context),
    name: read(keys.natsName, context),
    token: read(keys.natsToken, context),
    tokenFile: read(keys.natsTokenFile, context),
    user: read(keys.natsUser, context),
    password: read(keys.natsPassword, context),
    passwordFile: read(keys.natsPasswordFile, context),
    nkeySeedFile: read(keys.natsNkeySeedFile, context),
    credsFile: read(keys.natsCredsFile, context),
    tlsCaFile: read(keys.natsTlsCaFile, context),
    tlsCertFile: read(keys.natsTlsCertFile, context),
    tlsKeyFile: read(keys.natsTlsKeyFile, context),
  };
}
