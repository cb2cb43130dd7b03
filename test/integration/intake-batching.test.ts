import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { Subscriber } from '../helpers/subscriber.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

// intake.batchDatagrams / intake.batchWait through the real socket, read on the reader thread
// (the default) and on the main thread (intake.readerThread: false): a datagram alone waits for
// company up to batchWait, and a full batch goes at once.
const WAIT_MS = 1_000;

function start(user: string): string {
  return `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;${user};AppAccess;/hub/;Start session for user 'CORP\\${user}'`;
}

/**
 * A sidecar with no rules (and `extra` config lines) on a fresh core nats-server, started before
 * the tests of the describe block that calls this and stopped after them; `events()` is what
 * reached NATS.
 */
function batchingSidecar(extra: readonly string[] = []) {
  let nats: NatsServer | undefined;
  let subscriber: Subscriber | undefined;
  let sidecar: SidecarProcess | undefined;
  let udpPort = 0;

  beforeAll(async () => {
    nats = await NatsServer.start();
    subscriber = await Subscriber.start(nats.url, 'sense.events.>');
    udpPort = await freeUdpPort();
    sidecar = await SidecarProcess.start(
      [`udp: {port: ${udpPort}}`, `nats: {servers: [${nats.url}]}`, 'rules: {paths: []}', ...extra].join(
        '\n',
      ),
    );
  });

  // Each part may be missing when beforeAll failed half-way; the rest is still stopped.
  afterAll(async () => {
    await sidecar?.stop();
    await subscriber?.close();
    await nats?.stop();
  });

  return {
    send: (datagrams: readonly string[]) => sendDatagrams(udpPort, datagrams),
    events: () => subscriber?.on('sense.events.') ?? [],
  };
}

describe.each([true, false])('intake batching, readerThread: %s', (readerThread) => {
  const sidecar = batchingSidecar([
    `intake: {readerThread: ${readerThread}, batchDatagrams: 3, batchWait: ${WAIT_MS}ms}`,
  ]);

  const published = (user: string) => () =>
    sidecar.events().some((m) => (m.body.data['user'] as { id?: string } | null)?.id === user);

  it('hands a full batch over at once', async () => {
    const sentAt = Date.now();
    await sidecar.send([start('batch1'), start('batch2'), start('batch3')]);
    await waitFor(published('batch3'), 'the third datagram of the batch on NATS');
    expect(Date.now() - sentAt).toBeLessThan(WAIT_MS / 2);
  });

  it('holds a datagram alone for batchWait, then hands it over', async () => {
    const sentAt = Date.now();
    await sidecar.send([start('alone')]);
    await waitFor(published('alone'), 'the lone datagram on NATS', WAIT_MS * 3);
    const waited = Date.now() - sentAt;
    expect(waited).toBeGreaterThanOrEqual(WAIT_MS - 50);
    expect(waited).toBeLessThan(WAIT_MS * 2);
  });
});

// The defaults: batches of up to 512 gathered for up to a second, but only while datagrams
// arrive slower than intake.batchBelowRate (200/s): a busy node does not wait.
describe.each([true, false])('intake batching by default, readerThread: %s', (readerThread) => {
  const sidecar = batchingSidecar([`intake: {readerThread: ${readerThread}}`]);

  const count = () => sidecar.events().length;

  it('holds a quiet datagram for up to the default second', async () => {
    const sentAt = Date.now();
    await sidecar.send([start('quiet-default')]);
    await waitFor(() => count() === 1, 'the quiet datagram on NATS', WAIT_MS * 3);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(WAIT_MS - 50);
  });

  it('hands a busy stream over at once: 300 datagrams back to back are not held for the second', async () => {
    const users = Array.from({ length: 300 }, (_, i) => start(`busy-${i}`));
    const sentAt = Date.now();
    await sidecar.send(users);
    await waitFor(() => count() === 301, 'all 300 on NATS', WAIT_MS * 3);
    expect(Date.now() - sentAt).toBeLessThan(WAIT_MS / 2);
  });
});
