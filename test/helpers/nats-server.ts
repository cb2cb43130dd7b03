import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './ports.js';
import { waitFor } from './wait.js';

export function natsServerBinary(): string {
  const fromEnv = process.env['NATS_SERVER_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    // Debian installs it in /usr/sbin, which is not on every user's PATH.
    for (const candidate of ['/usr/sbin/nats-server', '/usr/local/bin/nats-server']) {
      if (existsSync(candidate)) return candidate;
    }
    throw new Error(
      'nats-server is not installed: run "apt-get install -y nats-server" (or set NATS_SERVER_BIN)',
    );
  }
}

/** Whether something accepts TCP connections on host:port now. */
export function accepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export interface NatsServerOptions {
  jetstream?: boolean;
  /**
   * Text of a nats-server configuration file (authorization, tls, …), written into the server's
   * temp dir. Address, port and JetStream still come from the command line.
   */
  config?: string;
  /** Address to listen on (default 127.0.0.1), e.g. the root side of a test's veth pair. */
  host?: string;
}

/** A real nats-server on a free loopback port, JetStream optional, state in a temp dir. */
export class NatsServer {
  private process: ChildProcess | undefined;
  private readonly storeDir: string;
  private readonly configFile: string | undefined;

  private constructor(
    readonly port: number,
    private readonly jetstream: boolean,
    config: string | undefined,
    readonly host: string,
  ) {
    this.storeDir = mkdtempSync(join(tmpdir(), 'sense-nats-'));
    if (config !== undefined) {
      this.configFile = join(this.storeDir, 'nats-server.conf');
      writeFileSync(this.configFile, config);
    }
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    return NatsServer.startOnPort(await freeTcpPort(), options);
  }

  static async startOnPort(port: number, options: NatsServerOptions = {}): Promise<NatsServer> {
    const server = new NatsServer(
      port,
      options.jetstream ?? false,
      options.config,
      options.host ?? '127.0.0.1',
    );
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `nats://${this.host}:${this.port}`;
  }

  /** The same server as a tls:// URL (for a config with a tls block). */
  get tlsUrl(): string {
    return `tls://${this.host}:${this.port}`;
  }

  /** The server's temp dir (JetStream store, config file); removed by stop(). */
  get dir(): string {
    return this.storeDir;
  }

  async startProcess(): Promise<void> {
    const args = ['-a', this.host, '-p', String(this.port)];
    if (this.configFile !== undefined) args.push('-c', this.configFile);
    if (this.jetstream) args.push('-js', '-sd', this.storeDir);
    const child = spawn(natsServerBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.process = child;
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`nats-server exited: ${output}`);
      return accepts(this.port, this.host);
    }, `nats-server on port ${this.port}`);
  }

  /** Sends a signal to the running server without waiting (SIGSTOP freezes it, SIGCONT thaws it). */
  signal(signal: NodeJS.Signals): void {
    this.process?.kill(signal);
  }

  /** Kills the server (SIGKILL by default; SIGTERM lets it shut down cleanly, flushing its store). */
  async stopProcess(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.stopProcess();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
