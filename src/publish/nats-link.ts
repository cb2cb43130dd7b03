import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.js';
import { errorMessage } from './error-message.js';
import { BASE_CONNECT_OPTIONS, redactServers } from './nats-connection.js';
import { type NatsState, Wakeup } from './publisher.js';
import { raceDeadline } from '../core/race-deadline.js';

/**
 * The one NATS connection a publisher (or the aggregator's intake) keeps, reconnecting forever,
 * with each state change logged once. Connect options come ready-made (`nats-connection.ts`);
 * this file never builds or logs them, so secrets in them stay out of the log: errors are
 * logged as their class and message only (`safeError`).
 */

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
