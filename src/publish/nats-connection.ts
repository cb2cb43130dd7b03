import { readFile as fsReadFile } from 'node:fs/promises';
import {
  type Authenticator,
  credsAuthenticator,
  type NodeConnectionOptions,
  nkeyAuthenticator,
  nkeys,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import type { SidecarConfig } from '../config/types.js';
import { errorMessage } from './error-message.js';

/**
 * How the sidecar connects to NATS: the connect options built from `nats.*` (authentication by
 * token, user and password, NKey or .creds file; TLS with a CA and a client certificate). The
 * connection made with them, and kept, is `NatsLink` (`nats-link.ts`).
 *
 * Secrets (token, password, seeds, keys) only ever go into the options object handed to the
 * client; `describe`, problems and log lines name the config key and the file, never the content.
 */

/** Connect options every sidecar connection has; publishers may override the reconnect wait. */
export const BASE_CONNECT_OPTIONS = {
  waitOnFirstConnect: true,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 1_000,
  reconnectJitter: 500,
  pingInterval: 10_000,
  maxPingOut: 3,
} as const satisfies NodeConnectionOptions;

export type ReadFile = (path: string) => Promise<Uint8Array>;

export type NatsConnectionSettings =
  { ok: true; options: NodeConnectionOptions; describe: string } | { ok: false; problems: string[] };

type NatsConfig = SidecarConfig['nats'];

/**
 * Connect options for `nats.*`, or every problem, each saying what to change. Reads the secret
 * and certificate files now, so a wrong path stops the start instead of failing on every
 * reconnect.
 */
export async function natsConnectionOptions(
  config: NatsConfig,
  readFile: ReadFile = fsReadFile,
): Promise<NatsConnectionSettings> {
  const problems: string[] = [];
  const read = async (key: string, path: string): Promise<string | undefined> => {
    try {
      return new TextDecoder().decode(await readFile(path));
    } catch (error) {
      problems.push(`nats.${key} ${path}: ${readProblem(error)}`);
      return undefined;
    }
  };
  const readSecret = async (key: string, path: string): Promise<string | undefined> => {
    const text = await read(key, path);
    if (text === undefined) return undefined;
    const secret = text.trim();
    if (secret === '') {
      problems.push(`nats.${key} ${path}: the file is empty; write the secret into it`);
      return undefined;
    }
    return secret;
  };

  const methods: string[] = [];
  if (config.token !== '' || config.tokenFile !== '') methods.push('token (nats.token/nats.tokenFile)');
  if (config.user !== '' || config.password !== '' || config.passwordFile !== '')
    methods.push('user and password (nats.user)');
  if (config.nkeySeedFile !== '') methods.push('NKey (nats.nkeySeedFile)');
  if (config.credsFile !== '') methods.push('credentials file (nats.credsFile)');
  if (methods.length > 1) {
    problems.push(
      `nats: more than one authentication method is set: ${methods.join(', ')}; keep only the one the NATS server expects`,
    );
  }

  let authenticator: Authenticator | undefined;
  let auth = 'no authentication';

  if (config.token !== '' && config.tokenFile !== '') {
    problems.push('nats.token and nats.tokenFile are both set; set only one of them');
  } else if (config.token !== '') {
    authenticator = tokenAuthenticator(config.token);
    auth = 'token from nats.token';
  } else if (config.tokenFile !== '') {
    const token = await readSecret('tokenFile', config.tokenFile);
    if (token !== undefined) authenticator = tokenAuthenticator(token);
    auth = `token from nats.tokenFile ${config.tokenFile}`;
  }

  const hasPassword = config.password !== '' || config.passwordFile !== '';
  if (config.password !== '' && config.passwordFile !== '') {
    problems.push('nats.password and nats.passwordFile are both set; set only one of them');
  } else if (hasPassword && config.user === '') {
    problems.push(
      `nats.${config.password !== '' ? 'password' : 'passwordFile'} is set without nats.user; set nats.user too`,
    );
  } else if (config.user !== '' && !hasPassword) {
    problems.push('nats.user is set without nats.password or nats.passwordFile; set one of them');
  } else if (config.user !== '') {
    let password: string | undefined = config.password;
    let from = 'nats.password';
    if (config.passwordFile !== '') {
      password = await readSecret('passwordFile', config.passwordFile);
      from = `nats.passwordFile ${config.passwordFile}`;
    }
    if (password !== undefined) authenticator = usernamePasswordAuthenticator(config.user, password);
    auth = `user ${config.user} with password from ${from}`;
  }

  if (config.nkeySeedFile !== '') {
    const text = await read('nkeySeedFile', config.nkeySeedFile);
    if (text !== undefined) {
      const seed = findUserSeed(text);
      if (seed === undefined) {
        problems.push(
          `nats.nkeySeedFile ${config.nkeySeedFile}: no user NKey seed found (a line starting with SU, as written by "nk -gen user" or nsc); check the file`,
        );
      } else {
        authenticator = nkeyAuthenticator(seed);
      }
    }
    auth = `NKey seed from nats.nkeySeedFile ${config.nkeySeedFile}`;
  }

  if (config.credsFile !== '') {
    const text = await read('credsFile', config.credsFile);
    if (text !== undefined) {
      const creds = new TextEncoder().encode(text);
      if (!credsParse(creds)) {
        problems.push(
          `nats.credsFile ${config.credsFile}: not a NATS credentials file (expected a "BEGIN NATS USER JWT" block and a "BEGIN USER NKEY SEED" block, as written by nsc); check the file`,
        );
      } else {
        authenticator = credsAuthenticator(creds);
      }
    }
    auth = `credentials from nats.credsFile ${config.credsFile}`;
  }

  const tlsRequested =
    config.tlsCaFile !== '' ||
    config.tlsCertFile !== '' ||
    config.tlsKeyFile !== '' ||
    config.servers.some((server) => /^tls:\/\//i.test(server.trim()));
  let tls: NonNullable<NodeConnectionOptions['tls']> | undefined;
  let tlsDescription = 'no TLS';
  if (tlsRequested) {
    tls = {};
    const parts: string[] = [];
    if (config.tlsCaFile !== '') {
      const ca = await read('tlsCaFile', config.tlsCaFile);
      if (ca !== undefined && !/-----BEGIN CERTIFICATE-----/.test(ca)) {
        problems.push(
          `nats.tlsCaFile ${config.tlsCaFile}: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----"); name the CA certificate file`,
        );
      } else if (ca !== undefined) tls.ca = ca;
      parts.push(`CA ${config.tlsCaFile}`);
    } else {
      parts.push('the system CAs');
    }
    if (config.tlsCertFile !== '' && config.tlsKeyFile === '') {
      problems.push(
        'nats.tlsCertFile is set without nats.tlsKeyFile; a client certificate needs its private key',
      );
    } else if (config.tlsKeyFile !== '' && config.tlsCertFile === '') {
      problems.push('nats.tlsKeyFile is set without nats.tlsCertFile; set the client certificate too');
    } else if (config.tlsCertFile !== '') {
      const cert = await read('tlsCertFile', config.tlsCertFile);
      const key = await read('tlsKeyFile', config.tlsKeyFile);
      if (cert !== undefined && !/-----BEGIN CERTIFICATE-----/.test(cert)) {
        problems.push(
          `nats.tlsCertFile ${config.tlsCertFile}: no PEM certificate found (expected "-----BEGIN CERTIFICATE-----"); name the client certificate file`,
        );
      } else if (cert !== undefined) tls.cert = cert;
      if (key !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
        problems.push(
          `nats.tlsKeyFile ${config.tlsKeyFile}: no PEM private key found (expected "-----BEGIN … PRIVATE KEY-----"); name the key file`,
        );
      } else if (key !== undefined) tls.key = key;
      parts.push(`client certificate ${config.tlsCertFile}`);
    }
    tlsDescription = `TLS with ${parts.join(' and ')}`;
  }

  if (problems.length > 0) return { ok: false, problems };
  const options: NodeConnectionOptions = {
    ...BASE_CONNECT_OPTIONS,
    servers: [...config.servers],
    name: config.name,
  };
  if (authenticator !== undefined) options.authenticator = authenticator;
  if (tls !== undefined) options.tls = tls;
  return {
    ok: true,
    options,
    describe: `${redactServers(config.servers).join(', ')} (${auth}; ${tlsDescription})`,
  };
}

/** Server URLs for the log: credentials written into a URL (`nats://user:pass@host`) become `***`. */
export function redactServers(servers: readonly string[]): string[] {
  return servers.map((server) => server.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/\s]*@/i, '$1***@'));
}

/** Why a configured file cannot be read, and what to do about it. */
export function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'cannot read (ENOENT); check the path';
    case 'EACCES':
    case 'EPERM':
      return `cannot read (${code}); let the sidecar's user read the file`;
    case 'EISDIR':
      return 'cannot read (EISDIR): it is a directory; name the file';
    case undefined:
    default:
      return `cannot read (${code ?? errorMessage(error)}); check the path`;
  }
}

function findUserSeed(text: string): Uint8Array | undefined {
  for (const line of text.split(/\r?\n/)) {
    const candidate = line.trim();
    if (!candidate.startsWith('SU')) continue;
    const seed = new TextEncoder().encode(candidate);
    try {
      nkeys.fromSeed(seed);
      return seed;
    } catch {
      // not a valid seed; keep looking
    }
  }
  return undefined;
}

function credsParse(creds: Uint8Array): boolean {
  try {
    // The authenticator parses the file and derives the key pair; without a nonce it signs nothing.
    credsAuthenticator(creds)();
    return true;
  } catch {
    return false;
  }
}
