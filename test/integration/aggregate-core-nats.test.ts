import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SessionsBody } from '../../src/aggregate/sessions-query.js';
import { formatDatagram } from '../../src/simulate/datagram.js';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

/** A NATS server without JetStream: the aggregator says so and folds from plain subscriptions. */
let nats: NatsServer;
let sidecar: SidecarProcess;
let aggregator: AggregatorUnderTest;
let udpPort: number;
const dataDir = mkdtempSync(join(tmpdir(), 'sense-agg-core-'));

beforeAll(async () => {
  nats = await NatsServer.start();
  aggregator = await AggregatorUnderTest.create(nats.url, 'agg-core');
  await aggregator.start();
  udpPort = await freeUdpPort();
  sidecar = await SidecarProcess.start(
    [
      'node: NODE-C',
      `udp: {port: ${udpPort}}`,
      `nats: {servers: [${nats.url}]}`,
      'rules: {paths: []}',
      `dataDir: ${dataDir}`,
      'http: {port: 0}',
    ].join('\n'),
  );
});

afterAll(async () => {
  await sidecar.stop();
  await aggregator.dispose();
  await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('falls back to core NATS subscriptions, says so, and still answers who is on', async () => {
  await waitFor(
    () =>
      aggregator.logs.find((l) => String(l.msg).startsWith('consuming with plain core NATS subscriptions')),
    'the fallback to be logged',
  );
  await sendDatagrams(
    udpPort,
    ['ann', 'bob', 'ann'].map((userId, i) =>
      formatDatagram({
        kind: i === 2 ? 'session.stop' : 'session.start',
        host: 'SENSE-C',
        directory: 'CORP',
        userId,
      }),
    ),
  );
  const body = await waitFor(async () => {
    const { body } = await aggregator.get<SessionsBody>('/api/sessions');
    return body.sessions.length === 1 && body.sessions[0]?.user.id === 'bob' ? body : undefined;
  }, 'bob alone on SENSE-C');
  expect(body.sessions).toEqual([
    { host: 'SENSE-C', user: { directory: 'CORP', id: 'bob' }, start: expect.any(String) as unknown },
  ]);
  expect(metricValue(await aggregator.metrics(), 'sense_aggregator_consume_mode{mode="core"}')).toBe(1);
});
