import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
  await jsm.streams.add({ name: 'OBSERVER', subjects: ['sense.events.>'], duplicate_window: 120_000_000_000 });
  await nc.close();
  udpPort = await freeUdpPort();
  sidecar = await SidecarProcess.start(
    ['node: NODE1', `udp: {port: ${udpPort}}`, `nats: {servers: [${nats.url}]}`].join('\n'),
  );
});

afterAll(async () => {
  await sidecar.stop();
  await nats.stop();
});

it('publishes every event that arrived while nats-server was restarting', async () => {
  const total = 3_000;
  const socket = createSocket('udp4');
  const send = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const text = `/qseow-proxy-session/;NODE1;Start session;CORP;u${i};AppAccess;/hub/;Start session for user`;
      socket.send(text, udpPort, '127.0.0.1', (error) => (error ? reject(error) : resolve()));
    });

  // 3,000 datagrams at about 1,000/s; the server is down from the first to the second third.
  const startedAt = Date.now();
  let killed = false;
  let restarted = false;
  for (let i = 0; i < total; i++) {
    await send(i);
    if (i === 1_000) {
      await nats.stopProcess();
      killed = true;
    }
    if (i === 2_000) {
      await nats.startProcess();
      restarted = true;
    }
    const due = startedAt + i; // 1 ms per datagram
    const ahead = due - Date.now();
    if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
  }
  socket.close();
  expect(killed && restarted).toBe(true);

  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  const stored = await waitFor(
    async () => {
      const info = await jsm.streams.info('OBSERVER');
      return info.state.messages === total ? info.state.messages : undefined;
    },
    `${total} distinct events in the observer stream`,
    20_000,
  ).catch(async () => (await jsm.streams.info('OBSERVER')).state.messages);
  await nc.close();
  // With the in-memory outbox, everything the sidecar read reaches NATS once NATS is back.
  expect(stored).toBe(total);
  await sidecar.waitForLog((l) => l.msg === 'NATS connection back; publishing the backlog', 'the reconnect log');
});
