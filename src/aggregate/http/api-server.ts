import { authorized, type HttpAccess } from './access.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ListeningServer } from '../../observe/listening-server.js';

/**
 * The aggregator's HTTP server: node:http with a route table. A route is a path pattern
 * (`/api/users/:user/history`: `:name` matches one URL-decoded segment) and a handler that
 * returns a reply, or `'taken'` when it wrote the response itself (server-sent events). Only
 * GET and HEAD (405 otherwise); unknown paths get a JSON 404 listing the routes. New pages are
 * one `route()` call at the composition root (`Aggregator.route`); the same path replaces.
 */

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** More response headers (the live page's Content-Security-Policy); `Cache-Control: no-store` is always set. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteContext {
  readonly url: URL;
  /** The `:name` segments of the path, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

export type RouteHandler = (context: RouteContext) => Reply | 'taken' | Promise<Reply | 'taken'>;

export interface Route {
  /** `/api/now`, `/api/users/:user/history`, `/`. */
  readonly path: string;
  readonly handle: RouteHandler;
}

export interface ApiServerOptions {
  readonly host: string;
  /** 0 = any free port; `port` tells which after start. */
  readonly port: number;
  readonly log?: { warn(object: object, message: string): void };
  /** Token and TLS (access.ts); none: open, on loopback only. */
  readonly access?: HttpAccess;
}

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';
export const HTML_TYPE = 'text/html; charset=utf-8';

export function json(status: number, body: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: `${JSON.stringify(body)}\n` };
}

/** A 400 with `{"error": "<what to change>"}`. */
export function badRequest(error: string): Reply {
  return json(400, { error });
}

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
}

export class ApiServer extends ListeningServer {
  private readonly routes: CompiledRoute[] = [];

  constructor(private readonly options: ApiServerOptions) {
    super(options.host, options.port, options.access?.tls ?? null);
  }

  /**
   * Adds a route (before or after start). A route for a path already in the table replaces it
   * (so the live page can take `/` from the index); otherwise the first matching pattern wins.
   */
  route(route: Route): this {
    const compiled = { route, segments: route.path.split('/').slice(1) };
    const at = this.routes.findIndex((r) => r.route.path === route.path);
    if (at >= 0) this.routes[at] = compiled;
    else this.routes.push(compiled);
    return this;
  }

  protected handle(req: IncomingMessage, res: ServerResponse): void {
    void this.answer(req, res);
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      send(res, req, badRequest('malformed request URL'));
      return;
    }
    const token = this.options.access?.token ?? null;
    if (token !== null && url.pathname !== '/healthz' && !authorized(req.headers.authorization, token)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="sense-aggregator", charset="UTF-8"');
      send(
        res,
        req,
        json(401, {
          error: 'authentication required: Bearer <token>, or Basic with the token as the password',
        }),
      );
      return;
    }
    const found = this.match(url.pathname);
    if (found === null) {
      send(
        res,
        req,
        json(404, { error: `no such path: ${url.pathname}`, paths: this.routes.map((r) => r.route.path) }),
      );
      return;
    }
    if ('error' in found) {
      send(res, req, badRequest(found.error));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, req, json(405, { error: `method ${req.method ?? ''} not allowed: use GET` }));
      return;
    }
    try {
      const reply = await found.route.handle({ url, params: found.params, req, res });
      if (reply !== 'taken') send(res, req, reply);
    } catch (error) {
      this.options.log?.warn({ err: error, path: url.pathname }, 'request failed');
      send(res, req, json(500, { error: error instanceof Error ? error.message : String(error) }));
    }
  }

  private match(path: string): { route: Route; params: Record<string, string> } | { error: string } | null {
    const segments = path.split('/').slice(1);
    for (const { route, segments: pattern } of this.routes) {
      if (pattern.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < pattern.length && ok; i++) {
        const want = pattern[i] ?? '';
        const got = segments[i] ?? '';
        if (want.startsWith(':')) {
          try {
            params[want.slice(1)] = decodeURIComponent(got);
          } catch {
            return { error: `${want.slice(1)}: malformed URL encoding in "${got}"` };
          }
          ok = got !== '';
        } else {
          ok = want === got;
        }
      }
      if (ok) return { route, params };
    }
    return null;
  }
}

function send(res: ServerResponse, req: IncomingMessage, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.setHeader('Content-Type', reply.contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(reply.body));
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}
