// The real sidecar process (`node dist/cli/main.js run`), configured through the environment,
// started fresh for every phase that needs a clean state.
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { start, stop } from './processes.mjs';

const READY = 'sense-sidecar ready';
const TRIMMED = 'idle: heap trimmed';
const KEEP_LINES = 200;

/** Our own environment without SENSE_SIDECAR_* (an unknown one would stop the sidecar with exit 2). */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SENSE_SIDECAR_')));
}

export class Sidecar {
  /** Last log lines (parsed JSON where possible), for error messages. */
  tail = [];
  /** Lines that tell how it publishes, and warnings/errors (first ones), for the report. */
  notable = [];
  readyMs = null;
  stderr = '';
  /** Its idle heap trims (memory.idleTrimAfter), as logged: heapBeforeMb, heapAfterMb, ms. */
  trims = [];

  constructor(child, config) {
    this.child = child;
    this.config = config;
  }

  get pid() {
    return this.child.pid;
  }

  /**
   * Spawns the sidecar and resolves once it logged that it is ready; readyMs is spawn → that line.
   */
  static async start({
    cli,
    rulesDir,
    natsUrl,
    udpPort,
    dataDir,
    node = 'bench',
    env = {},
    execArgv = [],
    timeoutMs = 30_000,
  }) {
    const config = {
      SENSE_SIDECAR_NODE: node,
      SENSE_SIDECAR_UDP_PORT: String(udpPort),
      SENSE_SIDECAR_NATS_SERVERS: natsUrl,
      SENSE_SIDECAR_RULES_PATHS: rulesDir,
      SENSE_SIDECAR_DATA_DIR: dataDir,
      SENSE_SIDECAR_HTTP_PORT: '0',
      SENSE_SIDECAR_JETSTREAM_ENABLED: 'true',
      SENSE_SIDECAR_JETSTREAM_EVENTS_STREAM: 'SENSE_EVENTS',
      SENSE_SIDECAR_LOG_LEVEL: 'info',
      ...env,
    };
    mkdirSync(dataDir, { recursive: true });
    const began = performance.now();
    const child = start(process.execPath, [...execArgv, cli, 'run'], {
      cwd: dataDir,
      env: { ...cleanEnv(), ...config },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sidecar = new Sidecar(child, config);
    child.stderr.on('data', (chunk) => (sidecar.stderr = (sidecar.stderr + chunk.toString()).slice(-4_000)));
    await new Promise((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(() => {
        reject(new Error(`the sidecar was not ready after ${timeoutMs} ms\n${sidecar.describe()}`));
      }, timeoutMs);
      child.stdout.on('data', (chunk) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          const entry = sidecar.remember(line);
          if (entry.msg === READY && sidecar.readyMs === null) {
            sidecar.readyMs = performance.now() - began;
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`the sidecar exited (${code ?? signal}) before it was ready\n${sidecar.describe()}`),
        );
      });
    });
    return sidecar;
  }

  remember(line) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = { msg: line };
    }
    this.tail.push(entry);
    if (this.tail.length > KEEP_LINES) this.tail.shift();
    if (entry.msg === TRIMMED) this.trims.push(entry);
    const text = `${entry.msg ?? ''}`;
    // Alerts are the rules at work (the load trips some), not news about the sidecar.
    const alert = /^alert (firing|resolved)/.test(text);
    if (
      this.notable.length < 50 &&
      !alert &&
      (/jetstream|core nats|stream/i.test(text) || (entry.level ?? 0) >= 40)
    ) {
      this.notable.push({ level: entry.level, msg: text });
    }
    return entry;
  }

  describe() {
    const lines = this.tail.slice(-15).map((e) => `  log: ${e.msg ?? JSON.stringify(e)}`);
    if (this.stderr.trim() !== '') lines.push(`  stderr: ${this.stderr.trim().slice(-1_500)}`);
    return lines.join('\n');
  }

  /** Resolves with its next idle trim (logged) from now on, or null if none came within `timeoutMs`. */
  async nextTrim(timeoutMs) {
    const seen = this.trims.length;
    const deadline = performance.now() + timeoutMs;
    while (this.trims.length === seen && performance.now() < deadline && this.child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.trims[seen] ?? null;
  }

  /** SIGTERM (graceful: it publishes what is in flight and a last status), SIGKILL after 20 s. */
  async stop() {
    return stop(this.child, 20_000);
  }
}
