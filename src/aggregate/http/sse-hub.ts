import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';
import { UpdateCoalescer } from './update-coalescer.js';

/**
 * `GET /api/stream`: server-sent events for the live page. Each client gets an `update` event
 * with the current snapshot when it connects, then one whenever the view changed (coalesced:
 * at most one per `minIntervalMs`), and a comment line every `heartbeatMs` so proxies keep the
 * connection open. The snapshot is serialised once per update for all clients.
 *
 * Bounded: at most `maxClients` (more get 503, counted); a client that does not read (more than
 * `maxBufferedBytes` waiting in its socket) is disconnected (counted).
 */

export interface SseHubOptions {
  readonly maxClients: number;
  readonly clock: Clock;
  /** The `data` of an update event: one JSON document. */
  readonly snapshot: () => unknown;
  readonly minIntervalMs?: number;
  readonly heartbeatMs?: number;
  readonly maxBufferedBytes?: number;
}

export interface SseStats {
  readonly clients: number;
  readonly refused: number;
  readonly slowDisconnected: number;
  readonly updates: number;
}

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly coalescer: UpdateCoalescer;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private stopped = false;
  private refused = 0;
  private slowDisconnected = 0;
  private updates = 0;

  constructor(private readonly options: SseHubOptions) {
    this.coalescer = new UpdateCoalescer(options.minIntervalMs ?? 250);
  }

  stats(): SseStats {
    return {
      clients: this.clients.size,
      refused: this.refused,
      slowDisconnected: this.slowDisconnected,
      updates: this.updates,
    };
  }

  /** Takes the request over as an event stream; false (nothing written) when full or stopped. */
  attach(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.stopped || this.clients.size >= this.options.maxClients) {
      this.refused += 1;
      return false;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    const gone = (): void => {
      this.clients.delete(res);
    };
    req.on('close', gone);
    res.on('error', gone);
    this.write(res, this.frame());
    this.heartbeat ??= setInterval(() => {
      this.broadcast(': heartbeat\n\n');
    }, this.options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    return true;
  }

  /** The view changed: schedule an update (coalesced). */
  notify(): void {
    if (this.stopped || this.clients.size === 0) return;
    const delay = this.coalescer.changed(this.options.clock.now());
    if (delay === null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.coalescer.take(this.options.clock.now())) this.broadcast(this.frame());
    }, delay);
    this.timer.unref();
  }

  /** Ends every stream. Idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.timer = null;
    this.heartbeat = null;
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private frame(): string {
    this.updates += 1;
    return `event: update\ndata: ${JSON.stringify(this.options.snapshot())}\n\n`;
  }

  private broadcast(text: string): void {
    for (const res of this.clients) this.write(res, text);
    if (this.clients.size === 0 && this.heartbeat !== null) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  private write(res: ServerResponse, text: string): void {
    if (res.writableLength > (this.options.maxBufferedBytes ?? 1024 * 1024)) {
      this.slowDisconnected += 1;
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  }
}
