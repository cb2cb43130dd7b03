import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsServer } from './nats-server.js';
import { freeUdpPort } from './ports.js';
import { SidecarProcess } from './sidecar-process.js';

/**
 * The parts of the delivery tests: a real nats-server with JetStream, a dataDir that outlives
 * the sidecar, and one config (node NODE1, no rules, `extra` lines added) that `start` runs as
 * often as a test kills it. Everything is stopped and removed through `cleanups`, in reverse.
 */
export async function durableSidecar(
  cleanups: (() => Promise<void> | void)[],
  extra: readonly string[] = [],
) {
  const nats = await NatsServer.start({ jetstream: true });
  cleanups.push(() => nats.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'sense-durable-'));
  cleanups.push(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  const udpPort = await freeUdpPort();
  const config = [
    'node: NODE1',
    `udp: {port: ${udpPort}}`,
    `nats: {servers: [${nats.url}]}`,
    'rules: {paths: []}',
    `dataDir: ${dataDir}`,
    'http: {port: 0}',
    ...extra,
  ].join('\n');
  const start = async (): Promise<SidecarProcess> => {
    const sidecar = await SidecarProcess.start(config);
    cleanups.push(async () => {
      await sidecar.stop('SIGKILL');
    });
    return sidecar;
  };
  return { nats, dataDir, udpPort, config, start };
}
