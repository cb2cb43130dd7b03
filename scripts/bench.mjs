// `npm run bench`: the whole sidecar against its ceilings, in one run on one machine. Starts a
// real nats-server with JetStream in a temp directory and the real sidecar process (built dist/,
// the shipped rules), and measures:
//   1. ceilings: a bare UDP receiver and a bare JetStream publisher, same Node.js, same run;
//   2. sustained: the highest paced rate the sidecar holds for --duration with zero loss;
//   3. bursts: --burst datagrams at 100,000/s and as fast as one sender can;
//   4. latency from datagram sent to event received on NATS at 1,000/s;
//   5. footprint: RSS idle and at the sustained rate, start → ready;
//   0. a quiet node: wake-ups, CPU and RSS idle and at 5 and 100 events/s, beside the floor (a
//      bare socket that only counts datagrams), and the same with intake batching off, with a
//      longer quiet batch, and with the quiet-node settings (whose paced burst is measured too).
// Every phase that needs a clean state gets a fresh sidecar, warmed up first (--warm-up) so that
// the figures are not about JIT compilation; the warm-up is left out of every count.
// Prints a table on stdout (progress on stderr) and writes everything as JSON (--out).
//   npm run bench [-- --duration 30 --rates 5000,10000,20000 --burst 50000 --out bench-results.json]
//   npm run bench -- --smoke      # a few seconds of everything (CI)
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { copyFileSync, cpSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureNatsServer, ensureNodeModules, ROOT } from './lib/setup.mjs';

const USAGE = `npm run bench [-- options]

Measures the sidecar (decode, state, the shipped rules, outbox, NATS/JetStream) against a bare
UDP receiver and a bare JetStream publisher on this machine, and prints a table.

  --duration S   seconds per sustained rate step and for CPU at 100/s (default 30)
  --rates LIST   sustained rate steps, events/s (default 1000,2500,5000,10000,12500,15000,20000,30000,40000);
                 stepping stops at the first rate that is not held
  --burst N      datagrams per burst (default 50000)
  --users N      distinct users in the load (default 5000)
  --warm-up N    datagrams at 1,000/s each fresh sidecar gets before it is measured, not counted
                 (default 3000; 0 measures cold starts, JIT compilation included)
  --out FILE     JSON results (default bench-results.json)
  --smoke        everything small: a run of well under a minute (CI keeps the script working)
  --help`;

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    rates: { type: 'string' },
    burst: { type: 'string' },
    users: { type: 'string' },
    'warm-up': { type: 'string' },
    out: { type: 'string', default: 'bench-results.json' },
    smoke: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const PROFILE = values.smoke
  ? {
      duration: 2,
      rates: '500,1000',
      burst: 2_000,
      udpFlood: 20_000,
      jsCount: 5_000,
      latencySeconds: 2,
      warmUp: 500,
      quiet: { settleSeconds: 1, goingQuietSeconds: 1, idleSeconds: 2, rateSeconds: 2 },
      // memory.idleTrimAfter for the runs that wait for the idle trim (null: the default, 60 s)
      trimAfterSeconds: 1,
      ceilingSeconds: 1,
      settleMs: 1_000,
      progressMs: 1_000,
    }
  : {
      duration: 30,
      rates: '1000,2500,5000,10000,12500,15000,20000,30000,40000',
      burst: 50_000,
      udpFlood: 200_000,
      jsCount: 100_000,
      latencySeconds: 10,
      warmUp: 3_000,
      // goingQuietSeconds: one state.snapshotInterval (30 s by default), so that the write of the
      // state the warm-up left falls in it and not in the steady idle after it.
      quiet: { settleSeconds: 5, goingQuietSeconds: 30, idleSeconds: 20, rateSeconds: 20 },
      trimAfterSeconds: null,
      ceilingSeconds: 5,
      settleMs: 2_000,
      progressMs: 5_000,
    };

function positive(name, text, { zero = false } = {}) {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero)) {
    process.stderr.write(
      `--${name} must be a ${zero ? 'non-negative' : 'positive'} number (got "${text}")\n\n${USAGE}\n`,
    );
    process.exit(2);
  }
  return n;
}

const options = {
  duration: positive('duration', values.duration ?? PROFILE.duration),
  rates: (values.rates ?? PROFILE.rates)
    .split(',')
    .map((r) => positive('rates', r.trim()))
    .sort((a, b) => a - b),
  burst: Math.round(positive('burst', values.burst ?? PROFILE.burst)),
  users: Math.round(positive('users', values.users ?? 5_000)),
  warmUp: Math.round(positive('warm-up', values['warm-up'] ?? PROFILE.warmUp, { zero: true })),
  out: resolve(values.out),
  smoke: values.smoke,
};
/** The receive buffer of the floor's sockets (bare, with the libraries, durable). */
const FLOOR_RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;
const BURST_RATE = 100_000;
const LATENCY_RATE = 1_000;
const WARM_UP_RATE = 1_000;
/** Intake batching off (each datagram handed over at once), measured beside the defaults. */
const BATCHING = { datagrams: 1, waitMs: 0 };
/** The longer quiet batch an operator may pick (`intake.batchWait`), measured beside the defaults. */
const LONG_WAIT = { waitMs: 5_000 };
/**
 * The quiet-node settings an operator may pick (README: A quiet node): the socket on the main
 * thread and the longer quiet batch. Measured on the quiet node and in the paced burst, which is
 * what the reader thread is there for.
 */
const QUIET_SETTINGS = { readerThread: false, waitMs: 5_000 };
const QUIET_SETTINGS_ENV = {
  SENSE_SIDECAR_INTAKE_READER_THREAD: String(QUIET_SETTINGS.readerThread),
  SENSE_SIDECAR_INTAKE_BATCH_WAIT: `${QUIET_SETTINGS.waitMs}ms`,
};
/** A run's latency when it delivered nothing to measure. */
const NO_LATENCY = { samples: 0, p50Ms: null, p99Ms: null, maxMs: null };
const JS_WINDOW = 1_000;
const EVENTS_STREAM = 'SENSE_EVENTS';
/** A step is held when nothing is lost and the last event arrives this soon after the last datagram. */
const MAX_CATCH_UP_MS = 1_000;
const TARGETS = {
  sustainedEventsPerSecond: 10_000,
  sustainedShareOfCeiling: 0.5,
  burstReceivedShare: 0.99,
  latencyP99Ms: 10,
  readyMs: 1_000,
  // A quiet node, against the floor measured in the same run.
  idleWakeupsPerSecond: 2,
  idleCpuPercent: 0.1,
  cpuAt5OverFloor: 2,
  cpuAt100OverFloor: 3,
  idleRssOverFloor: 1.5,
};

function progress(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

ensureNodeModules();
const natsBin = ensureNatsServer();
warnIfDistIsStale();
const processes = await import('./bench/processes.mjs');
const { cpuMeter, cpuSeconds, memory, procAvailable } = await import('./bench/proc.mjs');
const nats = await import('./bench/nats.mjs');
const { Sidecar } = await import('./bench/sidecar.mjs');
const report = await import('./bench/report.mjs');
const quiet = await import('./bench/quiet-node.mjs');
const { averageEventBytes } = await import('./bench/message-size.mjs');
const { readKernelUdpDrops } = await import('../dist/ingest/kernel-udp-drops.js');
// The sidecar is started as its launchers start it (the executable, the service, npx).
const { NODE_FLAGS } = await import('../dist/core/node-flags.js');
// memory.idleTrimAfter's default, which the full run leaves as it is.
const DEFAULT_TRIM_AFTER_SECONDS =
  (await import('../dist/config/schema.js')).KEYS.memoryIdleTrimAfter.default() / 1000;
const HERE = fileURLToPath(new URL('./bench/', import.meta.url));

// `npm run bench | head`: a reader that goes away is not an error of the benchmark.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});

let interrupted = false;
processes.installCleanup((signal) => {
  interrupted = true;
  progress(`${signal}: stopping everything it started`);
});

/** The benchmark runs the built dist/: say so when src/ changed after the last build. */
function warnIfDistIsStale() {
  const newest = (dir) =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .reduce((max, e) => Math.max(max, statSync(join(e.parentPath, e.name)).mtimeMs), 0);
  try {
    if (newest(join(ROOT, 'src')) > statSync(join(ROOT, 'dist/cli/main.js')).mtimeMs) {
      progress(
        'warning: src/ changed after the last build; this measures dist/ as built (npm run build first)',
      );
    }
  } catch {
    // no src/ (an installed package): nothing to compare
  }
}

/** The commit measured and how many files differ from it (null outside a git checkout). */
function gitState() {
  try {
    const git = (...args) =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const changed = git('status', '--porcelain')
      .split('\n')
      .filter((l) => l.trim() !== '').length;
    return { commit: git('rev-parse', 'HEAD').trim(), changedFiles: changed };
  } catch {
    return null;
  }
}

async function freePort(kind) {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise((r) => socket.bind(0, '127.0.0.1', r));
    const { port } = socket.address();
    await new Promise((r) => socket.close(r));
    return port;
  }
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Runs the sender child: `count` datagrams at `rate` (0 = as fast as it can) to `port`.
 * `onStart` runs when it begins sending (after its warm-up), `onProgress` with the count sent.
 */
function send(port, count, rate, { onStart = () => {}, onProgress = () => {}, seed = 7 } = {}) {
  const child = processes.startHelper(join(HERE, 'sender.mjs'), [
    JSON.stringify({ port, count, rate, users: options.users, seed, dist: distDir }),
  ]);
  return new Promise((resolveSend, reject) => {
    let done = null;
    child.on('message', (message) => {
      if (message.type === 'start') onStart();
      if (message.type === 'progress') onProgress(message.sent);
      if (message.type === 'done') done = message;
    });
    child.once('exit', (code) => {
      if (done !== null) resolveSend(done);
      else reject(new Error(`the sender exited (${code}) without a result`));
    });
  });
}

/**
 * `sendAt(rate, count, onStart, seed)` for a quiet profile (see send), and `sent()`: what all
 * its calls sent, which must all arrive.
 */
function countingSender(port) {
  let sent = 0;
  return {
    sent: () => sent,
    async sendAt(rate, count, onStart = () => {}, seed = undefined) {
      const result = await send(port, count, rate, { onStart, ...(seed === undefined ? {} : { seed }) });
      sent += result.sent;
      return result;
    },
  };
}

/** Calls `tick()` every progress interval until the returned stop function is called. */
function every(ms, tick) {
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
}

const r1 = (n) => nats.round(n, 1);

/** The next IPC message of `type` from a helper child (sent unasked, or asked for here). */
function helperMessage(child, type, ask = false) {
  return new Promise((resolveMessage) => {
    const on = (m) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolveMessage(m);
    };
    child.on('message', on);
    if (ask) child.send({ type });
  });
}

/** One line of a quiet-node profile, for the progress log. */
function quietLine(p) {
  const at = (rate) =>
    `${rate}/s ${report.pct(p.rates[rate].cpuPercent)} CPU, ${report.num(p.rates[rate].wakeupsPerSecond)} wake-ups/s`;
  return (
    `idle ${report.num(p.idle.wakeupsPerSecond)} wake-ups/s, ${report.pct(p.idle.cpuPercent)} CPU, RSS ${report.mb(p.idle.rssMb)}` +
    (p.idle.rssAfterTrimMb === undefined
      ? ''
      : ` (${report.mb(p.idle.rssAfterTrimMb)} after the idle trim, ${report.ms(p.idle.trimMs)})`) +
    '; ' +
    quiet.QUIET_RATES.map(at).join('; ')
  );
}

/**
 * A copy of dist/ (with package.json and a link to node_modules) taken at the start: every
 * sidecar and sender of this run runs the same build even if dist/ is rebuilt meanwhile.
 */
function snapshotDist(tmp) {
  const app = join(tmp, 'app');
  cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  return join(app, 'dist');
}
let distDir = join(ROOT, 'dist');

async function main() {
  const tmp = processes.tempDir('sense-bench-');
  distDir = snapshotDist(tmp);
  const natsPort = await freePort('tcp');
  progress(`starting nats-server with JetStream (store in ${tmp})`);
  const server = await nats.startNatsServer(natsBin, natsPort, tmp);
  const clientCounts = { slowConsumer: 0 };
  nats.watchSlowConsumers(server.nc, clientCounts);
  const readyTimes = [];
  /** Sidecars that did not stop cleanly: the figures of their runs mean nothing. */
  const failures = [];
  const notable = new Map();
  let runs = 0;

  const results = {
    meta: {
      startedAt: new Date().toISOString(),
      smoke: options.smoke,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      natsServer: nats.natsServerVersion(natsBin),
      procAvailable,
      git: gitState(),
      loadAverageAtStart: loadavg().map((n) => nats.round(n, 2)),
      options: {
        ...options,
        maxCatchUpMs: MAX_CATCH_UP_MS,
        burstRate: BURST_RATE,
        latencyRate: LATENCY_RATE,
        warmUpRate: WARM_UP_RATE,
      },
      sidecarMode: 'unknown',
      sidecarModeEvidence: [],
    },
    targets: TARGETS,
  };

  /** A fresh sidecar on a port and dataDir of its own, and a counter of its events on NATS. */
  async function freshSidecar(env) {
    const udpPort = await freePort('udp');
    const counter = new nats.EventCounter(server.nc);
    await counter.ready();
    const sidecar = await Sidecar.start({
      cli: join(distDir, 'cli/main.js'),
      rulesDir: join(ROOT, 'rules'),
      natsUrl: server.url,
      udpPort,
      dataDir: join(tmp, `sidecar-${++runs}`),
      env,
      execArgv: NODE_FLAGS,
    });
    readyTimes.push(sidecar.readyMs);
    return { udpPort, counter, sidecar };
  }

  /**
   * One fresh sidecar, warmed up like every other, then the quiet-node profile (idle, then 5 and
   * 100 events/s); everything it was sent must arrive.
   */
  async function quietSidecarRun(label, env = {}, { heldMs = 0, trim = false } = {}) {
    // Settled means nothing arrived for longer than the reader may hold a datagram.
    const settleMs = PROFILE.settleMs + heldMs;
    const trimEnv =
      trim && PROFILE.trimAfterSeconds !== null
        ? { SENSE_SIDECAR_MEMORY_IDLE_TRIM_AFTER: `${PROFILE.trimAfterSeconds}s` }
        : {};
    const { udpPort, counter, sidecar } = await freshSidecar({ ...env, ...trimEnv });
    // After the rates, the idle trim: its delay, the reader's hold and two housekeeping ticks.
    const trimWaitMs = ((PROFILE.trimAfterSeconds ?? DEFAULT_TRIM_AFTER_SECONDS) + 15) * 1000 + heldMs;
    const thenIdle = trim ? () => quiet.afterTrim(sidecar, trimWaitMs) : undefined;
    const { sendAt, sent } = countingSender(udpPort);
    try {
      // Warm-up: other users (another seed), as for every fresh sidecar.
      if (options.warmUp > 0) await sendAt(WARM_UP_RATE, options.warmUp, () => {}, 1_007);
      await nats.settle(async () => [counter.count], sent(), {
        settleMs,
        deadlineMs: 60_000,
      });
      const profile = await quiet.quietProfile({ pid: sidecar.pid, ...PROFILE.quiet, sendAt, thenIdle });
      const settled = await nats.settle(async () => [counter.count], sent(), {
        settleMs,
        deadlineMs: 60_000,
      });
      return { label, readyMs: r1(sidecar.readyMs), profile, sent: sent(), lost: sent() - settled.counts[0] };
    } finally {
      const code = await sidecar.stop();
      counter.close();
      await nats.purgeStream(server.jsm, EVENTS_STREAM);
      if (code !== 0) failures.push(`${label}: the sidecar exited with ${code}\n${sidecar.describe()}`);
    }
  }

  /**
   * The floor with the durable round (durable-floor.mjs): held for the quiet-node settings'
   * batch, written, fdatasync'd, published to JetStream and acknowledged, and nothing else. The
   * same warm-up and quiet profile as the floor; everything sent must be published.
   */
  async function durableFloorRun(floor) {
    const dir = join(tmp, 'durable-floor');
    mkdirSync(dir, { recursive: true });
    const child = processes.startHelper(join(HERE, 'durable-floor.mjs'), [
      JSON.stringify({
        url: server.url,
        stream: 'DURABLE_FLOOR',
        subject: 'floor',
        dir,
        batchWaitMs: QUIET_SETTINGS.waitMs,
        recvBufferSize: FLOOR_RECEIVE_BUFFER_BYTES,
      }),
    ]);
    const { port } = await helperMessage(child, 'ready');
    const { sendAt, sent } = countingSender(port);
    const published = async () => [(await helperMessage(child, 'report', true)).published];
    const settleOptions = { settleMs: PROFILE.settleMs + QUIET_SETTINGS.waitMs, deadlineMs: 60_000 };
    try {
      if (options.warmUp > 0) await sendAt(WARM_UP_RATE, options.warmUp, () => {}, 1_007);
      await nats.settle(published, sent(), settleOptions);
      const profile = await quiet.quietProfile({ pid: child.pid, ...PROFILE.quiet, sendAt });
      const settled = await nats.settle(published, sent(), settleOptions);
      return {
        batchWaitMs: QUIET_SETTINGS.waitMs,
        profile,
        ratios: quiet.quietRatios(profile, floor),
        lost: sent() - settled.counts[0],
      };
    } finally {
      await processes.stop(child);
      await server.jsm.streams.delete('DURABLE_FLOOR').catch(() => {});
    }
  }

  /**
   * One fresh sidecar: start, optionally something before the load, `count` datagrams at
   * `rate`, drain, read its counters, stop. Everything measured about that run.
   */
  async function sidecarRun({ label, rate, count, beforeSend, env = {} }) {
    const { udpPort, counter, sidecar } = await freshSidecar(env);
    const run = { label, offeredRate: rate, count, readyMs: r1(sidecar.readyMs) };
    let warmReceived = 0;
    let warmDrops = 0;
    try {
      if (beforeSend !== undefined) await beforeSend(sidecar, run);
      // Warm-up: other users (another seed), delivered and then left out of every count.
      if (options.warmUp > 0) {
        const warm = await send(udpPort, options.warmUp, WARM_UP_RATE, { seed: 1_007 });
        await nats.settle(async () => [counter.count], warm.sent, {
          settleMs: PROFILE.settleMs,
          deadlineMs: 60_000,
        });
        warmDrops = readKernelUdpDrops(udpPort) ?? 0;
        warmReceived = warm.sent - warmDrops;
        run.warmUp = { sent: warm.sent, delivered: counter.count, kernelDrops: warmDrops };
        counter.reset();
      }
      const base = (await nats.streamEvents(server.jsm, EVENTS_STREAM, 'sense.events.>')) ?? 0;
      const streamCount = async () => {
        const n = await nats.streamEvents(server.jsm, EVENTS_STREAM, 'sense.events.>');
        return n === null ? null : n - base;
      };
      // CPU is measured over the sending, from its first datagram (after the sender's warm-up).
      let sidecarCpu = cpuMeter(sidecar.pid);
      let natsCpu = cpuMeter(server.child.pid);
      let peakRss = memory(sidecar.pid)?.rssMb ?? null;
      let lastTick = { at: performance.now(), cpu: cpuSeconds(sidecar.pid) };
      let sentSoFar = 0;
      const stopSampling = every(250, () => {
        const rss = memory(sidecar.pid)?.rssMb;
        if (rss !== undefined) peakRss = Math.max(peakRss ?? 0, rss);
      });
      const stopProgress = every(PROFILE.progressMs, () => {
        const now = { at: performance.now(), cpu: cpuSeconds(sidecar.pid) };
        const cpu =
          now.cpu === null || lastTick.cpu === null
            ? 'n/a'
            : `${Math.round(((now.cpu - lastTick.cpu) / ((now.at - lastTick.at) / 1000)) * 100)}%`;
        lastTick = now;
        const rss = memory(sidecar.pid)?.rssMb;
        progress(
          `  ${label}: sent ${report.int(sentSoFar)}/${report.int(count)}, events on NATS ${report.int(counter.count)}, ` +
            `sidecar RSS ${rss === undefined ? 'n/a' : `${Math.round(rss)} MB`}, CPU ${cpu}`,
        );
      });
      let sent;
      try {
        sent = await send(udpPort, count, rate, {
          onStart: () => {
            sidecarCpu = cpuMeter(sidecar.pid);
            natsCpu = cpuMeter(server.child.pid);
          },
          onProgress: (n) => (sentSoFar = n),
        });
      } finally {
        stopProgress();
      }
      run.sidecarCpuPercent = nats.round(sidecarCpu(), 2);
      run.natsCpuPercent = nats.round(natsCpu(), 2);
      const settled = await nats.settle(async () => [counter.count, await streamCount()], sent.sent, {
        settleMs: PROFILE.settleMs,
        deadlineMs: 120_000,
      });
      stopSampling();
      const [coreEvents, streamEvents] = settled.counts;
      const drops = readKernelUdpDrops(udpPort);
      run.kernelDrops = drops === null ? null : drops - warmDrops;
      const mem = memory(sidecar.pid);
      run.rssMb = r1(peakRss);
      run.hwmMb = r1(mem?.hwmMb ?? null);
      const sendSeconds = (sent.endedAt - sent.startedAt) / 1e6;
      Object.assign(run, {
        sent: sent.sent,
        sendErrors: sent.errors,
        sendSeconds: nats.round(sendSeconds, 3),
        actualRate: Math.round(sent.sent / sendSeconds),
        coreEvents,
        streamEvents,
        delivered: streamEvents ?? coreEvents,
        lost: sent.sent - (streamEvents ?? coreEvents),
        // The last event can beat the sender's own end mark by a fraction of a millisecond.
        catchUpMs: counter.lastAt === 0 ? null : r1(Math.max(0, counter.lastAt - sent.endedAt) / 1000),
        throughput:
          counter.lastAt === 0 ? null : Math.round(coreEvents / ((counter.lastAt - sent.startedAt) / 1e6)),
        avgMessageBytes: coreEvents === 0 ? null : Math.round(counter.bytes / coreEvents),
        latency: nats.latencySummary(counter.latencies),
      });
      // The sidecar creates its stream when it publishes with JetStream; without one it is on core NATS.
      if (streamEvents !== null) results.meta.sidecarMode = 'jetstream';
      else if (coreEvents > 0 && results.meta.sidecarMode === 'unknown') results.meta.sidecarMode = 'core';
    } finally {
      const code = await sidecar.stop();
      await server.nc.flush().catch(() => {});
      counter.close();
      run.exitCode = code;
      const s = counter.status;
      run.sidecarStatus =
        s === null
          ? null
          : {
              received: s.received,
              receivedAfterWarmUp: s.received - warmReceived,
              decoded: s.decoded,
              rejected: s.rejected,
              published: s.published,
              publishErrors: s.publishErrors,
              dropped: s.dropped,
              outboxDepth: s.outboxDepth,
              nats: s.nats,
              ...Object.fromEntries(Object.entries(s).filter(([k]) => /mode|jetstream/i.test(k))),
            };
      for (const line of sidecar.notable) notable.set(line.msg, line);
      await nats.purgeStream(server.jsm, EVENTS_STREAM);
    }
    if (run.exitCode !== 0) {
      run.crashed = true;
      failures.push(`${label}: the sidecar exited with ${run.exitCode}\n${sidecar.describe()}`);
      progress(`  the sidecar exited with ${run.exitCode}\n${sidecar.describe()}`);
    }
    return run;
  }

  // ── 0 (first, on a quiet machine): a quiet node, the floor and the sidecar ────────────────
  const quietTimes = PROFILE.quiet;
  progress(
    `quiet node: going quiet ${quietTimes.goingQuietSeconds} s, idle ${quietTimes.idleSeconds} s, then ${quiet.QUIET_RATES.join(' and ')} events/s for ${quietTimes.rateSeconds} s each; the floor first`,
  );
  const floorChild = processes.startHelper(join(HERE, 'udp-receiver.mjs'), [
    String(FLOOR_RECEIVE_BUFFER_BYTES),
  ]);
  const floorPort = (await helperMessage(floorChild, 'ready')).port;
  if (options.warmUp > 0) await send(floorPort, options.warmUp, WARM_UP_RATE, { seed: 1_007 });
  const floor = await quiet.quietProfile({
    pid: floorChild.pid,
    ...quietTimes,
    sendAt: (rate, count, onStart) => send(floorPort, count, rate, { onStart }),
  });
  await processes.stop(floorChild);
  progress(`  floor: ${quietLine(floor)}`);
  // The same socket with the stack's libraries imported: how much of the RSS target they take.
  const librariesChild = processes.startHelper(join(HERE, 'udp-receiver.mjs'), [
    String(FLOOR_RECEIVE_BUFFER_BYTES),
    'dependencies',
  ]);
  const librariesReady = await helperMessage(librariesChild, 'ready');
  if (options.warmUp > 0) await send(librariesReady.port, options.warmUp, WARM_UP_RATE, { seed: 1_007 });
  const librariesRssMb = await quiet.idleRssMb({
    pid: librariesChild.pid,
    seconds: quietTimes.settleSeconds + quietTimes.goingQuietSeconds + quietTimes.idleSeconds,
  });
  await processes.stop(librariesChild);
  const floorWithLibraries = {
    imported: librariesReady.imported,
    idleRssMb: librariesRssMb,
    overFloor: quiet.ratioOver(librariesRssMb, floor.idle.rssMb),
  };
  progress(`  floor with the stack's libraries imported: idle RSS ${librariesRssMb} MB`);
  const durableFloor = await durableFloorRun(floor);
  progress(`  floor with the durable round: ${quietLine(durableFloor.profile)}, lost ${durableFloor.lost}`);
  const quietRun = await quietSidecarRun('quiet node', {}, { trim: true });
  progress(`  sidecar: ${quietLine(quietRun.profile)}, lost ${quietRun.lost}`);
  results.quiet = {
    ...quietTimes,
    floor,
    floorWithLibraries,
    durableFloor,
    sidecar: quietRun.profile,
    ratios: quiet.quietRatios(quietRun.profile, floor),
    lost: quietRun.lost,
  };
  results.footprint = {
    readyMs: quietRun.readyMs,
    idleRssMb: quietRun.profile.idle.rssMb,
    idleCpuPercent: quietRun.profile.idle.cpuPercent,
    cpuPercentAt100: quietRun.profile.rates[100].cpuPercent,
  };

  // ── 1: ceilings ───────────────────────────────────────────────────────────────────────────
  progress('ceiling: bare UDP receiver (a socket that only counts datagrams, in its own process)');
  const receiver = processes.startHelper(join(HERE, 'udp-receiver.mjs'), [
    String(FLOOR_RECEIVE_BUFFER_BYTES),
  ]);
  const ask = (type) =>
    new Promise((r) => {
      const on = (m) => {
        if (m.type === type) {
          receiver.off('message', on);
          r(m);
        }
      };
      receiver.on('message', on);
      if (type !== 'ready') receiver.send({ type });
    });
  const receiverInfo = await ask('ready');
  async function bareRun(label, count, rate) {
    await ask('reset');
    const drops0 = readKernelUdpDrops(receiverInfo.port) ?? 0;
    const sent = await send(receiverInfo.port, count, rate);
    let rep = await ask('report');
    await nats.settle(async () => [(rep = await ask('report')).count], sent.sent, {
      settleMs: 500,
      deadlineMs: 30_000,
      intervalMs: 50,
    });
    const drops = readKernelUdpDrops(receiverInfo.port);
    const sendSeconds = (sent.endedAt - sent.startedAt) / 1e6;
    const out = {
      label,
      offeredRate: rate,
      sent: sent.sent,
      actualRate: Math.round(sent.sent / sendSeconds),
      received: rep.count,
      lost: sent.sent - rep.count,
      kernelDrops: drops === null ? null : drops - drops0,
      perSecond: rep.spanMs > 0 ? Math.round(rep.count / (rep.spanMs / 1000)) : null,
    };
    progress(
      `  ${label}: sent ${report.int(out.sent)} at ${report.int(out.actualRate)}/s, received ${report.int(out.received)}, lost ${report.int(out.lost)}`,
    );
    return out;
  }
  const udpSteps = [];
  for (const rate of options.rates) {
    udpSteps.push(
      await bareRun(
        `${report.int(rate)}/s`,
        Math.round(rate * Math.min(PROFILE.ceilingSeconds, options.duration)),
        rate,
      ),
    );
  }
  const udpFlood = await bareRun('flood', PROFILE.udpFlood, 0);
  const udpBursts = {
    paced: await bareRun(`burst at ${report.int(BURST_RATE)}/s`, options.burst, BURST_RATE),
    flood: await bareRun('burst as fast as possible', options.burst, 0),
  };
  await processes.stop(receiver, 2_000);

  // The same size as the sidecar's event messages over the sustained steps' load.
  const computedBytes = await averageEventBytes(distDir, {
    count: Math.min(100_000, Math.round(Math.max(...options.rates) * options.duration)),
    users: options.users,
  });
  const messageBytes = computedBytes ?? 600;
  progress(
    `ceiling: bare JetStream publisher (${report.int(PROFILE.jsCount)} × ${messageBytes} B, acknowledged, window ${report.int(JS_WINDOW)})`,
  );
  const jsCeiling = await new Promise((resolveJs, reject) => {
    const child = processes.startHelper(join(HERE, 'js-publisher.mjs'), [
      JSON.stringify({
        url: server.url,
        stream: 'BENCH_CEILING',
        subject: 'bench.ceiling',
        count: PROFILE.jsCount,
        size: messageBytes,
        window: JS_WINDOW,
        duplicateWindowMs: 2 * 3_600_000,
      }),
    ]);
    let done = null;
    child.on('message', (m) => (done = m));
    child.once('exit', (code) =>
      done === null ? reject(new Error(`the JetStream publisher exited (${code})`)) : resolveJs(done),
    );
  });
  progress(`  ${report.int(jsCeiling.perSecond)} msgs/s (${report.int(jsCeiling.stored)} stored)`);
  results.ceilings = {
    udp: {
      perSecond: udpFlood.perSecond,
      senderBound: udpFlood.lost === 0,
      receiveBufferBytes: receiverInfo.receiveBufferBytes,
      flood: udpFlood,
      steps: udpSteps,
      bursts: udpBursts,
    },
    jetstream: {
      perSecond: Math.round(jsCeiling.perSecond),
      messages: jsCeiling.count,
      stored: jsCeiling.stored,
      messageBytes,
      messageBytesFrom:
        computedBytes !== null ? 'the load through the built envelope' : 'a typical event (600 B)',
      window: JS_WINDOW,
      seconds: nats.round(jsCeiling.seconds, 3),
    },
  };
  const lower = Math.min(results.ceilings.udp.perSecond ?? Infinity, results.ceilings.jetstream.perSecond);
  results.ceilings.lower = Number.isFinite(lower) ? lower : null;
  const share = (n) =>
    n === null || results.ceilings.lower === null ? null : nats.round(n / results.ceilings.lower, 3);

  /** One fresh sidecar (with `env`), `options.burst` datagrams at `rate`: what it received and published. */
  async function burstRun(label, rate, env = {}) {
    const run = await sidecarRun({ label, rate, count: options.burst, env });
    const received =
      run.sidecarStatus?.receivedAfterWarmUp ??
      (run.kernelDrops === null ? null : run.sent - run.kernelDrops);
    const burst = {
      offered: run.sent,
      offeredRate: rate,
      actualRate: run.actualRate,
      received,
      receivedShare: received === null ? null : nats.round(received / run.sent, 4),
      published: run.delivered,
      lost: run.lost,
      kernelDrops: run.kernelDrops,
      sidecarDropped: run.sidecarStatus?.dropped ?? null,
      throughput: run.throughput,
      shareOfCeiling: share(run.throughput),
      run,
    };
    progress(
      `  sent at ${report.int(run.actualRate)}/s: received ${report.int(received)}, published ${report.int(run.delivered)}, lost ${report.int(run.lost)}, kernel drops ${report.int(run.kernelDrops)}`,
    );
    return burst;
  }

  // ── 4: latency ────────────────────────────────────────────────────────────────────────────
  progress(`latency: ${report.int(LATENCY_RATE)}/s for ${PROFILE.latencySeconds} s`);
  const latencyRun = await sidecarRun({
    label: `latency ${LATENCY_RATE}/s`,
    rate: LATENCY_RATE,
    count: LATENCY_RATE * PROFILE.latencySeconds,
  });
  results.latency = {
    rate: LATENCY_RATE,
    ...(latencyRun.latency ?? NO_LATENCY),
    run: latencyRun,
  };
  progress(
    `  p50 ${report.ms(results.latency.p50Ms)}, p99 ${report.ms(results.latency.p99Ms)}, max ${report.ms(results.latency.maxMs)}, lost ${latencyRun.lost}`,
  );

  // ── intake batching off: what the default batching saves at quiet rates, and its latency ──
  const batchingEnv = {
    SENSE_SIDECAR_INTAKE_BATCH_DATAGRAMS: String(BATCHING.datagrams),
    SENSE_SIDECAR_INTAKE_BATCH_WAIT: `${BATCHING.waitMs}ms`,
  };
  progress(
    `intake batching off (batchDatagrams ${BATCHING.datagrams}, batchWait ${BATCHING.waitMs}ms): the quiet node, latency at ${report.int(LATENCY_RATE)}/s`,
  );
  const batchedQuiet = await quietSidecarRun('batching off: quiet node', batchingEnv);
  const batchedLatency = await sidecarRun({
    label: `batching off: latency ${LATENCY_RATE}/s`,
    rate: LATENCY_RATE,
    count: LATENCY_RATE * PROFILE.latencySeconds,
    env: batchingEnv,
  });
  results.batching = {
    ...BATCHING,
    cpuPercentAt100: batchedQuiet.profile.rates[100].cpuPercent,
    quiet: batchedQuiet.profile,
    ratios: quiet.quietRatios(batchedQuiet.profile, floor),
    latency: batchedLatency.latency ?? NO_LATENCY,
    lost: batchedQuiet.lost + batchedLatency.lost,
    runs: [batchedLatency],
  };
  progress(
    `  ${quietLine(batchedQuiet.profile)}; latency p50 ${report.ms(results.batching.latency.p50Ms)}, p99 ${report.ms(results.batching.latency.p99Ms)}; lost ${results.batching.lost}`,
  );

  // ── a longer quiet batch: what a node that may show events seconds late saves ──────────
  progress(`intake.batchWait ${LONG_WAIT.waitMs}ms: the quiet node`);
  const longWaitQuiet = await quietSidecarRun(
    `batchWait ${LONG_WAIT.waitMs}ms: quiet node`,
    { SENSE_SIDECAR_INTAKE_BATCH_WAIT: `${LONG_WAIT.waitMs}ms` },
    { heldMs: LONG_WAIT.waitMs },
  );
  results.longWait = {
    ...LONG_WAIT,
    quiet: longWaitQuiet.profile,
    ratios: quiet.quietRatios(longWaitQuiet.profile, floor),
    lost: longWaitQuiet.lost,
  };
  progress(`  ${quietLine(longWaitQuiet.profile)}; lost ${results.longWait.lost}`);

  // ── the quiet-node settings: the socket on the main thread, the longer batch; and its burst ──
  progress(
    `quiet-node settings (intake.readerThread ${QUIET_SETTINGS.readerThread}, batchWait ${QUIET_SETTINGS.waitMs}ms): the quiet node, a burst at ${report.int(BURST_RATE)}/s`,
  );
  const settingsQuiet = await quietSidecarRun('quiet-node settings: quiet node', QUIET_SETTINGS_ENV, {
    heldMs: QUIET_SETTINGS.waitMs,
    trim: true,
  });
  progress(`  ${quietLine(settingsQuiet.profile)}; lost ${settingsQuiet.lost}`);
  const settingsBurst = await burstRun(
    `quiet-node settings: burst ${report.int(options.burst)} at ${report.int(BURST_RATE)}/s`,
    BURST_RATE,
    QUIET_SETTINGS_ENV,
  );
  results.quietSettings = {
    ...QUIET_SETTINGS,
    quiet: settingsQuiet.profile,
    ratios: quiet.quietRatios(settingsQuiet.profile, floor),
    lost: settingsQuiet.lost,
    burst: settingsBurst,
  };

  // ── 2: sustained ──────────────────────────────────────────────────────────────────────────
  const steps = [];
  let best = null;
  for (const rate of options.rates) {
    progress(`sustained: ${report.int(rate)}/s for ${options.duration} s`);
    const step = await sidecarRun({
      label: `${report.int(rate)}/s`,
      rate,
      count: Math.round(rate * options.duration),
    });
    step.held = step.lost === 0 && step.catchUpMs !== null && step.catchUpMs <= MAX_CATCH_UP_MS;
    step.senderKeptPace = step.actualRate >= rate * 0.98;
    step.shareOfCeiling = share(step.actualRate);
    steps.push(step);
    progress(
      `  ${step.held ? 'held' : 'NOT held'}: sent ${report.int(step.sent)} at ${report.int(step.actualRate)}/s, lost ${report.int(step.lost)}, ` +
        `caught up ${report.ms(step.catchUpMs)} after the last datagram, p99 ${report.ms(step.latency?.p99Ms ?? null)}, ` +
        `sidecar CPU ${report.pct(step.sidecarCpuPercent)}, RSS ${report.mb(step.rssMb)}`,
    );
    if (!step.held) break;
    best = step;
  }
  const reference = best ?? steps[0];
  results.sustained = {
    durationSeconds: options.duration,
    rate: best === null ? 0 : best.offeredRate,
    actualRate: best === null ? 0 : best.actualRate,
    shareOfCeiling: share(best === null ? 0 : best.actualRate),
    latency: best?.latency ?? null,
    rssMb: reference.rssMb,
    hwmMb: reference.hwmMb,
    cpuPercent: reference.sidecarCpuPercent,
    steps,
  };

  // ── 3: bursts ─────────────────────────────────────────────────────────────────────────────
  const bursts = {};
  for (const [key, rate, label] of [
    ['paced', BURST_RATE, `burst ${report.int(options.burst)} at ${report.int(BURST_RATE)}/s`],
    ['flood', 0, `burst ${report.int(options.burst)} as fast as one sender can`],
  ]) {
    progress(label);
    bursts[key] = await burstRun(label, rate);
  }
  results.bursts = bursts;

  results.footprint.sustainedRssMb = results.sustained.rssMb;
  results.footprint.readyMsAll = readyTimes.map(r1);
  results.footprint.readyMsMedian = r1(
    [...readyTimes].sort((a, b) => a - b)[Math.floor(readyTimes.length / 2)],
  );
  results.meta.sidecarModeEvidence = [...notable.values()].slice(0, 20);
  results.meta.natsClientSlowConsumer = clientCounts.slowConsumer;
  results.meta.finishedAt = new Date().toISOString();
  results.meta.loadAverageAtEnd = loadavg().map((n) => nats.round(n, 2));
  results.checks = report.checks(results);

  await server.nc.close();
  await processes.stopAll();

  results.failures = failures;
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(report.table(results));
  process.stdout.write(`\nJSON: ${options.out}\n`);
  if (failures.length > 0) {
    progress(`FAILED: ${failures.length} sidecar run(s) did not end cleanly; their figures are not valid:`);
    for (const failure of failures) progress(`  ${failure.split('\n')[0]}`);
    process.exitCode = 1;
  }
}

main().catch(async (error) => {
  // Interrupted: the signal handler stops everything and exits; what failed then is only that.
  if (interrupted) return;
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await processes.stopAll();
  process.exit(1);
});
