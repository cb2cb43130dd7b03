import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  /** What the server answered; 0 while held (no answer). */
  readonly status: number;
}

/**
 * A real HTTP receiver on loopback that records every request and answers as told: 200, a
 * status with an optional Retry-After, no answer at all (`hold`: the request stays open), or
 * nothing listening (closed: connection refused on its port).
 */
export class RecordingHttpServer {
  readonly requests: RecordedRequest[] = [];
  private answer: { status: number | 'hold'; retryAfter?: string } = { status: 200 };
  private server: Server | null = null;

  private constructor(private portNumber: number) {}

  static async start(): Promise<RecordingHttpServer> {
    const s = new RecordingHttpServer(0);
    await s.open();
    return s;
  }

  get port(): number {
    return this.portNumber;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.portNumber}${path}`;
  }

  /** What the next requests get. */
  answerWith(status: number | 'hold', retryAfter?: string): void {
    this.answer = retryAfter === undefined ? { status } : { status, retryAfter };
  }

  /** Requests answered 2xx, for one path. */
  accepted(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && r.status >= 200 && r.status < 300);
  }

  /** Listens (again) on the same port. */
  async open(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // kept as text
        }
        const { status, retryAfter } = this.answer;
        if (status === 'hold') {
          this.requests.push({ path: req.url ?? '', headers: req.headers, body, status: 0 });
          return;
        }
        this.requests.push({ path: req.url ?? '', headers: req.headers, body, status });
        res.writeHead(status, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
        res.end(status < 300 ? 'ok' : 'not now');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => resolve());
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: connections to the port are refused until open(). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
