import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { metricValue } from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../../rules', import.meta.url));
let nats: NatsServer;
let sidecar: SidecarProcess;
let dataDir: string;
let udpPort: number;
let metricsUrl: string;

beforeAll(async () => {
  nats = await NatsServer.start({ jetstream: true });
  dataDir = mkdtempSync(join(tmpdir(), 'sense-burst-'));
  udpPort = await freeUdpPort();
  // Default receive buffer (8 MiB) and rules: the sidecar as shipped.
  sidecar = await SidecarProcess.start(
    [
      `udp: {port: ${udpPort}}`,
      `nats: {servers: [${nats.url}]}`,
      `rules: {paths: [${RULES}]}`,
      `dataDir: ${dataDir}`,
      'http: {port: 0}',
    ].join('\n'),
  );
  const ready = await sidecar.waitForLog((l) => l.msg === 'sense-sidecar ready', 'ready');
  metricsUrl = `${String(ready['http'])}/metrics`;
});

afterAll(async () => {
  await sidecar.stop();
  await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Readings {
  received: number;
  published: number;
  kernelDrops: number;
  intakeDrops: number;
}

async function readings(): Promise<Readings> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name: string) => metricValue(text, name);
  return {
    received: value('sense_sidecar_datagrams_received_total'),
    published: value('sense_sidecar_published_total'),
    kernelDrops: value('sense_sidecar_udp_kernel_drops_total'),
    intakeDrops: value('sense_sidecar_dropped_total{cause="intake-queue-full"}'),
  };
}

const start = (i: number) =>
  `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;burst${i};AppAccess;/hub/;Start session for user 'CORP\\burst${i}'`;

/** Polls until the received count stops moving, then returns the readings. */
async function settle(): Promise<Readings> {
  // The kernel's count is read once a second: settled means nothing moved for over a second.
  let last = '';
  await waitFor(
    async () => {
      const { received, kernelDrops } = await readings();
      const now = `${received}/${kernelDrops}`;
      const settled = now === last;
      last = now;
      return settled;
    },
    'the intake to settle',
    20_000,
    1_200,
  );
  return readings();
}

/**
 * With the default receive buffer nothing may be lost at a paced 20,000/s: the reader thread
 * reads the socket whatever the decoder is busy with. At full speed UDP loss is possible, but
 * must be visible, never silent: whatever the sidecar did not read, the kernel counted as
 * dropped for its socket. The figures are printed for the issue notes.
 */
it('loses nothing of a paced 20,000/s run and accounts for every datagram of a full-speed burst', async () => {
  const paced = await sendDatagrams({
    host: '127.0.0.1',
    port: udpPort,
    total: 20_000,
    datagram: start,
    pacing: ratePacing(20_000, 20_000),
  });
  const afterPaced = await settle();
  console.log(
    `paced 20,000/s: sent ${paced.sent}, received ${afterPaced.received}, kernel drops ${afterPaced.kernelDrops}`,
  );
  expect(afterPaced).toMatchObject({ received: paced.sent, kernelDrops: 0, intakeDrops: 0 });

  const burst = await sendDatagrams({
    host: '127.0.0.1',
    port: udpPort,
    total: 20_000,
    datagram: (i) => start(20_000 + i),
    pacing: ratePacing(0, 20_000),
  });
  const afterBurst = await settle();
  const received = afterBurst.received - afterPaced.received;
  const dropped = afterBurst.kernelDrops - afterPaced.kernelDrops;
  console.log(
    `burst of ${burst.sent} in ${burst.elapsedMs} ms (${Math.round(burst.sent / (burst.elapsedMs / 1000))}/s): ` +
      `received ${received}, kernel drops ${dropped}`,
  );
  expect(received + dropped).toBe(burst.sent);
  // Everything read is published: the loss is only ever in the kernel, never in the sidecar.
  await waitFor(
    async () => (await readings()).published >= afterBurst.received,
    'everything read to be published',
    30_000,
  );
}, 120_000);
