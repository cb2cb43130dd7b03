import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import {
  FULL_THRESHOLDS,
  RECORD_PRIORITIES,
  type Outbox,
  type OutboxFullHook,
  type OutboxRecord,
  type RecordPriority,
} from '../../src/publish/outbox.js';
import { DiskOutbox } from '../../src/publish/outbox/disk-outbox.js';
import { frameBytes } from '../../src/publish/outbox/frame.js';

/**
 * One behaviour for every Outbox: what the publisher and the pipeline rely on. Each
 * implementation is run through the same suite; the disk one with tiny segments so that every
 * test crosses segment boundaries.
 */
interface ContractOptions {
  readonly maxBytes: number;
  readonly onFull?: OutboxFullHook;
  readonly now?: () => number;
}
type Factory = (options: ContractOptions) => Promise<Outbox>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function record(i: number, priority: RecordPriority = 'event', payloadBytes = 100): OutboxRecord {
  const payload = new Uint8Array(payloadBytes);
  for (let b = 0; b < payloadBytes; b++) payload[b] = (i * 31 + b) & 0xff;
  return {
    id: `id-${String(i).padStart(8, '0')}`,
    subject: `sense.events.HOST-${i % 7}.session.start`,
    payload,
    priority,
    appendedAt: 1_700_000_000_000 + i,
  };
}

const ids = (records: readonly OutboxRecord[]) => records.map((r) => r.id);

/** A small deterministic generator, so that failures reproduce. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function outboxContract(name: string, factory: Factory): void {
  describe(`Outbox contract: ${name}`, () => {
    const open = (options: Partial<ContractOptions> = {}) => factory({ maxBytes: 50_000_000, ...options });

    it('starts empty', async () => {
      const outbox = await open();
      expect(outbox.depth).toBe(0);
      expect(outbox.bytes).toBe(0);
      expect(outbox.oldestAppendedAt).toBeNull();
      expect(outbox.peek(10)).toEqual([]);
      expect(outbox.drops).toEqual({ status: 0, reject: 0, event: 0, alert: 0 });
      expect(outbox.healthy).toBe(true);
      expect(outbox.lastError).toBeNull();
      await outbox.whenEmpty();
    });

    it('keeps append order across wrap-around and segments, with peeks and acknowledgements interleaved', async () => {
      const outbox = await open();
      const random = lcg(42);
      const model: OutboxRecord[] = [];
      for (let i = 0; i < 2_000; i++) {
        const r = record(i, RECORD_PRIORITIES[i % 4], Math.floor(random() * 1_500));
        expect(outbox.append(r)).toBe('appended');
        model.push(r);
        if (i % 37 === 36) {
          // "Up to max": an outbox may hand out fewer than it holds (a bounded read-ahead), never none.
          const peeked = outbox.peek(50);
          expect(peeked.length).toBeGreaterThan(0);
          expect(peeked).toEqual(model.slice(0, peeked.length));
          const k = Math.floor(random() * 60);
          outbox.acknowledge(k);
          model.splice(0, k);
          expect(outbox.depth).toBe(model.length);
        }
      }
      while (model.length > 0) {
        const batch = outbox.peek(64);
        expect(batch.length).toBeGreaterThan(0);
        expect(batch).toEqual(model.slice(0, batch.length));
        outbox.acknowledge(batch.length);
        model.splice(0, batch.length);
      }
      expect(outbox.depth).toBe(0);
      expect(outbox.bytes).toBe(0);
    });

    it('peek does not remove', async () => {
      const outbox = await open();
      for (let i = 0; i < 5; i++) outbox.append(record(i));
      expect(ids(outbox.peek(3))).toEqual(ids(outbox.peek(3)));
      expect(ids(outbox.peek(100))).toEqual([
        'id-00000000',
        'id-00000001',
        'id-00000002',
        'id-00000003',
        'id-00000004',
      ]);
      expect(outbox.depth).toBe(5);
      expect(outbox.peek(0)).toEqual([]);
    });

    it('acknowledge removes the oldest; more than there is empties it; zero does nothing', async () => {
      const outbox = await open();
      for (let i = 0; i < 10; i++) outbox.append(record(i));
      outbox.acknowledge(0);
      expect(outbox.depth).toBe(10);
      outbox.acknowledge(3);
      expect(ids(outbox.peek(2))).toEqual(['id-00000003', 'id-00000004']);
      // Acknowledging more than was peeked is allowed: the oldest go.
      outbox.acknowledge(5);
      expect(ids(outbox.peek(10))).toEqual(['id-00000008', 'id-00000009']);
      outbox.acknowledge(50);
      expect(outbox.depth).toBe(0);
      expect(outbox.peek(10)).toEqual([]);
      outbox.append(record(10));
      expect(ids(outbox.peek(10))).toEqual(['id-00000010']);
    });

    it('whenNotEmpty and whenEmpty resolve at the right moments', async () => {
      const outbox = await open();
      let notEmpty = false;
      const waiting = outbox.whenNotEmpty().then(() => (notEmpty = true));
      await Promise.resolve();
      expect(notEmpty).toBe(false);
      outbox.append(record(1));
      outbox.append(record(2));
      await waiting;
      expect(notEmpty).toBe(true);
      await outbox.whenNotEmpty(); // at once while there is a record
      let empty = false;
      const emptied = outbox.whenEmpty().then(() => (empty = true));
      outbox.acknowledge(1);
      await Promise.resolve();
      await Promise.resolve();
      expect(empty).toBe(false);
      outbox.acknowledge(1);
      await emptied;
      expect(empty).toBe(true);
    });

    it('reports depth, bytes (as framed) and the oldest record time', async () => {
      const outbox = await open();
      const records = [record(1, 'event', 10), record(2, 'alert', 500), record(3, 'reject', 0)];
      for (const r of records) outbox.append(r);
      expect(outbox.depth).toBe(3);
      expect(outbox.bytes).toBe(records.reduce((sum, r) => sum + frameBytes(r), 0));
      expect(outbox.oldestAppendedAt).toBe(records[0]?.appendedAt);
      outbox.acknowledge(1);
      expect(outbox.bytes).toBe(frameBytes(records[1] ?? record(0)) + frameBytes(records[2] ?? record(0)));
      expect(outbox.oldestAppendedAt).toBe(records[1]?.appendedAt);
      outbox.acknowledge(2);
      expect(outbox.bytes).toBe(0);
      expect(outbox.oldestAppendedAt).toBeNull();
    });

    it('when full, refuses by priority with headroom kept for the higher ones, counts every refusal and tells the hook once a minute', async () => {
      const size = frameBytes(record(0, 'status', 200));
      const maxBytes = 100 * size;
      let now = 0;
      const full: RecordPriority[] = [];
      const outbox = await open({ maxBytes, now: () => now, onFull: (p) => full.push(p) });
      let i = 0;
      const fill = (priority: RecordPriority) => {
        let appended = 0;
        while (outbox.append(record(i++, priority, 200)) === 'appended') appended++;
        return appended;
      };
      // 80 % of 100 records' worth for status, then 90, 98, 100 for the others.
      expect(fill('status')).toBe(80);
      expect(fill('reject')).toBe(10);
      expect(fill('event')).toBe(8);
      expect(fill('alert')).toBe(2);
      expect(outbox.bytes).toBe(maxBytes);
      expect(outbox.append(record(i++, 'status', 200))).toBe('dropped');
      expect(outbox.append(record(i++, 'alert', 200))).toBe('dropped');
      expect(outbox.drops).toEqual({ status: 2, reject: 1, event: 1, alert: 2 });
      expect(full).toEqual(['status', 'reject', 'event', 'alert']); // once per priority within the minute
      now += 60_000;
      expect(outbox.append(record(i++, 'event', 200))).toBe('dropped');
      expect(full).toEqual(['status', 'reject', 'event', 'alert', 'event']);
      // Acknowledging makes room again, for the lowest priority only below its threshold.
      outbox.acknowledge(15);
      expect(outbox.append(record(i++, 'status', 200))).toBe('dropped'); // 85 % used
      outbox.acknowledge(10);
      expect(outbox.append(record(i++, 'status', 200))).toBe('appended'); // 75 % used
      expect(outbox.drops.status).toBe(3);
      expect(FULL_THRESHOLDS.alert).toBe(1);
    });

    it('a full hook that throws does not break appending', async () => {
      const outbox = await open({
        maxBytes: 10,
        onFull: () => {
          throw new Error('hook broke');
        },
      });
      expect(outbox.append(record(1))).toBe('dropped');
      expect(outbox.lastError).toContain('hook broke');
    });
  });
}

outboxContract('MemoryOutbox', ({ maxBytes, onFull, now }) =>
  Promise.resolve(
    new MemoryOutbox(1_000, {
      maxBytes,
      ...(onFull === undefined ? {} : { onFull }),
      ...(now === undefined ? {} : { now }),
    }),
  ),
);

const diskFactory =
  (readAhead?: { records: number; bytes: number }): Factory =>
  async ({ maxBytes, onFull, now }) => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-contract-'));
    const { outbox } = await DiskOutbox.open({
      dir,
      maxBytes,
      segmentBytes: 8 * 1024,
      fsyncIntervalMs: 60_000,
      fsyncRecords: 1_000_000,
      ...(onFull === undefined ? {} : { onFull }),
      ...(now === undefined ? {} : { now }),
      ...(readAhead === undefined ? {} : { readAhead }),
    });
    cleanups.push(async () => {
      await outbox.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return outbox;
  };

outboxContract('DiskOutbox', diskFactory());
// A read-ahead of a few records: peeks are served from the segment files and the write buffer.
outboxContract('DiskOutbox, tiny read-ahead', diskFactory({ records: 7, bytes: 2048 }));

describe('MemoryOutbox', () => {
  it('applies the same thresholds to its record count', () => {
    const outbox = new MemoryOutbox(100);
    let i = 0;
    while (outbox.append(record(i, 'status')) === 'appended') i++;
    expect(outbox.depth).toBe(80);
    while (outbox.append(record(i, 'alert')) === 'appended') i++;
    expect(outbox.depth).toBe(100);
    expect(outbox.drops).toEqual({ status: 1, reject: 0, event: 0, alert: 1 });
  });
});
