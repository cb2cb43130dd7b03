// Soak: the sidecar at a steady rate for a long time, printing its RSS over time, to show that
// memory does not grow after warm-up. Not a CI step.
//   npm run soak [-- --minutes 10 --rate 2000 --every 30]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureNatsServer, ensureNodeModules, log, ROOT } from './lib/setup.mjs';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2000' },
    every: { type: 'string', default: '30' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const everySeconds = Number(values.every);

ensureNodeModules();
const natsBin = ensureNatsServer();
const { connect } = await import('@nats-io/transport-node');
const { buildLoad } = await import('../dist/simulate/load.js');
const { sendDatagrams } = await import('../dist/simulate/udp-sender.js');
const { ratePacing } = await import('../dist/simulate/pacer.js');

const tmp = mkdtempSync(join(tmpdir(), 'sense-soak-'));
const children = [];
const cleanup = () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

async function freePort(kind) {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    await new Promise((resolve) => socket.close(resolve));
    return port;
  }
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

const natsPort = await freePort('tcp');
const udpPort = await freePort('udp');
const natsUrl = `nats://127.0.0.1:${natsPort}`;
children.push(
  spawn(natsBin, ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', join(tmp, 'nats')], {
    stdio: 'ignore',
  }),
);
let nc;
for (let attempt = 0; ; attempt++) {
  try {
    nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1 });
    break;
  } catch (error) {
    if (attempt > 100) throw new Error('nats-server did not start', { cause: error });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
let received = 0;
nc.subscribe('sense.events.>', { callback: () => received++ });

const sidecar = spawn(process.execPath, ['dist/cli/main.js', 'run'], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: {
    ...process.env,
    SENSE_SIDECAR_NODE: 'soak',
    SENSE_SIDECAR_UDP_PORT: String(udpPort),
    SENSE_SIDECAR_NATS_SERVERS: natsUrl,
    SENSE_SIDECAR_DATA_DIR: join(tmp, 'data'),
    SENSE_SIDECAR_HTTP_PORT: '0',
  },
});
children.push(sidecar);
const metricsUrl = await new Promise((resolve, reject) => {
  let seen = '';
  const onData = (chunk) => {
    seen = (seen + chunk.toString()).slice(-100_000);
    const lines = seen.split('\n').slice(0, -1);
    const line = lines.find((l) => l.includes('"msg":"sense-sidecar ready"'));
    if (line === undefined) return;
    // Read once: later output is only drained (the sidecar must never block on a full pipe).
    sidecar.stdout.off('data', onData);
    sidecar.stdout.resume();
    resolve(`${JSON.parse(line).http}/metrics`);
  };
  sidecar.stdout.on('data', onData);
  sidecar.once('exit', (code) => reject(new Error(`the sidecar exited (${code})`)));
});

const total = Math.round(minutes * 60 * rate);
const datagram = buildLoad({ count: total, nodes: ['SENSE-NODE1', 'SENSE-NODE2'], users: 5000, seed: 3 });
log(`soak: ${total} datagrams at ${rate}/s for ${minutes} min; RSS every ${everySeconds} s`);
const samples = [];
const started = Date.now();
/** The heap in use after the sidecar's last full GC (its live set), from its /metrics. */
async function liveHeapMb() {
  try {
    const text = await (await globalThis.fetch(metricsUrl)).text();
    const line = text.split('\n').find((l) => l.startsWith('sense_sidecar_heap_live_bytes '));
    return line === undefined ? null : Number(line.split(' ')[1]) / 1048576;
  } catch {
    return null;
  }
}
const sampler = setInterval(async () => {
  const mb = rssMb(sidecar.pid);
  const live = await liveHeapMb();
  const t = Math.round((Date.now() - started) / 1000);
  samples.push({ t, rssMb: mb, liveHeapMb: live, received });
  process.stdout.write(
    `${String(t).padStart(5)} s  RSS ${mb.toFixed(1)} MB  live heap ${live === null ? '-' : `${live.toFixed(1)} MB`}  received ${received}\n`,
  );
}, everySeconds * 1000);
const result = await sendDatagrams({
  host: '127.0.0.1',
  port: udpPort,
  total,
  datagram,
  pacing: ratePacing(rate, total),
});
clearInterval(sampler);
const deadline = Date.now() + 30_000;
while (received < result.sent && Date.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 200));

const warm = samples.filter((s) => s.t >= 60);
const rss = warm.map((s) => s.rssMb);
const live = warm.map((s) => s.liveHeapMb).filter((v) => v !== null);
const summary = {
  minutes,
  rate,
  sent: result.sent,
  received,
  lost: result.sent - received,
  rssAfterWarmupMb:
    rss.length > 0 ? { min: Math.min(...rss), max: Math.max(...rss), first: rss[0], last: rss.at(-1) } : null,
  // The live set: what RSS comes back to after each full GC; flat means nothing accumulates.
  liveHeapAfterWarmupMb:
    live.length > 0
      ? { min: Math.min(...live), max: Math.max(...live), first: live[0], last: live.at(-1) }
      : null,
};
process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
await nc.close();
cleanup();
