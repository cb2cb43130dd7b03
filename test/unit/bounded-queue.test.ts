import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/core/bounded-queue.js';
import { MemoryOutbox } from '../../src/publish/memory-outbox.js';
import type { OutboxRecord } from '../../src/publish/outbox.js';

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

function record(id: string): OutboxRecord {
  return { id, subject: 's', payload: new Uint8Array(), priority: 'event', appendedAt: 0 };
}

describe('MemoryOutbox', () => {
  it('keeps records until acknowledged, in order, and refuses when full', async () => {
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
  });
});
