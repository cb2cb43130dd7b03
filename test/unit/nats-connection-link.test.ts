import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { NatsLink } from '../../src/publish/nats-link.js';
import { BacklogProgress } from '../../src/publish/publisher.js';
import { waitFor } from '../helpers/wait.js';
import { captureLog } from '../helpers/capture.js';

const links: NatsLink[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) await link.close(Date.now() + 1_000);
});

/** A link whose every connection attempt fails with `error`; counts the attempts. */
function failingLink(error: Error, options: Partial<NodeConnectionOptions> = {}) {
  const { log, lines } = captureLog();
  const seen: NodeConnectionOptions[] = [];
  const link = new NatsLink({
    options: {
      servers: ['nats://sidecar:hunter2@127.0.0.1:4999'],
      reconnectTimeWait: 5,
      reconnectJitter: 0,
      ...options,
    },
    describe: 'nats://***@127.0.0.1:4999 (token from nats.token; no TLS)',
    log,
    backlog: () => 7,
    unreachableLogAfterMs: 50,
    refusedRetryMaxMs: 20,
    connect: (o) => {
      seen.push(o);
      return Promise.reject(error);
    },
  });
  links.push(link);
  return { link, lines, seen };
}

function named(name: string, message: string, code?: string): Error {
  return Object.assign(new Error(message), { name }, code === undefined ? {} : { code });
}

describe('NatsLink', () => {
  it('an unreachable server: retried forever, "not reachable" logged once with the reason', async () => {
    const { link, lines, seen } = failingLink(named('ConnectionError', 'connection refused'));
    link.start();
    await waitFor(() => seen.length >= 10, 'ten attempts');
    await waitFor(() => lines.some((l) => l.msg.startsWith('NATS is not reachable yet')), 'the warning');
    const warnings = lines.filter((l) => l.msg.startsWith('NATS is not reachable yet'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      reason: 'connection refused',
      outboxDepth: 7,
      servers: ['nats://***@127.0.0.1:4999'],
    });
    expect(link.state).toBe('connecting');
    // Each attempt is one pass over the servers: the client's silent waitOnFirstConnect is off.
    expect(seen.every((o) => o.waitOnFirstConnect === false)).toBe(true);
    expect(lines.some((l) => l.msg.startsWith('NATS refused'))).toBe(false);
  });

  it('refused credentials: logged at once as an error, the same refusal not again, no "not reachable"', async () => {
    const { link, lines, seen } = failingLink(named('AuthorizationError', 'Authorization Violation'));
    link.start();
    await waitFor(() => seen.length >= 5, 'five attempts');
    await waitFor(() => lines.some((l) => l.msg.startsWith('NATS refused')), 'the refusal');
    const refusals = lines.filter((l) => l.msg.startsWith('NATS refused'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      level: 50,
      msg: 'NATS refused the connection (Authorization Violation); check the credentials; retrying',
      connection: 'nats://***@127.0.0.1:4999 (token from nats.token; no TLS)',
      error: { type: 'AuthorizationError', message: 'Authorization Violation' },
    });
    await waitFor(() => seen.length >= 8, 'more attempts past the unreachable delay');
    expect(lines.some((l) => l.msg.startsWith('NATS is not reachable'))).toBe(false);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('a TLS failure says to check the TLS settings', async () => {
    const { link, lines } = failingLink(
      named('Error', 'unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
    );
    link.start();
    const refusal = await waitFor(() => lines.find((l) => l.msg.startsWith('NATS refused')), 'the refusal');
    expect(refusal.msg).toBe(
      'NATS refused the connection (unable to verify the first certificate); check the TLS settings; retrying',
    );
  });

  it('close() ends the retries at once, is idempotent and safe without start', async () => {
    const { link, seen } = failingLink(named('ConnectionError', 'connection refused'), {
      reconnectTimeWait: 60_000,
    });
    link.start();
    await waitFor(() => seen.length === 1, 'the first attempt');
    const started = Date.now();
    await link.close(Date.now() + 5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(link.state).toBe('closed');
    await link.close(Date.now() + 5_000);
    await expect(link.whenConnected()).resolves.toBeUndefined();
    const never = failingLink(named('ConnectionError', 'connection refused'));
    await never.link.close(Date.now() + 1_000);
    expect(never.link.state).toBe('closed');
    expect(never.seen).toHaveLength(0);
  });

  it('a connection: state connected, generation 1, listeners told', async () => {
    const { log, lines } = captureLog();
    let closed: () => void = () => undefined;
    const closedPromise = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const fake = {
      getServer: () => '127.0.0.1:4222',
      closed: () => closedPromise,
      status: async function* () {},
      isClosed: () => false,
      drain: () => {
        closed();
        return Promise.resolve();
      },
      close: () => {
        closed();
        return Promise.resolve();
      },
    } as unknown as NatsConnection;
    const link = new NatsLink({
      options: { servers: ['nats://127.0.0.1:4222'] },
      describe: 'x',
      log,
      backlog: () => 0,
      connect: () => Promise.resolve(fake),
    });
    links.push(link);
    const changes: string[] = [];
    link.onChange(() => changes.push(link.state));
    link.start();
    await link.whenConnected();
    expect(link.state).toBe('connected');
    expect(link.generation).toBe(1);
    expect(link.connection).toBe(fake);
    expect(lines.map((l) => l.msg)).toContain('connected to NATS');
    await link.close(Date.now() + 1_000);
    expect(changes).toEqual(['connected', 'closed']);
  });
});

describe('BacklogProgress', () => {
  it('reports a large backlog at most every interval, and when it is drained', () => {
    const { log, lines } = captureLog();
    const progress = new BacklogProgress(log, 1_000, 5_000);
    progress.begin(500, 0);
    progress.confirmed(500, 0, 10);
    expect(lines).toHaveLength(0);
    progress.begin(30_000, 0);
    progress.confirmed(10_000, 20_000, 1_000);
    progress.confirmed(10_000, 10_000, 5_000);
    progress.confirmed(5_000, 5_000, 6_000);
    progress.confirmed(5_000, 0, 8_000);
    expect(lines.map((l) => l.msg)).toEqual([
      'publishing a backlog of 30000 records',
      'draining backlog: 10000 left, 4000 records/s',
      'backlog drained: 30000 records in 8.0 s (3750 records/s)',
    ]);
  });
});
