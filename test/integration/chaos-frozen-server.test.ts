import { afterAll, describe, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { readStream } from '../helpers/jetstream.js';
import { durableSidecar } from '../helpers/durable-sidecar.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Chaos: the nats-server frozen (SIGSTOP) for 20 s in the middle of a paced load, then thawed.
 * The connection stays open and says nothing, which is harder than a server that goes away:
 * the sidecar must not wait forever, must say it is degraded while it lasts, and everything
 * sent must reach the stream exactly once (counted by unique user id).
 */
const TOTAL = 6_000;
const RATE = 200;
const FREEZE_MS = 20_000;

describe('chaos: a frozen nats-server', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('is degraded while frozen, then delivers every datagram once', async () => {
    const { nats, udpPort, start } = await durableSidecar(cleanups);
    const sidecar = await start();
    await sidecar.waitForLog((l) => String(l.msg).startsWith('publishing into JetStream'), 'JetStream');
    const health = () => sidecar.health();
    expect(await health()).toBe('ok');

    // When the server was frozen (0: not yet); set by the sender's progress callback.
    const freeze = { at: 0 };
    const load = sendDatagrams({
      host: '127.0.0.1',
      port: udpPort,
      total: TOTAL,
      datagram: (i) =>
        `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;frozen-${i};AppAccess;/hub/;Start session for user`,
      pacing: ratePacing(RATE, TOTAL),
      onProgress: (p) => {
        if (freeze.at === 0 && p.sent >= RATE * 3) {
          freeze.at = Date.now();
          nats.signal('SIGSTOP');
        }
      },
    });
    await waitFor(() => freeze.at !== 0, 'the freeze');
    await waitFor(async () => (await health()) === 'degraded', 'degraded while frozen', FREEZE_MS - 2_000);
    const degradedAfter = Date.now() - freeze.at;
    // Thawed FREEZE_MS after it froze; the load goes on meanwhile and after.
    await waitFor(() => Date.now() - freeze.at >= FREEZE_MS, 'the end of the freeze', FREEZE_MS + 5_000, 200);
    nats.signal('SIGCONT');
    const sent = await load;
    expect(sent.sent).toBe(TOTAL);
    await waitFor(
      async () => (await readStream(nats.url, 'SENSE_EVENTS')).length >= TOTAL,
      `${TOTAL} events in the stream`,
      60_000,
    );
    const users = (await readStream(nats.url, 'SENSE_EVENTS'))
      .filter((m) => m.subject.includes('.events.'))
      .map((m) => (m.body.data['user'] as { id: string }).id);
    expect(users).toHaveLength(TOTAL);
    expect(new Set(users).size).toBe(TOTAL);
    await waitFor(async () => (await health()) === 'ok', 'ok again after the thaw', 30_000);
    console.log(
      `frozen nats-server: degraded after ${degradedAfter} ms; ${users.length} of ${TOTAL} once each`,
    );
  }, 120_000);
});
