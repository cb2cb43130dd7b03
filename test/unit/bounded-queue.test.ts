import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/core/bounded-queue.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import type { OutboxRecord, RecordPriority } from '../../src/publish/outbox.js';

describe('BoundedQueue', () => {
  it('is FIFO across wrap-around and refuses past capacity', () => {
    const q = new BoundedQueue<number>(3);
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([true, true, true, false]);
    expect(q.shift()).toBe(1);
    expect(q.push(5)).toBe(true);
    expect(q.peek(10)).toEqual([2, 3, 5]);
    q.discard(2);
    expect(q.length).toBe(1);
    expect(q.shift()).toBe(5);
    expect(q.shift()).toBeUndefined();
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});

function record(id: string, priority: RecordPriority = 'alert'): OutboxRecord {
  return { id, subject: 's', payload: new Uint8Array(), priority, appendedAt: 0 };
}

// The full contract (shared with the disk outbox) is in outbox-contract.test.ts.
describe('MemoryOutbox', () => {
  it('keeps records until acknowledged, in order, and refuses when full', async () => {
    // Alerts may use the whole capacity; lower priorities stop earlier (FULL_THRESHOLDS).
    const outbox = new MemoryOutbox(2);
    let notEmpty = false;
    void outbox.whenNotEmpty().then(() => (notEmpty = true));
    expect(outbox.append(record('a'))).toBe('appended');
    expect(outbox.append(record('b'))).toBe('appended');
    expect(outbox.append(record('c'))).toBe('dropped');
    await Promise.resolve();
    expect(notEmpty).toBe(true);
    expect(outbox.peek(5).map((r) => r.id)).toEqual(['a', 'b']);
    let empty = false;
    const emptied = outbox.whenEmpty().then(() => (empty = true));
    outbox.acknowledge(1);
    await Promise.resolve();
    expect(empty).toBe(false);
    outbox.acknowledge(1);
    await emptied;
    expect(empty).toBe(true);
    expect(outbox.depth).toBe(0);
    expect(outbox.drops).toEqual({ status: 0, reject: 0, event: 0, alert: 1 });
  });

  it('keeps headroom for higher priorities', () => {
    const outbox = new MemoryOutbox(10);
    const outcomes = (priority: RecordPriority) => {
      let n = 0;
      while (outbox.append(record(`${priority}-${n}`, priority)) === 'appended') n++;
      return n;
    };
    expect([outcomes('status'), outcomes('reject'), outcomes('event'), outcomes('alert')]).toEqual([
      8, 1, 0, 1,
    ]);
  });
});
