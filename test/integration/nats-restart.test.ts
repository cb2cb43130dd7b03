import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { waitFor } from '../helpers/wait.js';

/**
 * nats-server is killed and restarted while datagrams keep arriving. A JetStream stream on the
 * server is the observer (a core subscriber would itself miss what is published while it
 * reconnects); its duplicate window drops re-sends by Nats-Msg-Id, so the stream's count says
 * how many distinct events reached NATS.
 */
let nats: NatsServer;
let sidecar: SidecarProcess;
let udpPort: number;

beforeAll(async () => {
  nats = await NatsServer.start({ jetstream: true });
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: 'OBSERVER',
    subjects: ['sense.events.>'],
    duplicate_window: 120_000_000_000,
  });
  await nc.close();
  udpPort = await freeUdpPort();
  sidecar = await SidecarProcess.start(
    ['node: NODE1', `udp: {port: ${udpPort}}`, `nats: {servers: [${nats.url}]}`, 'rules: {paths: []}'].join(
      '\n',
    ),
  );
});

afterAll(async () => {
  await sidecar.stop();
  await nats.stop();
});

it('publishes every event that arrived while nats-server was restarting', async () => {
  const perPhase = 1_000;
  const datagram = (phase: number) => (i: number) =>
    `/qseow-proxy-session/;NODE1;Start session;CORP;u${phase}-${i};AppAccess;/hub/;Start session for user`;
  const phase = async (n: number): Promise<void> => {
    const result = await sendDatagrams({
      host: '127.0.0.1',
      port: udpPort,
      total: perPhase,
      datagram: datagram(n),
      pacing: ratePacing(1_000, perPhase),
    });
    expect(result.sent).toBe(perPhase);
  };

  // 1,000 datagrams/s throughout; nats-server is down for the whole middle second.
  await phase(0);
  await nats.stopProcess();
  await phase(1);
  await nats.startProcess();
  await phase(2);

  const total = 3 * perPhase;
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  const stored = async (): Promise<number> => (await jsm.streams.info('OBSERVER')).state.messages;
  await waitFor(
    async () => (await stored()) === total,
    `${total} distinct events in the observer stream`,
    20_000,
  ).catch(() => undefined);
  // With the in-memory outbox, everything the sidecar read reaches NATS once NATS is back.
  expect(await stored()).toBe(total);
  await nc.close();
  await sidecar.waitForLog(
    (l) => l.msg === 'NATS connection back; publishing the backlog',
    'the reconnect log',
  );
});
