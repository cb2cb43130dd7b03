/**
 * The part every HTTP server of the project has in common: one HttpListener on host:port and
 * the Lifecycle around it (port and url after start, start, stop by deadline). The sidecar's
 * `/healthz`+`/metrics` and the aggregator's API differ only in how they answer a request, which
 * each subclass says in `handle`. A request is never handled before `start`, so a subclass's own
 * fields are set by then even though the listener is made in this constructor.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Lifecycle } from '../core/lifecycle.js';
import { HttpListener, type TlsKeyPair } from './http-listener.js';

export abstract class ListeningServer implements Lifecycle {
  private readonly listener: HttpListener;

  protected constructor(host: string, port: number, tls: TlsKeyPair | null = null) {
    this.listener = new HttpListener(host, port, (req, res) => this.handle(req, res), tls);
  }

  /** Answers one request; must not throw (errors become responses). */
  protected abstract handle(req: IncomingMessage, res: ServerResponse): void;

  /** The port listened on after start (the configured one before). */
  get port(): number {
    return this.listener.port;
  }

  /** `http(s)://host:port`, for logs and tests (IPv6 hosts in brackets). */
  get url(): string {
    return this.listener.url;
  }

  /** Listens on host:port; rejects (with the address in the message) when it cannot. */
  start(): Promise<void> {
    return this.listener.start();
  }

  /**
   * Stops listening; idle keep-alive connections are closed at once, requests in progress (and
   * event streams) get until `deadline` (epoch ms) before their connections are cut. Idempotent,
   * safe without start.
   */
  stop(deadline: number): Promise<void> {
    return this.listener.stop(deadline);
  }
}
