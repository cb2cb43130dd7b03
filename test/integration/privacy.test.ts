import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { Subscriber } from '../helpers/subscriber.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../../rules', import.meta.url));
const SECRET = 'a-shared-secret-of-32-characters';

let nats: NatsServer;
let subscriber: Subscriber;
let sidecars: SidecarProcess[];
let ports: number[];

/** Two nodes with the same key: the same user gets the same hash on both, and no clear name leaves. */
beforeAll(async () => {
  nats = await NatsServer.start();
  subscriber = await Subscriber.start(nats.url, 'sense.>');
  ports = [await freeUdpPort(), await freeUdpPort()];
  sidecars = await Promise.all(
    ports.map((port, i) =>
      SidecarProcess.start(
        [
          `node: NODE${i + 1}`,
          `udp: {port: ${port}}`,
          `nats: {servers: [${nats.url}]}`,
          `rules: {paths: [${RULES}]}`,
          'jetstream: {enabled: false}',
          'http: {port: 0}',
          'privacy: {hashUsers: true}',
        ].join('\n'),
        { SENSE_SIDECAR_PRIVACY_SECRET: SECRET },
      ),
    ),
  );
});

afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.stop()));
  await subscriber.close();
  await nats.stop();
});

it('hashes users identically on every node and never publishes the clear name', async () => {
  const start = (host: string) =>
    `/qseow-proxy-session/;${host};Start session;CORP;Mallory;AppAccess;/hub/;Start session for user 'CORP\\Mallory'`;
  await sendDatagrams(
    ports[0] ?? 0,
    Array.from({ length: 5 }, () => start('SENSE-NODE1')),
  );
  await sendDatagrams(ports[1] ?? 0, [start('SENSE-NODE2'), 'garbage with CORP\\Mallory in it']);
  await waitFor(
    () => subscriber.on('sense.events.').length === 6 && subscriber.on('sense.alerts.').length >= 1,
    'events and the alert',
  );
  await waitFor(() => subscriber.on('sense.rejects.').length === 1, 'the reject');
  const users = subscriber.on('sense.events.').map((m) => JSON.stringify(m.body.data['user']));
  expect(new Set(users).size).toBe(1);
  expect(users[0]).toMatch(/^\{"directory":"h:[0-9a-f]{32}","id":"h:[0-9a-f]{32}"\}$/);
  // The limit rule on NODE1 saw the real user; its alert went out hashed like everything else.
  const everything = JSON.stringify(subscriber.messages.map((m) => m.body));
  expect(everything.toLowerCase()).not.toContain('mallory');
  expect(subscriber.on('sense.rejects.')[0]?.body.data['raw']).toBe('');
});
