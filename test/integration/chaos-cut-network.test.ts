import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { readStream } from '../helpers/jetstream.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { IP, TestNetns } from '../helpers/netns.js';
import { freeUdpPort } from '../helpers/ports.js';
import { CLI, SidecarProcess } from '../helpers/sidecar-process.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Chaos: the sidecar in a network namespace of its own, reaching nats-server over one veth
 * pair (the link to NATS) and receiving its datagrams and health checks over another (the
 * node's own side). Under a paced load the link to NATS is cut silently for 60 s (packets
 * dropped: no reset, no unreachable error, the connection just goes quiet) and then restored.
 * The cut starts one way, NATS's answers lost while the sidecar's publishes still arrive, and
 * after 2 s takes both ways: so records are stored whose PubAcks never came, and the re-send
 * after the cut has to be de-duplicated. The sidecar must say it is degraded during the cut,
 * reconnect by itself, and every datagram sent must reach the stream exactly once (counted by
 * unique user id).
 */
const RATE = 500;
const BEFORE_CUT_S = 5;
const CUT_MS = 60_000;
const ONE_WAY_MS = 2_000;
const AFTER_CUT_S = 3;
const TOTAL = RATE * (BEFORE_CUT_S + CUT_MS / 1000 + AFTER_CUT_S);

describe('chaos: the link to NATS cut for 60 s', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('is degraded during the cut, then delivers every datagram once', async () => {
    const netns = TestNetns.create(2);
    cleanups.push(() => netns.remove());
    const [toNats, node] = netns.links as [(typeof netns.links)[0], (typeof netns.links)[0]];

    const nats = await NatsServer.start({ jetstream: true, host: toNats.outsideAddress });
    cleanups.push(() => nats.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'sense-cut-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const udpPort = await freeUdpPort();
    const sidecar = await SidecarProcess.startCommand(
      'run',
      [
        'node: NODE1',
        `udp: {host: ${node.insideAddress}, port: ${udpPort}}`,
        `nats: {servers: [${nats.url}]}`,
        'rules: {paths: []}',
        `dataDir: ${dataDir}`,
        `http: {host: ${node.insideAddress}, port: 0}`,
      ].join('\n'),
      {},
      {
        path: IP,
        args: [...netns.execArgs, process.execPath, CLI],
        env: process.env as Record<string, string>,
      },
    );
    cleanups.push(async () => {
      await sidecar.stop('SIGKILL');
    });
    await sidecar.waitForLog((l) => String(l.msg).startsWith('publishing into JetStream'), 'JetStream');
    const health = () => sidecar.health();
    expect(await health()).toBe('ok');

    const cut = { at: 0, bothWays: false };
    const load = sendDatagrams({
      host: node.insideAddress,
      port: udpPort,
      total: TOTAL,
      datagram: (i) =>
        `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;cut-${i};AppAccess;/hub/;Start session for user`,
      pacing: ratePacing(RATE, TOTAL),
      onProgress: (p) => {
        if (cut.at === 0 && p.sent >= RATE * BEFORE_CUT_S) {
          cut.at = Date.now();
          netns.cut(toNats, ['outside']);
        }
        if (!cut.bothWays && cut.at !== 0 && Date.now() - cut.at >= ONE_WAY_MS) {
          cut.bothWays = true;
          netns.cut(toNats);
        }
      },
    });
    await waitFor(() => cut.at !== 0, 'the cut', 20_000);
    await waitFor(
      async () => (await health()) === 'degraded',
      'degraded during the cut',
      CUT_MS - 5_000,
      200,
    );
    const degradedAfter = Date.now() - cut.at;
    await waitFor(() => Date.now() - cut.at >= CUT_MS, 'the end of the cut', CUT_MS + 5_000, 200);
    netns.restore(toNats);
    const restoredAt = Date.now();
    const sent = await load;
    expect(sent.sent).toBe(TOTAL);

    const events = async () =>
      (await readStream(nats.url, 'SENSE_EVENTS')).filter((m) => m.subject.includes('.events.'));
    await waitFor(async () => (await events()).length >= TOTAL, `${TOTAL} events in the stream`, 60_000, 500);
    const deliveredAfter = Date.now() - restoredAt;
    const users = (await events()).map((m) => (m.body.data['user'] as { id: string }).id);
    expect(users).toHaveLength(TOTAL);
    expect(new Set(users).size).toBe(TOTAL);
    await waitFor(async () => (await health()) === 'ok', 'ok again after the cut', 30_000, 200);
    const metrics = await (await fetch(`${sidecar.httpUrl}/metrics`)).text();
    const resent = metricValue(metrics, 'sense_sidecar_nats_duplicate_acks_total');
    // Stored during the one-way part without a PubAck: the re-send must have been dropped.
    expect(resent).toBeGreaterThan(0);
    const lost = sidecar.logs.find(
      (l) => l.msg === 'NATS connection lost; records wait in the outbox, reconnecting',
    );
    console.log(
      `cut network: degraded ${degradedAfter} ms into the cut, connection given up ` +
        `${lost === undefined ? 'never' : `${Date.parse(String(lost['time'])) - cut.at} ms into it`}; ` +
        `all ${users.length} of ${TOTAL} in the stream once each ${deliveredAfter} ms after the restore; ` +
        `${resent} re-sends dropped by the stream`,
    );
  }, 150_000);
});
