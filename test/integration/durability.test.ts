import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { readStream, streamCount } from '../helpers/jetstream.js';
import { durableSidecar } from '../helpers/durable-sidecar.js';
import { waitFor } from '../helpers/wait.js';

/**
 * "Nothing lost": the durable outbox and JetStream, with a real nats-server (JetStream in a temp
 * dir) and the real sidecar process. Counts are asserted exactly on the stream.
 */
const HOSTS = ['SENSE-NODE1', 'SENSE-NODE2'];
const datagram = (tag: string) => (i: number) =>
  `/qseow-proxy-session/;${HOSTS[i % 2] ?? ''};Start session;CORP;${tag}-${i};AppAccess;/hub/;Start session for user`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The delivery tests' parts (durable-sidecar.ts), with status and snapshots every second. */
const setup = (extra: string[] = []) =>
  durableSidecar(cleanups, ['status: {interval: 1s}', 'state: {snapshotInterval: 1s}', ...extra]);

const send = (port: number, total: number, rate: number, tag: string) =>
  sendDatagrams({ host: '127.0.0.1', port, total, datagram: datagram(tag), pacing: ratePacing(rate, total) });

/** User ids of the stored events, in stream order. */
async function storedUsers(url: string): Promise<string[]> {
  const messages = await readStream(url, 'SENSE_EVENTS');
  return messages
    .filter((m) => m.subject.includes('.events.'))
    .map((m) => (m.body.data['user'] as { id: string }).id);
}

describe('durable delivery', () => {
  it('20,000 datagrams while nats-server is stopped all arrive once it is back, in order per host, none twice', async () => {
    const { nats, udpPort, start } = await setup();
    const sidecar = await start();
    await waitFor(
      async () =>
        (await streamCount(nats.url, 'SENSE_EVENTS')) === 0 &&
        sidecar.logs.some((l) => String(l.msg).includes('JetStream')),
      'streams ready',
    );
    await nats.stopProcess();
    const sent = await send(udpPort, 20_000, 10_000, 'outage');
    expect(sent.sent).toBe(20_000);
    await nats.startProcess();
    await waitFor(
      async () => (await streamCount(nats.url, 'SENSE_EVENTS')) >= 20_000,
      '20,000 events in the stream',
      60_000,
    );
    const users = await storedUsers(nats.url);
    expect(users).toHaveLength(20_000);
    expect(new Set(users).size).toBe(20_000);
    for (const host of [0, 1]) {
      const order = users.map((u) => Number(u.split('-')[1])).filter((i) => i % 2 === host);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  }, 120_000);

  it('kill -9 during a paced load: after a restart every record reaches the stream exactly once, and session counts resume', async () => {
    const { nats, udpPort, start } = await setup();
    const first = await start();
    let sentBeforeKill = 0;
    const load = sendDatagrams({
      host: '127.0.0.1',
      port: udpPort,
      total: 6_000,
      datagram: datagram('load'),
      pacing: ratePacing(2_000, 6_000),
      onProgress: (p) => {
        if (p.sent >= 3_000 && sentBeforeKill === 0) {
          sentBeforeKill = p.sent;
          void first.stop('SIGKILL');
        }
      },
    });
    await load;
    const second = await start();
    await send(udpPort, 1_000, 2_000, 'after');
    const expectedAfter = 1_000;
    await waitFor(
      async () => {
        const users = await storedUsers(nats.url);
        return users.filter((u) => u.startsWith('after-')).length === expectedAfter;
      },
      'the events sent after the restart',
      30_000,
    );
    const users = await storedUsers(nats.url);
    expect(new Set(users).size).toBe(users.length); // none twice
    const before = users.filter((u) => u.startsWith('load-')).map((u) => Number(u.split('-')[1]));
    // Everything read before the kill is there: a gapless prefix of what was sent before it.
    const sorted = [...before].sort((a, b) => a - b);
    expect(sorted).toEqual(sorted.map((_, i) => i));
    expect(sorted.length).toBeGreaterThan(sentBeforeKill - 200);
    console.log(`kill -9 after ${sentBeforeKill} sent: ${sorted.length} of them in the stream`);
    const restored = await second.waitForLog(
      (l) => l.msg === 'live state restored from the last snapshot',
      'the state restore',
    );
    expect(Number(restored['sessions'])).toBeGreaterThan(0);
  }, 120_000);

  it('a corrupted segment: the sidecar starts, reports the bad records and delivers the rest', async () => {
    const { nats, dataDir, udpPort, start } = await setup();
    const first = await start();
    await nats.stopProcess();
    await send(udpPort, 1_000, 5_000, 'seg');
    await first.waitForLog(() => true, 'anything');
    expect(await first.stop('SIGTERM')).toBe(0);
    const outboxDir = join(dataDir, 'outbox');
    const segment =
      readdirSync(outboxDir)
        .filter((f) => f.startsWith('segment-'))
        .sort()[0] ?? '';
    const bytes = readFileSync(join(outboxDir, segment));
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    writeFileSync(join(outboxDir, segment), bytes);
    await nats.startProcess();
    const second = await start();
    const report = await second.waitForLog((l) => Number(l['corrupt'] ?? 0) > 0, 'the corrupt-record report');
    expect(readdirSync(join(outboxDir, 'quarantine')).length).toBeGreaterThan(0);
    await waitFor(
      async () => (await storedUsers(nats.url)).length > 0,
      'delivery of the good records',
      30_000,
    );
    const users = await storedUsers(nats.url);
    const ids = users.map((u) => Number(u.split('-')[1])).sort((a, b) => a - b);
    expect(ids).toEqual(ids.map((_, i) => i)); // the good prefix, in order
    expect(ids.length).toBeLessThan(1_000);
    // Every event that did not arrive is among the records reported as set aside.
    expect(1_000 - ids.length).toBeLessThanOrEqual(Number(report['corrupt']));
  }, 120_000);
});
