// `npm run demo`: the whole picture on one machine. Installs what it needs, starts nats-server,
// the aggregator, the sidecar and the Sense-node simulator, and prints events as they arrive on
// NATS, then what the aggregator makes of them.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureNatsServer, ensureNodeModules, log, ROOT } from './lib/setup.mjs';

const { values } = parseArgs({
  options: {
    speed: { type: 'string', default: '60' },
    users: { type: 'string', default: '60' },
    nodes: { type: 'string', default: 'SENSE-NODE1,SENSE-NODE2' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`npm run demo [-- --speed 60 --users 60 --nodes A,B --keep]

Starts nats-server, the aggregator, the sidecar and a simulated morning on Sense nodes,
prints every event, reject and status message as it arrives on NATS, and the aggregator's
address (its page and HTTP API).
  --speed  time compression of the simulated morning (60: 30 minutes in 30 s)
  --keep   keep running after the scenario until Ctrl-C\n`);
  process.exit(0);
}

const color = process.stdout.isTTY ? (code, text) => `\x1b[${code}m${text}\x1b[0m` : (_code, text) => text;
const children = [];
const tmp = mkdtempSync(join(tmpdir(), 'sense-sidecar-demo-'));

function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function udpPortFree(port) {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** The preferred port when it is free (so the printed commands are the usual ones), else any free one. */
async function pickPort(preferred, isFree) {
  if (await isFree(preferred)) return preferred;
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 40_000);
    if (await isFree(candidate)) return candidate;
  }
}

function start(command, args, options = {}) {
  const child = spawn(command, args, { cwd: ROOT, ...options });
  children.push(child);
  return child;
}

function waitForExit(child) {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', r));
}

async function cleanup() {
  for (const child of children.reverse()) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await waitForExit(child);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}

/** Pipes a child's output to its log file; resolves once it logged `ready`. */
function waitForReady(child, logPath, ready, what) {
  const logFile = createWriteStream(logPath);
  child.stderr.pipe(logFile);
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      logFile.write(chunk);
      seen += chunk.toString();
      if (seen.includes(`"msg":"${ready}"`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}); see ${logPath}`)));
  });
}

/** What the aggregator folded, once it has every event the demo saw on NATS (or after 10 s). */
async function aggregatorSummary(url, events) {
  const get = async (path) => (await globalThis.fetch(`${url}${path}`)).json();
  const deadline = Date.now() + 10_000;
  let folded;
  for (;;) {
    const { nodes } = await get('/api/nodes');
    folded = nodes.reduce((sum, n) => sum + n.events, 0);
    if (folded >= events || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { totals } = await get('/api/now');
  return `aggregator (${url}): ${folded} events folded; on now: ${totals.sessions} sessions of ${totals.users} users on ${totals.hosts} hosts, ${totals.connections} app connections`;
}

function describe(subject, body) {
  const time = new Date(body.time).toLocaleTimeString('en-GB');
  const d = body.data ?? {};
  if (subject.includes('.events.')) {
    const user = `${d.user?.directory}\\${d.user?.id}`;
    const kindColor = d.kind === 'session.start' ? 32 : d.kind === 'session.stop' ? 31 : 36;
    let extra = d.context ?? '';
    if (d.appId) extra = `app ${d.appId.slice(0, 8)}…`;
    if (d.userAgent)
      extra += `  ${d.userAgent.browser ?? '?'} ${d.userAgent.browserVersion ?? ''} on ${d.userAgent.os ?? '?'}`;
    return `${time}  ${color(kindColor, d.kind.padEnd(16))} ${d.host.padEnd(12)} ${user.padEnd(24)} ${extra}`;
  }
  if (subject.includes('.alerts.')) {
    const label = `alert ${d.status}`.padEnd(16);
    return `${time}  ${color(d.status === 'firing' ? 35 : 34, label)} ${d.severity.padEnd(8)} ${d.rule}: ${d.message}`;
  }
  if (subject.includes('.rejects.'))
    return `${time}  ${color(33, 'reject'.padEnd(16))} ${d.reason}: ${d.detail}`;
  if (subject.includes('.status.')) {
    return color(
      90,
      `${time}  status           received ${d.received}, decoded ${d.decoded}, rejected ${d.rejected}, published ${d.published}, NATS ${d.nats}`,
    );
  }
  return `${time}  ${subject}`;
}

async function main() {
  ensureNodeModules();
  // The sidecar and the aggregator start as their launchers start them (executable, service, npx).
  const { NODE_FLAGS } = await import('../dist/core/node-flags.js');
  const natsBin = ensureNatsServer();
  const { connect } = await import('@nats-io/transport-node');

  const natsPort = await pickPort(4222, portFree);
  const udpPort = await pickPort(9997, udpPortFree);
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  start(natsBin, ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', join(tmp, 'nats')], {
    stdio: 'ignore',
  });
  let nc;
  for (let attempt = 0; ; attempt++) {
    try {
      nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1 });
      break;
    } catch (error) {
      if (attempt > 50) throw new Error(`nats-server did not come up on ${natsUrl}`, { cause: error });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  log(`nats-server on ${natsUrl}`);

  const counts = { events: 0, rejects: 0, alerts: 0, users: new Set(), lastStatus: null };
  nc.subscribe('sense.>', {
    callback: (_err, msg) => {
      const body = msg.json();
      if (msg.subject.includes('.events.')) {
        counts.events++;
        counts.users.add(`${body.data.user.directory}\\${body.data.user.id}`);
      } else if (msg.subject.includes('.rejects.')) counts.rejects++;
      else if (msg.subject.includes('.alerts.')) counts.alerts++;
      else if (msg.subject.includes('.status.')) counts.lastStatus = body.data;
      process.stdout.write(`${describe(msg.subject, body)}\n`);
    },
  });
  await nc.flush();

  const aggregatorPort = await pickPort(9999, portFree);
  const aggregatorUrl = `http://127.0.0.1:${aggregatorPort}`;
  const aggregatorLog = join(tmp, 'aggregator.log');
  const aggregator = start(process.execPath, [...NODE_FLAGS, 'dist/cli/main.js', 'aggregate'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SENSE_AGGREGATOR_NATS_SERVERS: natsUrl,
      SENSE_AGGREGATOR_HTTP_PORT: String(aggregatorPort),
      SENSE_AGGREGATOR_DATA_DIR: join(tmp, 'aggregator'),
      SENSE_AGGREGATOR_CONSUMER_NAME: 'sense-aggregator-demo',
    },
  });
  await waitForReady(aggregator, aggregatorLog, 'sense-aggregator ready', 'the aggregator');
  log(`aggregator on ${aggregatorUrl} (page and API; its log: ${aggregatorLog})`);
  log(`  try: curl ${aggregatorUrl}/api/sessions   or   npx sense-sidecar who --url ${aggregatorUrl}`);
  process.stdout.write(
    `\n${color(1, `open ${aggregatorUrl}/ in a browser: the live page (who is on, log-ins, alerts, nodes)`)}` +
      `${values.keep ? '' : '\n(npm run demo -- --keep keeps it running after the scenario)'}\n\n`,
  );

  const sidecarLog = join(tmp, 'sidecar.log');
  const sidecar = start(process.execPath, [...NODE_FLAGS, 'dist/cli/main.js', 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SENSE_SIDECAR_NODE: 'demo-sidecar',
      SENSE_SIDECAR_UDP_PORT: String(udpPort),
      SENSE_SIDECAR_NATS_SERVERS: natsUrl,
      SENSE_SIDECAR_STATUS_INTERVAL: '5s',
      SENSE_SIDECAR_DATA_DIR: join(tmp, 'data'),
    },
  });
  await waitForReady(sidecar, sidecarLog, 'sense-sidecar ready', 'the sidecar');
  log(`sidecar listening on udp 127.0.0.1:${udpPort} (its log: ${sidecarLog})`);
  log(
    `simulating a morning on ${values.nodes} at ${values.speed}x; subscribe yourself with: nats sub 'sense.>' -s ${natsUrl}`,
  );

  const sender = start(
    process.execPath,
    [
      'dist/cli/main.js',
      'send',
      '--port',
      String(udpPort),
      '--scenario',
      'morning',
      '--nodes',
      values.nodes,
      '--users',
      values.users,
      '--speed',
      values.speed,
      '--no-progress',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let senderSummary = '';
  sender.stdout.on('data', (chunk) => (senderSummary += chunk.toString()));
  const sendCode = await waitForExit(sender);
  if (sendCode !== 0) throw new Error(`the simulator failed (exit ${sendCode})`);
  // One garbage datagram from "another sender on the same port", to show the dead-letter subject.
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.send('hello from a printer', udpPort, '127.0.0.1', resolve));
  socket.close();

  if (values.keep) {
    log(`scenario done; still running, Ctrl-C to stop; the live page: ${aggregatorUrl}/`);
    await new Promise(() => {});
  }
  sidecar.kill('SIGTERM');
  await waitForExit(sidecar);
  await nc.drain();
  const summary = await aggregatorSummary(aggregatorUrl, counts.events);
  process.stdout.write(
    `\nsimulator: ${senderSummary.trim().split('\n').at(-1)}\nreceived on NATS: ${counts.events} events from ${counts.users.size} users, ${counts.rejects} reject(s), ${counts.alerts} alert(s)\n${summary}\n`,
  );
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  void cleanup().then(() => process.exit(0));
});

main()
  .then(cleanup)
  .catch(async (error) => {
    log(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    await cleanup();
    process.exit(1);
  });
