import { afterAll, describe, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { mulberry32 } from '../../src/simulate/random.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { readStream } from '../helpers/jetstream.js';
import { durableSidecar } from '../helpers/durable-sidecar.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Chaos: `kill -9` of the sidecar at five moments of one paced load (drawn from a seeded
 * random source), restarted on the same dataDir each time. UDP sent while no sidecar listens is
 * lost by the kernel, and the README bounds what a kill -9 loses of what was read (the turn
 * under way); everything else must reach the stream, and nothing twice.
 */
const TOTAL = 10_000;
const RATE = 1_000;
const KILLS = 5;

describe('chaos: repeated kill -9 of the sidecar', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('five kills in one load: nothing twice, and what was read before each kill is there', async () => {
    const { nats, udpPort, start } = await durableSidecar(cleanups);
    let sidecar = await start();

    const random = mulberry32(2026);
    const killAt = Array.from({ length: KILLS }, (_, k) =>
      Math.round(((k + 0.2 + 0.6 * random()) * TOTAL) / (KILLS + 1)),
    );
    // Datagrams sent while a sidecar was listening, per incarnation: [first, last) indexes.
    const spans: [number, number][] = [];
    let spanStart = 0;
    let restarting: Promise<void> = Promise.resolve();
    let down = false;
    let latest = 0;
    const load = sendDatagrams({
      host: '127.0.0.1',
      port: udpPort,
      total: TOTAL,
      datagram: (i) => `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;k-${i};AppAccess;/hub/;Start`,
      pacing: ratePacing(RATE, TOTAL),
      onProgress: (p) => {
        latest = p.sent;
        if (down || killAt.length === 0 || p.sent < (killAt[0] ?? TOTAL)) return;
        killAt.shift();
        down = true;
        spans.push([spanStart, p.sent]);
        const dying = sidecar;
        restarting = (async () => {
          await dying.stop('SIGKILL');
          sidecar = await start();
          // From the first datagram sent after the new one said it was ready.
          spanStart = latest;
          down = false;
        })();
      },
    });
    const sent = await load;
    await restarting;
    spans.push([spanStart, sent.sent]);
    expect(spans).toHaveLength(KILLS + 1);

    await waitFor(
      async () => {
        const ids = await storedIds(nats.url);
        return spans.every(([a, b]) => ids.filter((i) => i >= a && i < b).length >= b - a - 100);
      },
      'what each incarnation read, in the stream',
      60_000,
    );
    const ids = await storedIds(nats.url);
    expect(new Set(ids).size).toBe(ids.length);
    const lost = spans.map(([a, b]) => b - a - ids.filter((i) => i >= a && i < b).length);
    console.log(
      `${KILLS} kills: ${ids.length} of ${TOTAL} stored once each; lost per incarnation ${lost.join(', ')}`,
    );
  }, 120_000);
});

/** The datagram indexes of the stored events (k-<index>). */
async function storedIds(url: string): Promise<number[]> {
  return (await readStream(url, 'SENSE_EVENTS'))
    .filter((m) => m.subject.includes('.events.'))
    .map((m) => Number((m.body.data['user'] as { id: string }).id.slice(2)));
}
