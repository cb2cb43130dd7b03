import { readFile as fsReadFile } from 'node:fs/promises';
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
  nkeyAuthenticator,
  nkeys,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import type { SidecarConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import { type NatsState, Wakeup } from './publisher.js';

/**
 * How the sidecar connects to NATS: the connect options built from `nats.*` (authentication by
 * token, user and password, NKey or .creds file; TLS with a CA and a client certificate), and
 * the one connection a publisher keeps, reconnecting forever.
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

function readProblem(error: unknown): string {
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
      return `cannot read (${code ?? (error instanceof Error ? error.message : String(error))}); check the path`;
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

export type ConnectFn = (options: NodeConnectionOptions) => Promise<NatsConnection>;

export interface NatsLinkOptions {
  /** Complete connect options (servers, name, auth, TLS, reconnect policy). */
  readonly options: NodeConnectionOptions;
  /** The connection for the log, without secrets. */
  readonly describe: string;
  readonly log: Logger;
  /** Records waiting, for the log lines. */
  readonly backlog: () => number;
  /** How long the first connection may take before "not reachable" is logged (once). */
  readonly unreachableLogAfterMs?: number;
  /** Longest pause between attempts when the server refuses the connection (e.g. wrong credentials). */
  readonly refusedRetryMaxMs?: number;
  readonly connect?: ConnectFn;
}

/** A refused connection is logged again at most this often while it keeps being refused. */
const REFUSED_LOG_INTERVAL_MS = 60_000;
/** The same asynchronous error from the server is logged again at most this often. */
const ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * The one NATS connection of a publisher. Connects with `waitOnFirstConnect` and reconnects
 * forever; when the client gives up on a connection for good (it does so after the server
 * refused the credentials twice), a new connection is made after a pause, so the sidecar
 * recovers once the credentials are fixed on either side. Each state change is logged once.
 * `generation` counts the connections made and re-made: a publisher redoes its per-connection
 * setup when it changes.
 */
export class NatsLink {
  private nc: NatsConnection | undefined;
  private _state: NatsState = 'connecting';
  private _generation = 0;
  private stopping = false;
  private running: Promise<void> | undefined;
  private readonly listeners: (() => void)[] = [];
  private connectedWaiters: (() => void)[] = [];
  private readonly pause = new Wakeup();
  private lastError: { message: string; at: number } | undefined;

  constructor(private readonly options: NatsLinkOptions) {}

  get state(): NatsState {
    return this._state;
  }

  /** The current connection; undefined before the first one. */
  get connection(): NatsConnection | undefined {
    return this.nc;
  }

  /** Bumped on every (re)connect; 0 before the first. */
  get generation(): number {
    return this._generation;
  }

  /** Called after every state change (connected, disconnected, closed, a new generation). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Resolves once connected, or once the link is closing. */
  whenConnected(): Promise<void> {
    if (this._state === 'connected' || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Drains the connection (until the deadline), then closes it. Idempotent; safe without start. */
  async close(deadline: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.pause.wake();
    this.wakeConnectedWaiters();
    const nc = this.nc;
    if (nc !== undefined && !nc.isClosed()) {
      await raceDeadline(
        nc.drain().catch(() => nc.close()),
        deadline,
      );
      if (!nc.isClosed()) await nc.close();
    }
    // A connect still pending (server unreachable) is not waited for: it closes itself on success.
    this.setState('closed');
  }

  /** A method, so that checks after an await are not narrowed away. */
  private isStopping(): boolean {
    return this.stopping;
  }

  private async run(): Promise<void> {
    const { log, describe } = this.options;
    const connectFn = this.options.connect ?? connect;
    const servers = redactServers(serverList(this.options.options));
    // The client's own waitOnFirstConnect retries silently: a wrong password or certificate
    // would look like an unreachable server. So each first-connect attempt is one pass over the
    // servers, and this loop retries, saying why. Once connected, the client reconnects itself.
    const options: NodeConnectionOptions = { ...this.options.options, waitOnFirstConnect: false };
    const waitMs = options.reconnectTimeWait ?? BASE_CONNECT_OPTIONS.reconnectTimeWait;
    const jitterMs = options.reconnectJitter ?? BASE_CONNECT_OPTIONS.reconnectJitter;
    log.info({ servers, connection: describe }, 'connecting to NATS');
    let lastFailure: string | undefined;
    let refusedLoggedAt: number | undefined;
    const unreachable = setTimeout(() => {
      if (refusedLoggedAt !== undefined) return;
      log.warn(
        { servers, reason: lastFailure, outboxDepth: this.options.backlog() },
        'NATS is not reachable yet; intake goes on, records wait in the outbox, connection retried forever',
      );
    }, this.options.unreachableLogAfterMs ?? 2_000);
    unreachable.unref();
    let failures = 0;
    try {
      while (!this.stopping) {
        let nc: NatsConnection;
        try {
          nc = await connectFn(options);
        } catch (error) {
          if (this.isStopping()) return;
          failures++;
          const message = errorMessage(error);
          const refusal = refusalKind(error);
          let retryMs = waitMs + Math.random() * jitterMs;
          if (refusal !== undefined) {
            retryMs = Math.min(
              this.options.refusedRetryMaxMs ?? 30_000,
              waitMs * 2 ** Math.min(failures - 1, 5),
            );
            const now = Date.now();
            if (
              refusedLoggedAt === undefined ||
              message !== lastFailure ||
              now - refusedLoggedAt >= REFUSED_LOG_INTERVAL_MS
            ) {
              refusedLoggedAt = now;
              log.error(
                {
                  error: safeError(error),
                  attempts: failures,
                  retryInMs: Math.round(retryMs),
                  connection: describe,
                },
                `NATS refused the connection (${message}); check the ${refusal === 'auth' ? 'credentials' : 'TLS settings'}; retrying`,
              );
            }
          } else {
            log.debug({ error: safeError(error), attempts: failures }, 'NATS connection attempt failed');
          }
          lastFailure = message;
          await this.pause.until(undefined, retryMs);
          continue;
        }
        clearTimeout(unreachable);
        if (this.isStopping()) {
          await nc.close();
          return;
        }
        if (refusedLoggedAt !== undefined) log.info({ attempts: failures }, 'NATS accepted the connection');
        failures = 0;
        refusedLoggedAt = undefined;
        lastFailure = undefined;
        const reconnected = this.nc !== undefined;
        this.nc = nc;
        this._generation++;
        this.setState('connected');
        log.info({ server: nc.getServer() }, reconnected ? 'connected to NATS again' : 'connected to NATS');
        const watching = this.watchStatus(nc);
        const closedWith = await nc.closed();
        await watching;
        if (this.isStopping()) return;
        log.warn(
          {
            error: closedWith instanceof Error ? safeError(closedWith) : undefined,
            backlog: this.options.backlog(),
          },
          'NATS closed the connection; connecting again',
        );
        this.setState('disconnected');
        await this.pause.until(undefined, waitMs);
      }
    } finally {
      clearTimeout(unreachable);
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    const { log, backlog } = this.options;
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
          if (this._state === 'connected') {
            this.setState('disconnected');
            log.warn(
              { server: status.server },
              'NATS connection lost; records wait in the outbox, reconnecting',
            );
          }
          break;
        case 'reconnect':
          log.info(
            { server: status.server, backlog: backlog() },
            'NATS connection back; publishing the backlog',
          );
          this._generation++;
          this.setState('connected');
          break;
        case 'error': {
          const message = errorMessage(status.error);
          const now = Date.now();
          if (
            this.lastError === undefined ||
            this.lastError.message !== message ||
            now - this.lastError.at >= ERROR_LOG_INTERVAL_MS
          ) {
            this.lastError = { message, at: now };
            log.error({ error: safeError(status.error) }, 'NATS reported an error');
          }
          break;
        }
        case 'close':
          return;
        case 'reconnecting':
        case 'update':
        case 'ldm':
        case 'ping':
        case 'staleConnection':
        case 'forceReconnect':
        case 'slowConsumer':
          break;
      }
    }
  }

  private setState(state: NatsState): void {
    this._state = state;
    if (state === 'connected' || state === 'closed') this.wakeConnectedWaiters();
    for (const listener of this.listeners) listener();
  }

  private wakeConnectedWaiters(): void {
    for (const wake of this.connectedWaiters.splice(0)) wake();
  }
}

/** Why a connection attempt failed, when it is not simply an unreachable server. */
function refusalKind(error: unknown): 'auth' | 'tls' | undefined {
  if (!(error instanceof Error)) return undefined;
  if (/Authorization|Authentication|Permissions/i.test(error.name)) return 'auth';
  if (/authorization violation|authentication/i.test(error.message)) return 'auth';
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    /^(ERR_TLS|ERR_SSL|UNABLE_TO|CERT_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code)
  )
    return 'tls';
  if (/\btls\b|certificate|ssl/i.test(error.message)) return 'tls';
  return undefined;
}

function serverList(options: NodeConnectionOptions): string[] {
  const { servers } = options;
  if (servers === undefined) return [];
  return typeof servers === 'string' ? [servers] : [...servers];
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error for the log: its class and message only (never options or auth details it might carry). */
function safeError(error: unknown): { type: string; message: string; code?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** Waits for `work` until the epoch-ms deadline at the latest. */
export async function raceDeadline(work: Promise<unknown>, deadline: number): Promise<void> {
  const ms = Math.max(0, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work.then(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
