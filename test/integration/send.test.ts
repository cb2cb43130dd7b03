import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { buildLoad } from '../../src/simulate/load.js';
import { buildMorningScenario } from '../../src/simulate/scenario.js';
import { runSendCommand } from '../../src/cli/send-command.js';
import { waitFor as waitUntil } from '../helpers/wait.js';
import { captureText as captureStream } from '../helpers/capture.js';

/** Polls until `condition` holds or the deadline passes; never a fixed sleep. */
async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  await waitUntil(() => condition(), 'the receiver', timeoutMs, 10);
}

describe('sense-sidecar send over real UDP', () => {
  let receiver: dgram.Socket;
  let port: number;
  let received: string[];

  beforeEach(async () => {
    received = [];
    receiver = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    receiver.on('message', (message) => received.push(message.toString('utf8')));
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
    port = receiver.address().port;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) =>
      receiver.close(() => {
        resolve();
      }),
    );
  });

  test('load mode at full speed delivers every datagram of the generator', async () => {
    const stdout = captureStream();
    const stderr = captureStream();
    const code = await runSendCommand(
      ['--port', String(port), '--count', '2000', '--rate', '0', '--no-progress'],
      {
        stdout,
        stderr,
      },
    );
    expect(stderr.text()).toBe('');
    expect(code).toBe(0);
    await waitFor(() => received.length >= 2000);
    expect(received).toHaveLength(2000);

    const load = buildLoad({
      count: 2000,
      nodes: ['SENSE-NODE1', 'SENSE-NODE2'],
      users: 200,
      apps: 12,
      seed: 1,
    });
    const expected = Array.from({ length: 2000 }, (_, i) => load(i));
    expect([...received].sort()).toEqual([...expected].sort());
    expect(stdout.text()).toMatch(/sent 2,000 datagrams to 127\.0\.0\.1:\d+ in /);
  });

  test('the morning scenario arrives exactly as buildMorningScenario plans it', async () => {
    const stdout = captureStream();
    const stderr = captureStream();
    const code = await runSendCommand(
      ['--port', String(port), '--scenario', 'morning', '--speed', '10000', '--no-progress'],
      { stdout, stderr },
    );
    expect(stderr.text()).toBe('');
    expect(code).toBe(0);
    const expected = buildMorningScenario({
      nodes: ['SENSE-NODE1', 'SENSE-NODE2'],
      users: 200,
      apps: 12,
      seed: 1,
      durationMs: 30 * 60_000,
    }).map((s) => s.datagram);
    await waitFor(() => received.length >= expected.length);
    expect(received).toHaveLength(expected.length);
    expect([...received].sort()).toEqual([...expected].sort());
  });
  test('an abort stops a paced run early with exit code 130', async () => {
    const stdout = captureStream();
    const controller = new AbortController();
    receiver.on('message', () => {
      if (received.length >= 5) controller.abort();
    });
    const code = await runSendCommand(
      ['--port', String(port), '--count', '100000', '--rate', '200', '--no-progress'],
      { stdout, stderr: captureStream() },
      controller.signal,
    );
    expect(code).toBe(130);
    expect(received.length).toBeGreaterThanOrEqual(5);
    expect(received.length).toBeLessThan(100_000);
    expect(stdout.text()).toMatch(/stopped after [\d,]+ of 100,000/);
  });

  test('on a TTY the progress bar ends complete before the summary', async () => {
    const stdout = Object.assign(captureStream(), { isTTY: true });
    const code = await runSendCommand(['--port', String(port), '--count', '300', '--rate', '0'], {
      stdout,
      stderr: captureStream(),
    });
    expect(code).toBe(0);
    const lines = stdout.text().split('\n');
    expect(lines[0]).toMatch(
      /^sending 300 datagrams at full speed from SENSE-NODE1, SENSE-NODE2 to 127\.0\.0\.1:\d+$/,
    );
    const bar = lines.at(-3) ?? '';
    expect(bar.slice(bar.lastIndexOf('\r'))).toMatch(/^\r\[#{30}\] 100% 300\/300 /);
    expect(bar.endsWith('\u001b[K')).toBe(true);
    expect(lines.at(-2)).toMatch(/^sent 300 datagrams to /);
    await waitFor(() => received.length >= 300);
  });
});
