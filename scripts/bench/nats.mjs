// nats-server with JetStream in a temp directory, and what the benchmark reads from it: a core
// subscriber that counts the sidecar's events (and their latency), and the stream's own count.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { nowMicros, stampOf } from './datagrams.mjs';
import { start } from './processes.mjs';

export function natsServerVersion(bin) {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^nats-server:\s*/, '');
  } catch {
    return 'unknown';
  }
}

/** Starts nats-server -js on `port` with its store under `dir`; resolves once a client connects. */
export async function startNatsServer(bin, port, dir) {
  const child = start(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'nats')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output = (output + chunk.toString()).slice(-4_000)));
  const url = `nats://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode}): ${output}`);
    try {
      const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      const jsm = await jetstreamManager(nc);
      return { child, url, nc, jsm };
    } catch (error) {
      if (attempt > 100)
        throw new Error(`nats-server did not come up on ${url}: ${output}`, { cause: error });
      await delay(100);
    }
  }
}

/**
 * Events of the stream (subjects under `filter`), or null when the stream does not exist: the
 * sidecar then publishes with core NATS.
 */
export async function streamEvents(jsm, stream, filter) {
  try {
    const info = await jsm.streams.info(stream, { subjects_filter: filter });
    const subjects = info.state.subjects;
    if (subjects === undefined) return info.state.messages;
    return Object.values(subjects).reduce((sum, n) => sum + n, 0);
  } catch {
    return null;
  }
}

export async function purgeStream(jsm, stream) {
  try {
    await jsm.streams.purge(stream);
  } catch {
    // no stream: nothing to purge
  }
}

/**
 * Counts what the sidecar publishes on `<prefix>.events.>` with a core subscription, and keeps
 * the send→receive latency of every stamped message (µs) and the last status message.
 */
export class EventCounter {
  count = 0;
  bytes = 0;
  /** Machine-wide monotonic µs of the last event received (0 = none yet). */
  lastAt = 0;
  latencies = [];
  status = null;

  constructor(nc, prefix = 'sense') {
    this.nc = nc;
    this.events = nc.subscribe(`${prefix}.events.>`, {
      callback: (_error, msg) => {
        const at = nowMicros();
        this.count++;
        this.bytes += msg.data.length;
        this.lastAt = at;
        const sent = stampOf(msg.string());
        if (sent > 0) this.latencies.push(at - sent);
      },
    });
    this.statuses = nc.subscribe(`${prefix}.status.>`, {
      callback: (_error, msg) => {
        try {
          const body = msg.json();
          if (body?.type === 'sense.status') this.status = body.data;
        } catch {
          // not JSON: not ours
        }
      },
    });
  }

  /** Forget what was counted so far (after a warm-up). */
  reset() {
    this.count = 0;
    this.bytes = 0;
    this.lastAt = 0;
    this.latencies = [];
  }

  async ready() {
    await this.nc.flush();
  }

  close() {
    this.events.unsubscribe();
    this.statuses.unsubscribe();
  }
}

/** Counts the client's slow-consumer notices (messages it had to drop) into `counts.slowConsumer`. */
export function watchSlowConsumers(nc, counts) {
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'slowConsumer') counts.slowConsumer++;
  })().catch(() => {});
}

/**
 * Polls `read()` (a list of counts) until every count reached `target`, or none grew for
 * `settleMs`, or `deadlineMs` passed. Returns the last reading and whether it was complete.
 */
export async function settle(read, target, { settleMs, deadlineMs, intervalMs = 100 }) {
  const began = performance.now();
  let last = await read();
  let lastChange = performance.now();
  for (;;) {
    const counts = last.filter((n) => n !== null);
    if (counts.every((n) => n >= target)) return { counts: last, complete: true };
    const now = performance.now();
    if (now - lastChange >= settleMs || now - began >= deadlineMs) return { counts: last, complete: false };
    await delay(intervalMs);
    const next = await read();
    if (next.some((n, i) => n !== last[i])) lastChange = performance.now();
    last = next;
  }
}

/** p50/p99/max in milliseconds of latencies in µs; null without samples. */
export function latencySummary(latencies) {
  if (latencies.length === 0) return null;
  const sorted = Float64Array.from(latencies).sort();
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1000;
  return {
    samples: sorted.length,
    p50Ms: round(pick(0.5), 3),
    p99Ms: round(pick(0.99), 3),
    maxMs: round(sorted[sorted.length - 1] / 1000, 3),
  };
}

export function round(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
