import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Lifecycle } from '../core/lifecycle.js';

/** A PEM certificate (chain) and its private key: the server listens with TLS. */
export interface TlsKeyPair {
  readonly cert: Uint8Array;
  readonly key: Uint8Array;
}

/**
 * A node:http server's life, shared by the sidecar's `/healthz`+`/metrics` and the aggregator's
 * API: listen on host:port (0 = any free port), over TLS when given a certificate and key, and
 * stop idempotently, also without start.
 */
export class HttpListener implements Lifecycle {
  private server: Server | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private boundPort: number | null = null;

  constructor(
    private readonly host: string,
    private readonly configuredPort: number,
    private readonly handler: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly tls: TlsKeyPair | null = null,
  ) {}

  /** The port listened on after start (the configured one before). */
  get port(): number {
    return this.boundPort ?? this.configuredPort;
  }

  /** `http(s)://host:port`, for logs and tests (IPv6 hosts in brackets). */
  get url(): string {
    const { host } = this;
    const scheme = this.tls === null ? 'http' : 'https';
    return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** Listens on host:port; rejects (with the address in the message) when it cannot. */
  start(): Promise<void> {
    if (this.stopping !== null) return Promise.resolve();
    this.starting ??= this.listen();
    return this.starting;
  }

  /**
   * Stops listening; idle keep-alive connections are closed at once, requests in progress (and
   * event streams) get until `deadline` (epoch ms) before their connections are cut.
   */
  stop(deadline: number): Promise<void> {
    this.stopping ??= this.close(deadline);
    return this.stopping;
  }

  private async listen(): Promise<void> {
    const { tls } = this;
    const server: Server =
      tls === null
        ? createServer(this.handler)
        : createTlsServer({ cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) }, this.handler);
    const { host, configuredPort: port } = this;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => {
        reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
      };
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  private async close(deadline: number): Promise<void> {
    // A start in progress finishes first, so that a socket bound late is closed too.
    await this.starting?.catch(() => undefined);
    const server = this.server;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now()));
    timer.unref();
    try {
      await closed;
    } finally {
      clearTimeout(timer);
    }
  }
}
