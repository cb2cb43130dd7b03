import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SessionsBody } from '../../src/aggregate/sessions-query.js';
import { ratePacing } from '../../src/simulate/pacer.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { readStream } from '../helpers/jetstream.js';
import { metricValue } from '../helpers/metrics.js';
import { type ClusterMember, NatsCluster } from '../helpers/nats-cluster.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Chaos: a NATS cluster of three with the streams at three replicas. Under a paced load of
 * session starts (each a user of its own), `kill -9` of the server the sidecar is connected to,
 * restarted a few seconds later; then `kill -9` of whichever server leads the events stream
 * by then, restarted too. The sidecar and the aggregator must fail over by themselves, and
 * afterwards the stream (read from a server that was never killed) holds every user exactly
 * once, and the aggregator's /api/sessions is exactly the set sent.
 */
const TOTAL = 20_000;
const RATE = 1_000;
const STREAM = 'SENSE_EVENTS';
const NODE = 'NODE1';
const HOST = 'SENSE-NODE1';
/** When (datagrams sent) each fault starts and ends. */
const KILL_CONNECTED_AT = 4_000;
const RESTART_CONNECTED_AT = 8_000;
const KILL_LEADER_AT = 12_000;
const RESTART_LEADER_AT = 16_000;

describe('chaos: a NATS cluster of three', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('kill -9 of the connected server, then of the stream leader: every session once', async () => {
    const cluster = await NatsCluster.start(3);
    cleanups.push(() => cluster.stop());
    const servers = cluster.urls.join(', ');

    const dataDir = mkdtempSync(join(tmpdir(), 'sense-cluster-sidecar-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const udpPort = await freeUdpPort();
    const sidecar = await SidecarProcess.start(
      [
        `node: ${NODE}`,
        `udp: {port: ${udpPort}}`,
        `nats: {servers: [${servers}]}`,
        'jetstream: {replicas: 3}',
        'rules: {paths: []}',
        `dataDir: ${dataDir}`,
        'http: {port: 0}',
      ].join('\n'),
    );
    cleanups.push(async () => {
      await sidecar.stop('SIGKILL');
    });
    await sidecar.waitForLog((l) => String(l.msg).startsWith('publishing into JetStream'), 'JetStream');
    const created = await sidecar.waitForLog((l) => l.msg === `created JetStream stream ${STREAM}`, STREAM);
    expect(created['replicas']).toBe(3);

    const aggregator = await AggregatorUnderTest.create(servers, 'agg-chaos');
    cleanups.push(() => aggregator.dispose());
    await aggregator.start();
    await aggregator.waitForLog(
      (l) => String(l.msg).startsWith(`created durable consumer agg-chaos on ${STREAM}`),
      'the aggregator consuming',
    );
    await cluster.waitForReplicasCurrent(STREAM);

    // The faults run one after the other off the sender's progress; `faults` is their chain.
    const killed: { connected?: ClusterMember; leader?: ClusterMember } = {};
    let faults: Promise<void> = Promise.resolve();
    const step = { next: 0 };
    const plan: [number, () => Promise<void>][] = [
      [
        KILL_CONNECTED_AT,
        async () => {
          const member = await cluster.connectedTo(`sense-sidecar/${NODE}`);
          if (member === undefined) throw new Error('the sidecar is connected to no cluster member');
          killed.connected = member;
          await member.kill();
        },
      ],
      [RESTART_CONNECTED_AT, () => (killed.connected as ClusterMember).start()],
      [
        KILL_LEADER_AT,
        async () => {
          const member = cluster.member(await cluster.streamLeader(STREAM));
          killed.leader = member;
          await member.kill();
        },
      ],
      [RESTART_LEADER_AT, () => (killed.leader as ClusterMember).start()],
    ];
    const load = sendDatagrams({
      host: '127.0.0.1',
      port: udpPort,
      total: TOTAL,
      datagram: (i) =>
        `/qseow-proxy-session/;${HOST};Start session;CORP;c-${i};AppAccess;/hub/;Start session for user`,
      pacing: ratePacing(RATE, TOTAL),
      onProgress: (p) => {
        const due = plan[step.next];
        if (due === undefined || p.sent < due[0]) return;
        step.next++;
        faults = faults.then(due[1]);
      },
    });
    const sent = await load;
    await faults;
    const loadEnd = Date.now();
    expect(sent.sent).toBe(TOTAL);
    expect(step.next).toBe(plan.length);
    const { connected, leader } = killed as Required<typeof killed>;

    // The stream as a server that was never killed has it.
    const witness = cluster.members.find((m) => m !== connected && m !== leader) as ClusterMember;
    const events = async () =>
      (await readStream(witness.url, STREAM)).filter((m) => m.subject.includes('.events.'));
    await waitFor(async () => (await events()).length >= TOTAL, `${TOTAL} events in the stream`, 60_000, 500);
    const streamAfter = Date.now() - loadEnd;
    const stored = await events();
    const users = stored.map((m) => (m.body.data['user'] as { id: string }).id);
    expect(users).toHaveLength(TOTAL);
    expect(new Set(users).size).toBe(TOTAL);
    expect(new Set(stored.map((m) => m.msgId)).size).toBe(TOTAL);

    // The aggregator shows exactly the sessions sent, each once.
    const expected = Array.from({ length: TOTAL }, (_, i) => `${HOST} CORP\\c-${i}`).sort();
    const rows = async (): Promise<string[]> =>
      (await aggregator.get<SessionsBody>('/api/sessions')).body.sessions
        .map((s) => `${s.host} ${s.user.directory}\\${s.user.id}`)
        .sort();
    let last: string[] = [];
    await waitFor(
      async () => {
        last = await rows();
        return last.length >= TOTAL;
      },
      `${TOTAL} sessions in /api/sessions`,
      60_000,
      500,
    ).catch((error: unknown) => {
      expect(last.length, String(error)).toBe(TOTAL);
    });
    const sessionsAfter = Date.now() - loadEnd;
    expect(last).toEqual(expected);

    const reconnects = sidecar.logs.filter((l) => l.msg === 'NATS connection back; publishing the backlog');
    expect(reconnects.length).toBeGreaterThanOrEqual(1);
    const sidecarMetrics = await (await fetch(`${sidecar.httpUrl}/metrics`)).text();
    const resent = metricValue(sidecarMetrics, 'sense_sidecar_nats_duplicate_acks_total');
    const retries = metricValue(sidecarMetrics, 'sense_sidecar_publish_retries_total');
    const folded = metricValue(
      await aggregator.metrics(),
      'sense_aggregator_messages_total{outcome="duplicate"}',
    );
    console.log(
      `NATS cluster: killed ${connected.name} (the sidecar's) and ${leader.name} (stream leader); ` +
        `sidecar reconnected ${reconnects.length}x, sent again from the first unconfirmed ${retries}x, ` +
        `${resent} re-sends dropped by the stream, ${folded} redeliveries ignored by the aggregator; ` +
        `${users.length} of ${TOTAL} in the stream once each ${streamAfter} ms after the load, ` +
        `${last.length} sessions in the aggregator ${sessionsAfter} ms after it`,
    );
  }, 120_000);
});
