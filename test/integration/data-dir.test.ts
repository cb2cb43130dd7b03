/**
 * A dataDir that cannot be used stops the start of both programs with the path named and exit
 * code 2, before anything is received: a wrong path, a file in its place, a read-only folder.
 * The read-only case is a real read-only mount when the tests run as root (root ignores mode
 * bits), and a folder without write permission otherwise.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeTcpPort, freeUdpPort } from '../helpers/ports.js';
import { CLI, SidecarProcess } from '../helpers/sidecar-process.js';

const root = mkdtempSync(join(tmpdir(), 'sense-datadir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Unreachable NATS and free ports: a start that goes past the dataDir check runs until it is
 * stopped (or the spawn times out) instead of exiting with 2.
 */
async function configFor(command: 'run' | 'aggregate', dataDir: string): Promise<string> {
  const http = `http:\n  port: ${await freeTcpPort()}\n`;
  const listen =
    command === 'run' ? `udp:\n  port: ${await freeUdpPort()}\n${http}rules: {paths: []}\n` : http;
  return `${listen}nats:\n  servers: [nats://127.0.0.1:1]\ndataDir: ${dataDir}\n`;
}

async function start(
  command: 'run' | 'aggregate',
  dataDir: string,
): Promise<{ status: number | null; stderr: string }> {
  const config = join(root, `${command}.yaml`);
  writeFileSync(config, await configFor(command, dataDir));
  const result = spawnSync(process.execPath, [CLI, command, '--config', config], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stderr: result.stderr };
}

/** A folder nobody may write to: a read-only tmpfs for root, mode 555 for anyone else. */
function readOnlyFolder(): { path: string; release: () => void } {
  const path = join(root, 'read-only');
  mkdirSync(path);
  if (process.getuid?.() === 0) {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', path]);
    if (mounted.status !== 0) throw new Error(`mount a read-only tmpfs: ${String(mounted.stderr)}`);
    return { path, release: () => spawnSync('umount', [path]) };
  }
  chmodSync(path, 0o555);
  return { path, release: () => chmodSync(path, 0o755) };
}

describe.each(['run', 'aggregate'] as const)('%s refuses a dataDir it cannot use', (command) => {
  it('a path whose parent does not exist: named, exit 2, nothing created', async () => {
    const dataDir = join(root, `no-such-parent-${command}`, 'data');
    const result = await start(command, dataDir);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`dataDir ${dataDir} does not exist, nor does its parent folder`);
    expect(existsSync(join(root, `no-such-parent-${command}`))).toBe(false);
  });

  it('a file where the folder should be', async () => {
    const dataDir = join(root, `a-file-${command}`);
    writeFileSync(dataDir, '');
    const result = await start(command, dataDir);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`dataDir ${dataDir} is not a folder`);
  });

  it('a read-only folder', async () => {
    const folder = readOnlyFolder();
    try {
      const result = await start(command, folder.path);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(`dataDir ${folder.path} is not writable \\((EROFS|EACCES)\\)`),
      );
    } finally {
      folder.release();
      rmSync(folder.path, { recursive: true, force: true });
    }
  });

  it('a missing folder under an existing parent is created and the start goes on', async () => {
    const dataDir = join(root, `fresh-${command}`);
    const yaml = `${await configFor(command, dataDir)}shutdown:\n  timeout: 30s\n`;
    const running = await SidecarProcess.startCommand(command, yaml);
    expect(existsSync(dataDir)).toBe(true);
    // NATS never came up: there is nothing to drain, so the stop must not sit out its timeout
    // (the aggregator once waited for a connection that could not come).
    const stopAsked = Date.now();
    expect(await running.stop()).toBe(0);
    expect(Date.now() - stopAsked).toBeLessThan(15_000);
  });
});
