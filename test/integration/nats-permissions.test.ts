import { readFileSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionsBody } from '../../src/aggregate/sessions-query.js';
import { formatDatagram } from '../../src/simulate/datagram.js';
import { userEvent } from '../fixtures/aggregate/messages.js';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The shipped example of per-node NATS permissions, on a real nats-server: each sidecar may
 * publish only its own node's subjects, the aggregator only reads; and what NATS cannot see (a
 * node's payload naming another host on its own subject) the aggregator counts and drops.
 */
const EXAMPLE = readFileSync(
  new URL('../../config/nats-server.permissions.example.conf', import.meta.url),
  'utf8',
);
const NODE1 = { user: 'sense-node1', pass: 'change-me-node1' };
const AGGREGATOR = { user: 'sense-aggregator', pass: 'change-me-aggregator' };

describe('NATS permissions (config/nats-server.permissions.example.conf)', () => {
  let nats: NatsServer;
  let sidecar: SidecarProcess | undefined;
  let aggregator: AggregatorUnderTest | undefined;
  let udpPort: number;
  const clients: NatsConnection[] = [];

  /** A client as `who`, with the permission errors the server reported to it. */
  async function client(who: {
    user: string;
    pass: string;
  }): Promise<{ nc: NatsConnection; errors: string[] }> {
    const nc = await connect({ servers: nats.url, ...who });
    clients.push(nc);
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error));
    })();
    return { nc, errors };
  }

  const sessions = async (): Promise<string[]> => {
    const { body } = await (aggregator as AggregatorUnderTest).get<SessionsBody>('/api/sessions');
    return body.sessions.map((s) => `${s.host} ${s.user.id}`).sort();
  };

  /** A real datagram through the sidecar, seen by the aggregator: everything before it was handled. */
  async function through(user: string): Promise<void> {
    await sendDatagrams(udpPort, [
      formatDatagram({ kind: 'session.start', host: 'SENSE-NODE1', directory: 'CORP', userId: user }),
    ]);
    await waitFor(async () => (await sessions()).includes(`SENSE-NODE1 ${user}`), `${user} in /api/sessions`);
  }

  beforeAll(async () => {
    nats = await NatsServer.start({ jetstream: true, config: EXAMPLE });
    udpPort = await freeUdpPort();
    sidecar = await SidecarProcess.start(
      [
        'node: SENSE-NODE1',
        `udp: {port: ${udpPort}}`,
        `nats: {servers: [${nats.url}], user: ${NODE1.user}, password: ${NODE1.pass}}`,
        'rules: {paths: []}',
        'intake: {batchWait: 0ms}',
      ].join('\n'),
    );
    await sidecar.waitForLog((l) => String(l.msg).startsWith('publishing into JetStream'), 'JetStream');
    aggregator = await AggregatorUnderTest.create(nats.url, 'permissions', [], {
      SENSE_AGGREGATOR_NATS_USER: AGGREGATOR.user,
      SENSE_AGGREGATOR_NATS_PASSWORD: AGGREGATOR.pass,
    });
    await aggregator.start();
  }, 60_000);

  afterAll(async () => {
    for (const nc of clients) await nc.close();
    await aggregator?.dispose();
    await sidecar?.stop();
    await nats.stop();
  });

  it('lets a sidecar with its node user create its streams and publish its events', async () => {
    await through('alice');
    expect(await sessions()).toEqual(['SENSE-NODE1 alice']);
  });

  it("refuses a node's user on another node's subjects, and the aggregator's user on any event subject", async () => {
    const forged = (user: string) =>
      JSON.stringify(
        userEvent({
          id: `forged-${user}`,
          time: Date.now(),
          kind: 'session.start',
          host: 'SENSE-NODE2',
          user: `CORP\\${user}`,
        }),
      );
    const node1 = await client(NODE1);
    node1.nc.publish('sense.events.SENSE-NODE2.session.start', forged('mallory'));
    await node1.nc.flush();
    const agg = await client(AGGREGATOR);
    agg.nc.publish('sense.events.SENSE-NODE2.session.start', forged('trudy'));
    await agg.nc.flush();
    await waitFor(() => node1.errors.length > 0 && agg.errors.length > 0, 'both permission errors');
    expect(node1.errors.join()).toMatch(/permissions violation for publish.*sense\.events\.SENSE-NODE2/i);
    expect(agg.errors.join()).toMatch(/permissions violation for publish/i);
    await through('bob');
    expect(await sessions()).toEqual(['SENSE-NODE1 alice', 'SENSE-NODE1 bob']);
    const jsm = await jetstreamManager(agg.nc);
    expect((await jsm.streams.info('SENSE_EVENTS')).state.messages).toBe(2);
  });

  it('counts and drops a message whose payload names another host than its (permitted) subject', async () => {
    const node1 = await client(NODE1);
    const eve = userEvent({
      id: 'spoof-eve',
      time: Date.now(),
      kind: 'session.start',
      host: 'SENSE-NODE2',
      user: 'CORP\\eve',
    });
    await jetstream(node1.nc).publish('sense.events.SENSE-NODE1.session.start', JSON.stringify(eve));
    await through('carol');
    expect(await sessions()).toEqual(['SENSE-NODE1 alice', 'SENSE-NODE1 bob', 'SENSE-NODE1 carol']);
    const text = await (aggregator as AggregatorUnderTest).metrics();
    expect(metricValue(text, 'sense_aggregator_invalid_total{reason="subject-mismatch"}')).toBe(1);
  });
});
