import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/core/node-flags.js';
import { waitFor } from './wait.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** A release executable to run instead of `node dist/cli/main.js`, with exactly this environment. */
export interface Executable {
  readonly path: string;
  readonly env: Record<string, string>;
  /** Arguments before the command's own (`ip netns exec <ns> node main.js` runs it in a netns). */
  readonly args?: readonly string[];
}

/**
 * The real `sense-sidecar run` process, built to dist/, with a config file written for the test,
 * started with the Node.js flags its launchers pass.
 */
export class SidecarProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  private exit: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ msg: line });
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(configYaml: string, env: Record<string, string> = {}): Promise<SidecarProcess> {
    return SidecarProcess.startCommand('run', configYaml, env);
  }

  /**
   * Any long-running command of the CLI (`run`, `aggregate`) with a config file, once it logged
   * `sense-sidecar ready` or `sense-aggregator ready`.
   */
  static async startCommand(
    command: 'run' | 'aggregate',
    configYaml: string,
    env: Record<string, string> = {},
    executable?: Executable,
  ): Promise<SidecarProcess> {
    const dir = mkdtempSync(join(tmpdir(), command === 'run' ? 'sense-sidecar-' : 'sense-aggregator-'));
    const configPath = join(dir, command === 'run' ? 'sidecar.yaml' : 'aggregator.yaml');
    writeFileSync(configPath, configYaml);
    const args = [command, '--config', configPath];
    const child =
      executable === undefined
        ? spawn(process.execPath, [...NODE_FLAGS, CLI, ...args], {
            cwd: dir,
            env: { ...process.env, ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          })
        : spawn(executable.path, [...(executable.args ?? []), ...args], {
            cwd: dir,
            env: executable.env,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
    const sidecar = new SidecarProcess(child, dir);
    const ready = command === 'run' ? 'sense-sidecar ready' : 'sense-aggregator ready';
    await sidecar.waitForLog((l) => l.msg === ready, `${ready} from "${command}"`);
    return sidecar;
  }

  /**
   * Base URL of the process's HTTP endpoint (`http://127.0.0.1:<port>`), from the ready line
   * that `startCommand` waited for.
   */
  get httpUrl(): string {
    const ready = this.logs.find(
      (l) => l.msg === 'sense-sidecar ready' || l.msg === 'sense-aggregator ready',
    );
    const url = ready?.['http'];
    if (typeof url !== 'string') throw new Error('the process has not logged its HTTP address');
    return url;
  }

  /** The kernel's high-water mark of the process's RSS (VmHWM), in bytes: its peak so far. */
  peakRssBytes(): number {
    const status = readFileSync(`/proc/${String(this.child.pid)}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    if (kb === undefined) throw new Error('no VmHWM in /proc/<pid>/status');
    return Number(kb) * 1024;
  }

  /** `/healthz`'s status: ok, degraded or unhealthy. */
  async health(): Promise<string> {
    const res = await fetch(`${this.httpUrl}/healthz`);
    return ((await res.json()) as { status: string }).status;
  }

  async waitForLog(
    predicate: (line: LogLine) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<LogLine> {
    return waitFor(
      () => {
        const line = this.logs.find(predicate);
        if (line !== undefined) return line;
        if (this.child.exitCode !== null)
          throw new Error(`sidecar exited (${this.child.exitCode}): ${this.stderr}`);
        return undefined;
      },
      what,
      timeoutMs,
    );
  }

  /** Sends a signal without waiting for an exit (e.g. SIGHUP to reload rules). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends the signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    const code = await this.exit;
    rmSync(this.dir, { recursive: true, force: true });
    return code;
  }
}
