import { afterEach, describe, expect, it } from 'vitest';
import { alertNotice } from '../fixtures/aggregate/notices.js';
import { RECEIVER_DEFAULTS, type ReceiverSpec, type RouteSpec } from '../../src/config/alerting-schema.js';
import { HistoryStore } from '../../src/aggregate/history-store.js';
import { DeliveryStore } from '../../src/aggregate/receivers/delivery-store.js';
import { Forwarding } from '../../src/aggregate/receivers/forwarding.js';
import type { AlertRecord, ViewChange } from '../../src/aggregate/types.js';

const T0 = Date.parse('2026-12-07T09:00:00Z');
const receiver = (name: string, extra: Partial<ReceiverSpec> = {}): ReceiverSpec =>
  ({
    ...RECEIVER_DEFAULTS,
    name,
    type: 'webhook',
    url: { from: 'text', value: 'http://x' },
    headers: [],
    ...extra,
  }) as ReceiverSpec;
const everything: RouteSpec[] = [
  { receivers: ['a', 'b'], severities: null, rules: null, origin: 'any', continue: false },
];
const notice = (alertId: string, status: 'firing' | 'resolved', n = 1): ViewChange & AlertRecord => ({
  kind: 'alert',
  ...alertNotice(status === 'firing' ? `${alertId}-f${n}` : `${alertId}-r`, T0),
  notification: n,
});

describe('delivery queues in the history transaction', () => {
  let history: HistoryStore;
  afterEach(() => history.close());

  const setup = (receivers: ReceiverSpec[], now = { t: T0 }) => {
    const store = new DeliveryStore(history.connection);
    const woken: string[] = [];
    const forwarding = new Forwarding(
      receivers,
      everything,
      'cluster',
      store,
      () => now.t,
      (r) => woken.push(r),
    );
    forwarding.restore();
    history.onFirstRecord((alert) => forwarding.onRecorded(alert));
    return { store, forwarding, woken };
  };

  it('queues a notice once per receiver, also when it is recorded again', () => {
    history = new HistoryStore(':memory:');
    const { store, forwarding, woken } = setup([receiver('a'), receiver('b')]);
    history.record([notice('A', 'firing'), notice('A', 'resolved')]);
    history.record([notice('A', 'firing')]); // a redelivery: the history has it already
    expect(woken).toEqual(['a', 'b', 'a', 'b']);
    expect(store.queueState('a')).toEqual({ pending: 2, oldestQueuedAt: T0 });
    expect(store.head('a')?.notice).toEqual({ ...notice('A', 'firing'), kind: undefined });
    expect(forwarding.countersOf('b')).toEqual({
      queued: 2,
      droppedQueueFull: 0,
      rateLimited: 0,
      stale: 0,
    });
    const head = store.head('a');
    store.markSent(head?.seq ?? -1, T0 + 1);
    expect(store.head('a')?.notice.id).toBe('A-r');
  });

  it('writes nothing when the transaction rolls back', () => {
    history = new HistoryStore(':memory:');
    const store = new DeliveryStore(history.connection);
    const forwarding = new Forwarding(
      [receiver('a')],
      everything,
      'cluster',
      store,
      () => T0,
      () => undefined,
    );
    history.onFirstRecord((alert) => {
      forwarding.onRecorded(alert);
      throw new Error('disk full');
    });
    expect(() => history.record([notice('A', 'firing')])).toThrow('disk full');
    expect(store.queueState('a').pending).toBe(0);
    expect(history.alerts({ from: 0, to: T0 * 2, limit: 10 })).toEqual([]);
  });

  it('rate-limits firing notices, drops the resolved one of a limited episode, and restores the window', () => {
    history = new HistoryStore(':memory:');
    const limited = receiver('a', { rateLimit: { max: 1, perMs: 60_000 } });
    const now = { t: T0 };
    const first = setup([limited], now);
    history.record([
      notice('A', 'firing'),
      notice('B', 'firing'),
      notice('B', 'resolved'),
      notice('A', 'resolved'),
    ]);
    expect(first.forwarding.countersOf('a')).toEqual({
      queued: 2,
      droppedQueueFull: 0,
      rateLimited: 2,
      stale: 0,
    });
    // Reminders over the limit are counted but add no rows: one `limited` row per alert.
    history.record([notice('C', 'firing', 1), notice('C', 'firing', 2), notice('C', 'firing', 3)]);
    expect(first.forwarding.countersOf('a').rateLimited).toBe(5);
    const rows = history.connection
      .prepare(`SELECT notice_id FROM deliveries WHERE state = 'limited' ORDER BY seq`)
      .all();
    expect(rows.map((r) => r.notice_id)).toEqual(['B-f1', 'C-f1']);
    // A restart within the window: the window comes back from the queue.
    now.t = T0 + 30_000;
    const second = setup([limited], now);
    history.record([notice('G', 'firing')]);
    expect(second.forwarding.countersOf('a').rateLimited).toBe(1);
    now.t = T0 + 60_001;
    history.record([notice('D', 'firing')]);
    expect(second.forwarding.countersOf('a').queued).toBe(1);
  });

  it('drops what does not fit the queue, and a firing notice after its resolved one', () => {
    history = new HistoryStore(':memory:');
    const { forwarding, store } = setup([receiver('a', { maxQueue: 2 })]);
    history.record([
      notice('A', 'resolved'),
      notice('A', 'firing', 2),
      notice('B', 'firing'),
      notice('C', 'firing'),
    ]);
    expect(forwarding.countersOf('a')).toEqual({
      queued: 2,
      droppedQueueFull: 1,
      rateLimited: 0,
      stale: 1,
    });
    expect(store.prune(T0 + 1)).toBe(0); // pending rows are never pruned
  });
});
