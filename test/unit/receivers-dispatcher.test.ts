import { PassThrough } from 'node:stream';
import { alertNotice } from '../fixtures/aggregate/notices.js';
import { afterEach, describe, expect, it } from 'vitest';
import { RECEIVER_DEFAULTS, type ReceiverSpec } from '../../src/config/alerting-schema.js';
import { createLogger } from '../../src/core/logger.js';
import { HistoryStore } from '../../src/aggregate/history-store.js';
import { DeliveryStore } from '../../src/aggregate/receivers/delivery-store.js';
import { ReceiverLoop } from '../../src/aggregate/receivers/dispatcher.js';
import type { AttemptFailure } from '../../src/aggregate/receivers/retry-schedule.js';
import { Redactor } from '../../src/aggregate/receivers/secrets.js';
import type { AlertRecord } from '../../src/aggregate/types.js';
import { waitFor } from '../helpers/wait.js';

const T0 = Date.parse('2026-12-07T09:00:00Z');
const spec = {
  ...RECEIVER_DEFAULTS,
  name: 'hook',
  type: 'webhook',
  giveUpAfterMs: 60_000,
} as unknown as ReceiverSpec;
const notice = (id: string): AlertRecord => alertNotice(id, T0);

/**
 * The sending loop on a real (in-memory) queue with a scripted receiver and a clock the test
 * moves: only the outcomes that need no waiting (sent, given up) are exercised here; retries
 * with their backoff run against a real server in the integration test.
 */
describe('ReceiverLoop', () => {
  let history: HistoryStore;
  let loop: ReceiverLoop;
  afterEach(async () => {
    await loop.stop(Date.now() + 1000);
    history.close();
  });

  const start = (outcomes: Record<string, AttemptFailure | null>, now: { t: number }) => {
    history = new HistoryStore(':memory:');
    const store = new DeliveryStore(history.connection);
    const sent: string[] = [];
    const out = new PassThrough();
    let logged = '';
    out.on('data', (c: Buffer) => (logged += c.toString()));
    const redactor = new Redactor();
    redactor.add('s3cret-token');
    loop = new ReceiverLoop(
      {
        spec,
        send: (n) => {
          sent.push(n.id);
          return Promise.resolve(outcomes[n.id] ?? null);
        },
      },
      store,
      { now: () => now.t },
      createLogger('info', out),
      redactor,
    );
    return { store, sent, logs: () => logged };
  };

  it('sends in queue order and gives up a permanently refused notice at once, then goes on', async () => {
    const now = { t: T0 };
    const { store, sent, logs } = start(
      { 'A-f1': { kind: 'permanent', reason: 'HTTP 400 for s3cret-token' } },
      now,
    );
    for (const id of ['A-f1', 'A-r', 'B-f1']) store.enqueue('hook', notice(id), T0, 'pending');
    loop.start();
    await waitFor(() => store.queueState('hook').pending === 0, 'the queue emptied');
    expect(sent).toEqual(['A-f1', 'A-r', 'B-f1']);
    expect(loop.counters).toEqual({ sent: 2, failedAttempts: 1, givenUp: 1 });
    expect(loop.health()).toMatchObject({ state: 'ok', lastError: 'HTTP 400 for ***' });
    expect(logs()).toContain('alert delivery given up');
    expect(logs()).not.toContain('s3cret-token');
  });

  it('gives up a notice queued longer than giveUpAfter without trying it', async () => {
    const now = { t: T0 + 60_001 };
    const { store, sent } = start({}, now);
    store.enqueue('hook', notice('A-f1'), T0, 'pending');
    store.enqueue('hook', notice('B-f1'), T0 + 30_000, 'pending');
    loop.start();
    await waitFor(() => store.queueState('hook').pending === 0, 'the queue emptied');
    expect(sent).toEqual(['B-f1']);
    expect(loop.counters).toEqual({ sent: 1, failedAttempts: 0, givenUp: 1 });
  });

  it('keeps a notice that failed for a retry at a later time, and sends it once the time has come', async () => {
    const now = { t: T0 };
    const outcomes: Record<string, AttemptFailure | null> = {
      'A-f1': { kind: 'retry', reason: 'HTTP 503', retryAfterMs: 1000 },
    };
    const { store, sent } = start(outcomes, now);
    store.enqueue('hook', notice('A-f1'), T0, 'pending');
    loop.start();
    await waitFor(() => loop.counters.failedAttempts === 1, 'a failed attempt');
    expect(store.head('hook')).toMatchObject({ attempts: 1, nextAt: T0 + 1000 });
    expect(loop.health().state).toBe('retrying');
    outcomes['A-f1'] = null;
    now.t = T0 + 1000;
    await waitFor(() => store.queueState('hook').pending === 0, 'sent after the wait', 5000);
    expect(sent).toEqual(['A-f1', 'A-f1']);
    expect(loop.health().state).toBe('ok');
  });
});
