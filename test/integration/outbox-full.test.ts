import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { readStream } from '../helpers/jetstream.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { metricValue } from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';

let nats: NatsServer;
let sidecar: SidecarProcess;
let dataDir: string;
let udpPort: number;
let metricsUrl: string;

beforeAll(async () => {
  nats = await NatsServer.start({ jetstream: true });
  dataDir = mkdtempSync(join(tmpdir(), 'sense-full-'));
  udpPort = await freeUdpPort();
  sidecar = await SidecarProcess.start(
    [
      'node: NODE1',
      `udp: {port: ${udpPort}}`,
      `nats: {servers: [${nats.url}]}`,
      'rules: {paths: []}',
      `dataDir: ${dataDir}`,
      'http: {port: 0}',
      'outbox: {maxBytes: 1MiB, segmentBytes: 64KiB}',
    ].join('\n'),
  );
  const ready = await sidecar.waitForLog((l) => l.msg === 'sense-sidecar ready', 'ready');
  metricsUrl = `${String(ready['http'])}/metrics`;
  await sidecar.waitForLog(
    (l) => String(l.msg).includes('connected to NATS') || String(l.msg).includes('JetStream'),
    'NATS',
  );
});

afterAll(async () => {
  await sidecar.stop();
  await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('when the outbox is full it drops rejects first, keeps room for events and alerts, counts and alerts', async () => {
  await nats.stopProcess();
  const send = (total: number, text: (i: number) => string) =>
    sendDatagrams({
      host: '127.0.0.1',
      port: udpPort,
      total,
      datagram: text,
      pacing: ratePacing(5_000, total),
    });
  // Rejects first, more than 90 % of the outbox can hold: the later ones are refused…
  await send(4_000, (i) => `garbage datagram number ${i} ${'x'.repeat(200)}`);
  // …while events still fit in the headroom kept for them.
  await send(
    500,
    (i) => `/qseow-proxy-session/;NODE1;Start session;CORP;u${i};AppAccess;/hub/;Start session for user`,
  );
  await sidecar.waitForLog((l) => String(l.msg).startsWith('outbox full'), 'the outbox-full log');

  const text = await (await fetch(metricsUrl)).text();
  const refusedRejects = metricValue(text, 'sense_sidecar_outbox_refused_total{priority="reject"}');
  const refusedEvents = metricValue(text, 'sense_sidecar_outbox_refused_total{priority="event"}');
  expect(refusedRejects).toBeGreaterThan(0);
  // Events were still taken after rejects were refused (the headroom between 90 % and 98 %).
  expect(refusedEvents).toBeLessThan(500);
  expect(metricValue(text, 'sense_sidecar_dropped_total{cause="outbox-full:reject"}')).toBe(refusedRejects);
  expect(metricValue(text, 'sense_sidecar_outbox_bytes')).toBeLessThanOrEqual(1024 * 1024);

  await nats.startProcess();
  const expected = 500 - refusedEvents + 4_000 - refusedRejects;
  await waitFor(
    async () => (await readStream(nats.url, 'SENSE_EVENTS')).length >= expected,
    'the backlog',
    60_000,
  );
  // Exactly what was not refused arrives: the counts account for every datagram.
  const stored = await readStream(nats.url, 'SENSE_EVENTS');
  expect(stored.filter((m) => m.subject.includes('.events.'))).toHaveLength(500 - refusedEvents);
  expect(stored.filter((m) => m.subject.includes('.rejects.'))).toHaveLength(4_000 - refusedRejects);
  expect(metricValue(text, 'sense_sidecar_dropped_total{cause="outbox-full:event"}')).toBe(refusedEvents);
  const alerts = await waitFor(async () => {
    const got = await readStream(nats.url, 'SENSE_ALERTS');
    return got.length > 0 ? got : undefined;
  }, 'the outbox-full alert');
  expect(alerts[0]?.subject).toBe('sense.alerts.NODE1.critical.sidecar-outbox-full');
  expect(alerts[0]?.body.data).toMatchObject({ rule: 'sidecar-outbox-full', key: 'reject' });
}, 120_000);
