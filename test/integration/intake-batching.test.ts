import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { Subscriber } from '../helpers/subscriber.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

// intake.batchDatagrams / intake.batchWait through the real reader thread: a datagram alone
// waits for company up to batchWait, and a full batch goes at once.
const WAIT_MS = 1_000;

function start(user: string): string {
  return `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;${user};AppAccess;/hub/;Start session for user 'CORP\\${user}'`;
}

describe('intake batching', () => {
  let nats: NatsServer | undefined;
  let subscriber: Subscriber | undefined;
  let sidecar: SidecarProcess | undefined;
  let udpPort: number;

  beforeAll(async () => {
    nats = await NatsServer.start();
    subscriber = await Subscriber.start(nats.url, 'sense.events.>');
    udpPort = await freeUdpPort();
    sidecar = await SidecarProcess.start(
      [
        `udp: {port: ${udpPort}}`,
        `nats: {servers: [${nats.url}]}`,
        'rules: {paths: []}',
        `intake: {batchDatagrams: 3, batchWait: ${WAIT_MS}ms}`,
      ].join('\n'),
    );
  });

  // Each part may be missing when beforeAll failed half-way; the rest is still stopped.
  afterAll(async () => {
    await sidecar?.stop();
    await subscriber?.close();
    await nats?.stop();
  });

  const published = (user: string) => () =>
    (subscriber?.on('sense.events.') ?? []).some(
      (m) => (m.body.data['user'] as { id?: string } | null)?.id === user,
    );

  it('hands a full batch over at once', async () => {
    const sentAt = Date.now();
    await sendDatagrams(udpPort, [start('batch1'), start('batch2'), start('batch3')]);
    await waitFor(published('batch3'), 'the third datagram of the batch on NATS');
    expect(Date.now() - sentAt).toBeLessThan(WAIT_MS / 2);
  });

  it('holds a datagram alone for batchWait, then hands it over', async () => {
    const sentAt = Date.now();
    await sendDatagrams(udpPort, [start('alone')]);
    await waitFor(published('alone'), 'the lone datagram on NATS', WAIT_MS * 3);
    const waited = Date.now() - sentAt;
    expect(waited).toBeGreaterThanOrEqual(WAIT_MS - 50);
    expect(waited).toBeLessThan(WAIT_MS * 2);
  });
});
