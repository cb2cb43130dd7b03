import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { Subscriber } from '../helpers/subscriber.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../../rules', import.meta.url));
const start = (user: string) =>
  `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;${user};AppAccess;/hub/;Start session for user`;

let nats: NatsServer;
let subscriber: Subscriber;
let dataDir: string;

beforeAll(async () => {
  nats = await NatsServer.start();
  subscriber = await Subscriber.start(nats.url, 'sense.>');
  dataDir = mkdtempSync(join(tmpdir(), 'sense-data-'));
});

afterAll(async () => {
  await subscriber.close();
  await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function sidecar(udpPort: number): Promise<SidecarProcess> {
  return SidecarProcess.start(
    [
      'node: SENSE-NODE1',
      `udp: {port: ${udpPort}}`,
      `nats: {servers: [${nats.url}]}`,
      `rules: {paths: [${RULES}]}`,
      `dataDir: ${dataDir}`,
    ].join('\n'),
  );
}

it('a restart remembers who is logged in: the 5th session after a restart hits the limit', async () => {
  const udpPort = await freeUdpPort();
  const first = await sidecar(udpPort);
  await sendDatagrams(
    udpPort,
    Array.from({ length: 4 }, () => start('mallory')),
  );
  await waitFor(() => subscriber.on('sense.events.').length === 4, 'four session starts');
  expect(await first.stop('SIGTERM')).toBe(0);
  expect(readdirSync(dataDir)).toContain('state.json');

  const second = await sidecar(udpPort);
  try {
    await second.waitForLog((l) => l.msg === 'live state restored from the last snapshot', 'the restore log');
    await sendDatagrams(udpPort, [start('mallory')]);
    const alert = await waitFor(() => subscriber.on('sense.alerts.')[0], 'the parallel-session alert');
    expect(alert.body.data).toMatchObject({ rule: 'parallel-session-limit', facts: { activeSessions: 5 } });
  } finally {
    await second.stop();
  }
});

it('starts with empty state when the snapshot file is garbage, and sets it aside', async () => {
  writeFileSync(
    join(dataDir, 'state.json'),
    '{"version": 1, "node": "x", "takenAt": 1, "state": {"garbage": true}',
  );
  const udpPort = await freeUdpPort();
  const process = await sidecar(udpPort);
  try {
    await process.waitForLog((l) => String(l.msg).includes('starting with empty state'), 'the set-aside log');
    expect(readdirSync(dataDir).some((name) => name.startsWith('state.json.bad-'))).toBe(true);
  } finally {
    await process.stop();
  }
});
