import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './ports.js';
import { SidecarProcess } from './sidecar-process.js';

/** The real `sense-sidecar aggregate` process on a free port, with a data dir that outlives restarts. */
export class AggregatorUnderTest {
  private process: SidecarProcess | null = null;

  private constructor(
    readonly natsUrl: string,
    readonly consumer: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly extra: readonly string[],
    private readonly env: Record<string, string>,
  ) {}

  static async create(
    natsUrl: string,
    consumer: string,
    extra: readonly string[] = [],
    env: Record<string, string> = {},
  ): Promise<AggregatorUnderTest> {
    const dataDir = mkdtempSync(join(tmpdir(), 'sense-agg-data-'));
    return new AggregatorUnderTest(natsUrl, consumer, await freeTcpPort(), dataDir, extra, env);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logs(): SidecarProcess['logs'] {
    return this.process?.logs ?? [];
  }

  async start(): Promise<void> {
    const config = [
      `nats: {servers: [${this.natsUrl}]}`,
      `consumer: {name: ${this.consumer}}`,
      `http: {port: ${this.port}}`,
      `dataDir: ${this.dataDir}`,
      ...this.extra,
    ].join('\n');
    this.process = await SidecarProcess.startCommand('aggregate', config, this.env);
  }

  /** Sends a signal without waiting for an exit (SIGHUP: load the cluster rules again). */
  signal(signal: NodeJS.Signals): void {
    this.running().signal(signal);
  }

  waitForLog(...args: Parameters<SidecarProcess['waitForLog']>): ReturnType<SidecarProcess['waitForLog']> {
    return this.running().waitForLog(...args);
  }

  private running(): SidecarProcess {
    if (this.process === null) throw new Error('the aggregator is not running');
    return this.process;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const p = this.process;
    this.process = null;
    return p === null ? null : p.stop(signal);
  }

  /** The body parsed when it is JSON; `T` is what the caller expects it to be (unchecked). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape
  async get<T = unknown>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}${path}`);
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, body: (type.includes('json') ? JSON.parse(text) : text) as T };
  }

  async metrics(): Promise<string> {
    return (await this.get<string>('/metrics')).body;
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
