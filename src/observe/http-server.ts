import type { IncomingMessage, ServerResponse } from 'node:http';
import { healthOf, httpStatusOf, type HealthInputs } from './health.js';
import { ListeningServer } from './listening-server.js';

/**
 * `/healthz` and `/metrics` over plain node:http, on a loopback port by default (`http.host`,
 * `http.port`). GET and HEAD only (405 with `Allow` otherwise), 404 for any other path; the
 * query string is ignored.
 *
 * Nothing here can hold up the pipeline: health is a few reads, and metrics rendering is
 * asynchronous (prom-client reads the sidecar's counters in one synchronous pass, then formats).
 * Scrapes that arrive while one is being rendered share that rendering.
 */

export interface ObserveServerOptions {
  readonly host: string;
  /** 0 = any free port; `port` tells which after start. */
  readonly port: number;
  /** createSidecarMetrics() output, or anything with the same shape. */
  readonly metrics: { readonly registry: { readonly contentType: string }; render(): Promise<string> };
  /** Readings for healthOf, taken at each request. */
  readonly health: () => HealthInputs;
  /** Told when a request fails inside the server (rendering threw); optional. */
  readonly log?: { warn(object: object, message: string): void };
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const ALLOWED_METHODS = 'GET, HEAD';

export class ObserveServer extends ListeningServer {
  private rendering: Promise<string> | null = null;
  private scrapes = 0;

  constructor(private readonly options: ObserveServerOptions) {
    super(options.host, options.port);
  }

  protected handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    const route = path === '/healthz' ? 'health' : path === '/metrics' ? 'metrics' : null;
    if (route === null) {
      send(res, 404, TEXT_TYPE, 'not found: try /healthz or /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', ALLOWED_METHODS);
      send(res, 405, TEXT_TYPE, `method ${req.method ?? ''} not allowed: use GET\n`);
      return;
    }
    if (route === 'health') this.health(res);
    else void this.metrics(res);
  }

  private health(res: ServerResponse): void {
    let body: string;
    let status: number;
    try {
      const report = healthOf(this.options.health());
      status = httpStatusOf(report.status);
      body = JSON.stringify(report) + '\n';
    } catch (error) {
      this.options.log?.warn({ err: error }, 'health check failed');
      send(res, 500, JSON_TYPE, JSON.stringify({ status: 'unhealthy', error: message(error) }) + '\n');
      return;
    }
    send(res, status, JSON_TYPE, body);
  }

  /** `/metrics` requests received so far (each one is answered, shared rendering or not). */
  get scrapesReceived(): number {
    return this.scrapes;
  }

  private async metrics(res: ServerResponse): Promise<void> {
    this.scrapes += 1;
    try {
      const text = await this.render();
      send(res, 200, this.options.metrics.registry.contentType, text);
    } catch (error) {
      this.options.log?.warn({ err: error }, 'metrics rendering failed');
      send(res, 500, TEXT_TYPE, `metrics rendering failed: ${message(error)}\n`);
    }
  }

  /** One rendering at a time; requests that arrive meanwhile get the same text. */
  private render(): Promise<string> {
    if (this.rendering === null) {
      const rendering = this.options.metrics.render().finally(() => {
        if (this.rendering === rendering) this.rendering = null;
      });
      this.rendering = rendering;
    }
    return this.rendering;
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
