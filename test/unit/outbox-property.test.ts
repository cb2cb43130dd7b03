import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECORD_PRIORITIES, type OutboxRecord } from '../../src/publish/outbox.js';
import { DiskOutbox } from '../../src/publish/outbox/disk-outbox.js';

/**
 * Random sequences of append, peek, acknowledge, flush, clean reopen and crash (a copy of the
 * directory as it is on disk, opened instead) against a plain array. After a clean reopen the
 * pending records are exactly the unacknowledged ones in order; after a crash they are those
 * plus, in front, some of the most recently acknowledged ones (re-sent: the cursor file is
 * written at most every 50 ms) — never anything lost, reordered or made up.
 */
type Step =
  | { readonly t: 'append'; readonly n: number; readonly size: number; readonly priority: number }
  | { readonly t: 'peek'; readonly n: number }
  | { readonly t: 'ack'; readonly n: number }
  | { readonly t: 'flush' }
  | { readonly t: 'reopen' }
  | { readonly t: 'crash' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant('append' as const),
      n: fc.integer({ min: 1, max: 25 }),
      size: fc.integer({ min: 0, max: 700 }),
      priority: fc.nat(3),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({ t: fc.constant('peek' as const), n: fc.integer({ min: 1, max: 40 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ t: fc.constant('ack' as const), n: fc.integer({ min: 0, max: 40 }) }), weight: 4 },
  { arbitrary: fc.constant({ t: 'flush' as const }), weight: 1 },
  { arbitrary: fc.constant({ t: 'reopen' as const }), weight: 1 },
  { arbitrary: fc.constant({ t: 'crash' as const }), weight: 1 },
);

function makeRecord(i: number, size: number, priority: number): OutboxRecord {
  const payload = new Uint8Array(size);
  for (let b = 0; b < size; b++) payload[b] = (i + b) & 0xff;
  return {
    id: `r${i}`,
    subject: `s.${i % 5}`,
    payload,
    priority: RECORD_PRIORITIES[priority] ?? 'event',
    appendedAt: i,
  };
}

describe('DiskOutbox property', () => {
  it('keeps exactly the unacknowledged records, in order, through flushes, reopens and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 200, max: 6_000 }),
        fc.integer({ min: 1, max: 64 }),
        async (steps, segmentBytes, readAhead) => {
          const dirs: string[] = [];
          const fresh = () => {
            const dir = mkdtempSync(join(tmpdir(), 'outbox-prop-'));
            dirs.push(dir);
            return dir;
          };
          const open = async (dir: string) =>
            (
              await DiskOutbox.open({
                dir,
                maxBytes: 100 * 1024 * 1024,
                segmentBytes,
                fsyncIntervalMs: 60_000,
                fsyncRecords: 1_000_000,
                readAhead: { records: readAhead, bytes: 64 * 1024 },
              })
            ).outbox;
          let dir = fresh();
          let outbox = await open(dir);
          let model: OutboxRecord[] = [];
          /** Acknowledged records, most recent last (what a crash may bring back). */
          let acknowledged: OutboxRecord[] = [];
          let next = 0;
          try {
            for (const s of steps) {
              switch (s.t) {
                case 'append':
                  for (let k = 0; k < s.n; k++) {
                    const r = makeRecord(next++, s.size, s.priority);
                    expect(outbox.append(r)).toBe('appended');
                    model.push(r);
                  }
                  break;
                case 'peek': {
                  const peeked = outbox.peek(s.n);
                  expect(peeked.length).toBe(Math.min(s.n, model.length, readAhead));
                  expect(peeked).toEqual(model.slice(0, peeked.length));
                  break;
                }
                case 'ack': {
                  outbox.acknowledge(s.n);
                  const gone = model.splice(0, s.n);
                  acknowledged = [...acknowledged, ...gone];
                  break;
                }
                case 'flush':
                  outbox.flush();
                  break;
                case 'reopen':
                  await outbox.close();
                  outbox = await open(dir);
                  acknowledged = [];
                  break;
                case 'crash': {
                  outbox.flush();
                  const copy = fresh();
                  cpSync(dir, copy, { recursive: true });
                  await outbox.close();
                  const pending = await pendingIds(copy);
                  dir = copy;
                  outbox = await open(dir);
                  const resent = pending.length - model.length;
                  expect(resent).toBeGreaterThanOrEqual(0);
                  expect(resent).toBeLessThanOrEqual(acknowledged.length);
                  expect(pending.slice(resent)).toEqual(model.map((r) => r.id));
                  expect(pending.slice(0, resent)).toEqual(
                    acknowledged.slice(acknowledged.length - resent).map((r) => r.id),
                  );
                  model = [...acknowledged.slice(acknowledged.length - resent), ...model];
                  acknowledged = [];
                  break;
                }
              }
              expect(outbox.depth).toBe(model.length);
            }
            await outbox.close();
            expect(await pendingIds(dir)).toEqual(model.map((r) => r.id));
          } finally {
            await outbox.close();
            for (const d of dirs) rmSync(d, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** Ids of every pending record in `dir`, in order, seen through a throwaway copy opened with a wide read-ahead. */
async function pendingIds(dir: string): Promise<string[]> {
  const copy = mkdtempSync(join(tmpdir(), 'outbox-view-'));
  try {
    cpSync(dir, copy, { recursive: true });
    const { outbox } = await DiskOutbox.open({
      dir: copy,
      maxBytes: 100 * 1024 * 1024,
      segmentBytes: 1024,
      fsyncIntervalMs: 60_000,
      fsyncRecords: 1_000_000,
      readAhead: { records: 1_000_000, bytes: 1024 * 1024 * 1024 },
    });
    const ids = outbox.peek(outbox.depth).map((r) => r.id);
    expect(ids).toHaveLength(outbox.depth);
    await outbox.close();
    return ids;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
