import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { sendDatagrams } from '../helpers/udp.js';

// memory.idleTrimAfter in the real process, with the flags its launchers pass (--expose-gc):
// after a load and a quiet spell, one memory-reducing collection on the housekeeping tick (every
// 5 s), seen in the log and in /metrics.
const TICK_MS = 5_000;

function start(i: number): string {
  const user = `user${String(i)}`;
  return `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;${user};AppAccess;/hub/;Start session for user 'CORP\\${user}'`;
}

describe('the idle heap trim', () => {
  let nats: NatsServer | undefined;
  let sidecar: SidecarProcess | undefined;
  let udpPort = 0;

  beforeAll(async () => {
    nats = await NatsServer.start();
    udpPort = await freeUdpPort();
    sidecar = await SidecarProcess.start(
      [
        `udp: {port: ${udpPort}}`,
        `nats: {servers: [${nats.url}]}`,
        'rules: {paths: []}',
        'http: {port: 0}',
        'memory: {idleTrimAfter: 1s}',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await sidecar?.stop();
    await nats?.stop();
  });

  it('collects the heap once the node went quiet, and says so in the log and /metrics', async () => {
    const proc = sidecar;
    if (proc === undefined) throw new Error('the sidecar did not start');
    expect(proc.logs.find((l) => 'missingFlags' in l)?.['missingFlags']).toEqual([]);
    await sendDatagrams(
      udpPort,
      Array.from({ length: 2_000 }, (_, i) => start(i)),
    );
    const trimmed = await proc.waitForLog(
      (l) => l.msg === 'idle: heap trimmed',
      'the idle trim',
      3 * TICK_MS,
    );
    expect(trimmed['heapAfterMb']).toBeLessThan(trimmed['heapBeforeMb'] as number);
    const metrics = await (await fetch(`${proc.httpUrl}/metrics`)).text();
    expect(metrics).toContain('sense_sidecar_datagrams_received_total 2000');
    expect(metricValue(metrics, 'sense_sidecar_heap_trims_total')).toBe(1);
    expect(metricValue(metrics, 'sense_sidecar_heap_trim_released_bytes_total')).toBeGreaterThan(0);
    expect(metricValue(metrics, 'sense_sidecar_heap_trim_seconds_total')).toBeGreaterThan(0);
  });
});
