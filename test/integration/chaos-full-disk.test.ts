import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { durableSidecar } from '../helpers/durable-sidecar.js';
import { readStream, streamCount } from '../helpers/jetstream.js';
import { metricValue } from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Chaos: the sidecar's dataDir on a 3 MiB tmpfs while NATS is away, loaded until the
 * filesystem itself is full (ENOSPC, far below `outbox.maxBytes`). The process stays up,
 * /healthz says degraded because the disk is full, events are refused and counted from then
 * on while the alert about it is still taken, the snapshot keeps failing without harm, and once
 * NATS is back every event the outbox accepted arrives once: stored + refused = sent.
 */
const MOUNT_BYTES = 3 * 1024 * 1024;
const ROUND = 1_000;
const MAX_ROUNDS = 20;
/** Events a kill -9 on the full disk may take from memory: the unwritten buffer (64 KiB) and the turn. */
const CRASH_LOSS_BOUND = 200;

describe('chaos: the dataDir filesystem full while NATS is away', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // Small segments are deleted one by one as NATS confirms them; the default (64 MiB) is larger
  // than the whole disk, so all of it is in the segment being written. The last run is killed
  // (-9) on the full disk and must start again on it.
  const runs = [
    { segmentBytes: '256KiB', crash: false },
    { segmentBytes: '64MiB', crash: false },
    { segmentBytes: '64MiB', crash: true },
  ];
  for (const { segmentBytes, crash } of runs) {
    const title = crash
      ? `segments of ${segmentBytes}, kill -9 on the full disk: starts again on it and delivers what was written, once`
      : `segments of ${segmentBytes}: stays up, says why, refuses by priority, delivers what it accepted once`;
    it(
      title,
      async () => {
        const { nats, dataDir, udpPort, start } = await durableSidecar(cleanups, [
          `outbox: {segmentBytes: ${segmentBytes}}`,
          'state: {snapshotInterval: 1s}',
        ]);
        // The dataDir on a tmpfs of its own, mounted before the sidecar starts (cleanups run in
        // reverse: unmounted before the folder is removed).
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_BYTES}`, 'tmpfs', dataDir]);
        cleanups.push(() => {
          execFileSync('umount', ['-l', dataDir]);
        });
        let sidecar = await start();
        const metrics = async () => (await fetch(`${sidecar.httpUrl}/metrics`)).text();
        const health = async () => {
          const response = await fetch(`${sidecar.httpUrl}/healthz`);
          return { status: response.status, body: (await response.json()) as Record<string, unknown> };
        };
        await waitFor(async () => metricValue(await metrics(), 'sense_sidecar_nats_connected') === 1, 'NATS');
        await nats.stopProcess();

        // Rounds of distinct users until the filesystem refuses (each event is one unique id).
        let sent = 0;
        for (let round = 0; round < MAX_ROUNDS; round++) {
          const from = sent;
          const done = await sendDatagrams({
            host: '127.0.0.1',
            port: udpPort,
            total: ROUND,
            datagram: (i) =>
              `/qseow-proxy-session/;NODE1;Start session;CORP;d-${from + i};AppAccess;/hub/;Start session for user`,
            pacing: ratePacing(5_000, ROUND),
          });
          sent += done.sent;
          const text = await waitFor(async () => {
            const t = await metrics();
            return metricValue(t, 'sense_sidecar_datagrams_received_total') >= sent ? t : undefined;
          }, 'the round read');
          if (metricValue(text, 'sense_sidecar_outbox_refused_total{priority="event"}') > 200) break;
        }
        const full = await metrics();
        const refused = metricValue(full, 'sense_sidecar_outbox_refused_total{priority="event"}');
        expect(refused, 'events refused on the full disk').toBeGreaterThan(0);
        expect(metricValue(full, 'sense_sidecar_dropped_total{cause="outbox-full:event"}')).toBe(refused);
        // Nothing was lost anywhere else: what was not refused is what the outbox accepted.
        expect(metricValue(full, 'sense_sidecar_events_decoded_total')).toBe(sent);
        expect(metricValue(full, 'sense_sidecar_udp_kernel_drops_total')).toBe(0);

        const { status, body } = await health();
        console.log(`full disk: /healthz ${status} ${JSON.stringify(body)}`);
        expect(status).toBe(200);
        expect(body).toMatchObject({ status: 'degraded', checks: { outbox: { ok: false, diskFull: true } } });
        expect((body['checks'] as { outbox: { lastError: string } }).outbox.lastError).toContain('ENOSPC');
        // The snapshot every second fails on the full disk, counted, and the process stays up.
        await waitFor(
          async () =>
            metricValue(await metrics(), 'sense_sidecar_dropped_total{cause="state-snapshot-failed"}') > 0,
          'a failed snapshot',
        );

        if (crash) {
          await sidecar.stop('SIGKILL');
          sidecar = await start();
          expect((await health()).body).toMatchObject({ status: 'degraded' });
        }

        await nats.startProcess();
        // A kill -9 also loses what the failed writes had left in memory (see the README); a run
        // without one loses nothing.
        const accepted = sent - refused;
        const expected = crash ? accepted - CRASH_LOSS_BOUND : accepted;
        await waitFor(
          async () =>
            (await streamCount(nats.url, 'SENSE_EVENTS')) >= expected &&
            metricValue(await metrics(), 'sense_sidecar_outbox_records') === 0,
          `${expected} events in the stream and the outbox empty`,
          60_000,
        );
        const ids = (await readStream(nats.url, 'SENSE_EVENTS')).map(
          (m) => (m.body.data['user'] as { id: string }).id,
        );
        expect(new Set(ids).size, 'each once').toBe(ids.length);
        if (crash) expect(ids.length).toBeLessThanOrEqual(accepted);
        else expect(ids.length, 'stored + refused = sent').toBe(accepted);
        console.log(
          `full disk, segments of ${segmentBytes}${crash ? ', killed' : ''}: ${sent} sent, ${refused} refused, ` +
            `${ids.length} stored once each (${accepted - ids.length} lost)`,
        );

        // The alert about the full disk was taken although events were not, and arrives (unless
        // the kill took it from memory first).
        if (!crash) {
          const alert = await waitFor(
            async () =>
              (await readStream(nats.url, 'SENSE_ALERTS')).find((m) => m.body.data['key'] === 'event'),
            'the outbox-full alert for events',
          );
          expect(alert.body.data).toMatchObject({ rule: 'sidecar-outbox-full', facts: { diskFull: true } });
        }

        // Acknowledged segments were deleted: the disk has room again, the outbox is healthy, and
        // new events are taken and delivered.
        // (Acknowledged segments other than the one being written go with the next cursor write,
        // within a second of the last acknowledgement.)
        await waitFor(
          async () =>
            (await health()).body['status'] === 'ok' && statfsSync(dataDir).bavail * 4096 > MOUNT_BYTES / 2,
          'ok again, with room',
          20_000,
        );
        await sendDatagrams({
          host: '127.0.0.1',
          port: udpPort,
          total: 100,
          datagram: (i) => `/qseow-proxy-session/;NODE1;Start session;CORP;after-${i};AppAccess;/hub/;Start`,
          pacing: ratePacing(1_000, 100),
        });
        await waitFor(
          async () => (await streamCount(nats.url, 'SENSE_EVENTS')) === ids.length + 100,
          'the events after the full disk',
          20_000,
        );
        // The snapshot is written again and is whole; a clean stop exits 0.
        await waitFor(() => {
          try {
            return JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as unknown;
          } catch {
            return undefined;
          }
        }, 'a whole state.json');
        expect(await sidecar.stop('SIGTERM')).toBe(0);
        expect(readdirSync(dataDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      },
      120_000,
    );
  }
});
