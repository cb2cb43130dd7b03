import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));

/** Keeps the README's `npm run demo` true: it must show the simulated events arriving on NATS. */
it('npm run demo shows the simulated events, alerts and the dead letter arriving on NATS, and the aggregator folding them', async () => {
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
  expect(Number(sent), stdout).toBeGreaterThan(0);
  // The shipped rules drop the service account's events and alert on mallory's six sessions.
  const received = /received on NATS: (\d+) events from 11 users, 1 reject\(s\), (\d+) alert\(s\)/.exec(
    stdout,
  );
  expect(received, stdout).not.toBeNull();
  expect(Number(received?.[1])).toBeLessThan(Number(sent));
  expect(Number(received?.[2])).toBeGreaterThanOrEqual(1);
  expect(stdout).toMatch(/session\.start +SENSE-NODE\d +CORP\\mallory/);
  expect(stdout).toMatch(/alert firing +warning +parallel-session-limit: CORP\\mallory holds 5/);
  expect(stdout).not.toContain('sa_scheduler');
  // The aggregator runs too, says where, and folds every event that reached NATS.
  expect(stderr).toMatch(/aggregator on http:\/\/127\.0\.0\.1:\d+ \(page and API/);
  expect(stdout).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/ in a browser: the live page/);
  const folded = /aggregator \(http[^)]*\): (\d+) events folded; on now: (\d+) sessions/.exec(stdout);
  expect(folded, stdout).not.toBeNull();
  expect(Number(folded?.[1])).toBe(Number(received?.[1]));
  expect(Number(folded?.[2])).toBeGreaterThan(0);
  expect(stdout).toContain('unknown-prefix');
}, 60_000);
