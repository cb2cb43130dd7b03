import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));

/** Keeps the README's `npm run demo` true: it must show the simulated events arriving on NATS. */
it('npm run demo shows every simulated event arriving on NATS, and the dead letter', async () => {
  const child = spawn(process.execPath, [DEMO, '--speed', '0', '--users', '10'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, stderr).toBe(0);
  const sent = /sent (\d+) datagrams/.exec(stdout)?.[1];
  expect(sent).toBeDefined();
  expect(stdout).toContain(`received on NATS: ${sent} events from 12 users, 1 reject(s)`);
  expect(stdout).toMatch(/session\.start +SENSE-NODE\d +CORP\\mallory/);
  expect(stdout).toContain('unknown-prefix');
}, 60_000);
