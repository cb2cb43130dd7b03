import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboxRecord, RecordPriority } from '../../src/publish/outbox.js';
import { DiskOutbox, type DiskOutboxOptions } from '../../src/publish/outbox/disk-outbox.js';
import { checkFrame, decodeFrame, encodeFrame, frameBytes } from '../../src/publish/outbox/frame.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-disk-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const pad = (i: number) => String(i).padStart(4, '0');

/** Lets the current event-loop turn end (its immediates, where the outbox writes and syncs). */
const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves once `check()` holds; fails after five seconds of turns (never a fixed sleep). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 5 s');
    await endOfTurn();
  }
}

/** Records of one size for a given payload size, so that offsets can be computed. */
function record(i: number, priority: RecordPriority = 'event', payloadBytes = 200): OutboxRecord {
  const payload = new TextEncoder().encode(JSON.stringify({ i: pad(i), pad: 'x'.repeat(payloadBytes) }));
  return {
    id: `id-${pad(i)}`,
    subject: `sense.events.H${i % 3}.session.start`,
    payload,
    priority,
    appendedAt: 1_000 + i,
  };
}

async function open(dir: string, options: Partial<DiskOutboxOptions> = {}) {
  const opened = await DiskOutbox.open({
    dir,
    maxBytes: 64 * 1024 * 1024,
    segmentBytes: 4096,
    fsyncIntervalMs: 60_000,
    fsyncRecords: 1_000_000,
    ...options,
  });
  cleanups.push(() => opened.outbox.close().catch(() => undefined));
  return opened;
}

/** Ids of everything pending, in order, acknowledging nothing (the default read-ahead holds it all here). */
function all(outbox: DiskOutbox): string[] {
  return outbox.peek(1_000_000).map((r) => r.id);
}

const segmentFiles = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile() && /^segment-\d{20}\.log$/.test(f.name))
    .map((f) => f.name)
    .sort();
const quarantineFiles = (dir: string) =>
  existsSync(join(dir, 'quarantine')) ? readdirSync(join(dir, 'quarantine')).sort() : [];
const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => `id-${pad(from + k)}`);

describe('frame encoding', () => {
  it('round-trips a record and detects any flipped byte', () => {
    const r: OutboxRecord = {
      id: 'évènement-1',
      subject: 'sense.alerts.NODE1.high.rule-1',
      payload: new Uint8Array([0, 1, 2, 255]),
      priority: 'alert',
      appendedAt: 1_712_345_678_901.5,
    };
    const size = frameBytes(r);
    const buffer = Buffer.alloc(size);
    expect(encodeFrame(r, buffer, 0)).toBe(size);
    expect(checkFrame(buffer, 0, size)).toEqual({ ok: true, size });
    expect(decodeFrame(buffer, 0, size)).toEqual(r);
    expect(checkFrame(buffer, 0, size - 1)).toMatchObject({ ok: false, incomplete: true, size });
    for (let at = 0; at < size; at++) {
      const copy = Buffer.from(buffer);
      copy[at] = (copy[at] ?? 0) ^ 0x10;
      expect(checkFrame(copy, 0, size).ok).toBe(false);
    }
  });
});

describe('DiskOutbox', () => {
  it('a status record arms no fdatasync of its own; the next event syncs it with itself at the end of its turn', async () => {
    let now = 0;
    const { outbox } = await open(tempDir(), { fsyncIntervalMs: 100, now: () => now });
    // Only setTimeout is faked: the sync timer is the one the policy arms (the write is an immediate).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    cleanups.push(() => {
      vi.useRealTimers();
    });
    for (let i = 0; i < 3; i++) outbox.append(record(i, 'status'));
    outbox.flush();
    expect(vi.getTimerCount()).toBe(0);
    // No fsync for 100 ms: this one is synced in the turn that writes it, without a timer.
    outbox.append(record(3, 'event'));
    expect(vi.getTimerCount()).toBe(0);
    await endOfTurn();
    // 40 ms after that round began: it waits for the 60 ms left of the interval.
    now = 40;
    outbox.append(record(4, 'event'));
    expect(vi.getTimerCount()).toBe(1);
    vi.useRealTimers();
    await outbox.sync();
    expect(all(outbox)).toEqual(range(0, 5));
  });

  it('acknowledged status records alone write the cursor every five minutes; an event brings it back to two seconds', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      fn: () => void,
      ms?: number,
    ): NodeJS.Timeout => {
      delays.push(ms ?? 0);
      return real(fn, ms);
    }) as typeof setTimeout);
    cleanups.push(() => {
      spy.mockRestore();
    });
    outbox.append(record(0, 'status'));
    outbox.append(record(1, 'status'));
    outbox.acknowledge(2);
    expect(delays).toEqual([300_000]);
    outbox.append(record(2, 'event'));
    outbox.acknowledge(1);
    // no sync timer (the event is synced at the end of its turn), then the cursor brought forward
    expect(delays).toEqual([300_000, 2_000]);
    spy.mockRestore();
    await outbox.persistCursor();
    expect(JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8'))).toMatchObject({ acknowledged: 3 });
  });

  it('the cursor rides on the next fsync round once its last write is 800 ms old, and its timer never fires', async () => {
    const dir = tempDir();
    let now = 0;
    const { outbox } = await open(dir, { fsyncIntervalMs: 100, now: () => now });
    // Faked and never advanced: the cursor's own two-second timer cannot write it here.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    cleanups.push(() => {
      vi.useRealTimers();
    });
    const acknowledgedOnDisk = () =>
      existsSync(join(dir, 'cursor.json'))
        ? (JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8')) as { acknowledged: number })
            .acknowledged
        : null;
    outbox.append(record(0));
    await outbox.sync();
    outbox.acknowledge(1);
    expect(acknowledgedOnDisk()).toBe(0);

    now = 500; // a quiet node's next round: write, fsync, and the cursor with them
    outbox.append(record(1));
    outbox.flush(); // as the worker does before it waits: the sync must not go with the write's immediate
    await endOfTurn();
    await until(() => acknowledgedOnDisk() === 1);

    outbox.acknowledge(1);
    now = 1_000; // 500 ms after the cursor's last write: this round leaves it to later
    outbox.append(record(2));
    await endOfTurn();
    await outbox.sync();
    expect(acknowledgedOnDisk()).toBe(1);

    now = 1_400; // 900 ms after it: it rides
    outbox.append(record(3));
    outbox.flush();
    await endOfTurn();
    await until(() => acknowledgedOnDisk() === 2);
    expect(all(outbox)).toEqual(['id-0002', 'id-0003']);
  });

  it('reopened after close, resumes exactly the unacknowledged records in order', async () => {
    const dir = tempDir();
    const first = await open(dir);
    expect(first.report).toEqual({ recovered: 0, corrupt: 0, corruptBytes: 0, quarantined: [], notes: [] });
    for (let i = 0; i < 10; i++) first.outbox.append(record(i, 'event', i % 500));
    expect(segmentFiles(dir).length).toBe(0); // nothing written yet: buffered until flush or 64 KiB
    for (let i = 10; i < 300; i++) first.outbox.append(record(i, 'event', i % 500));
    await first.outbox.close();
    expect(segmentFiles(dir).length).toBeGreaterThan(10);

    const second = await open(dir);
    expect(second.report.recovered).toBe(300);
    expect(second.outbox.depth).toBe(300);
    const records = second.outbox.peek(1_000);
    expect(records.map((r) => r.id)).toEqual(range(0, 300));
    expect(records[7]).toEqual(record(7, 'event', 7));
    expect(second.outbox.oldestAppendedAt).toBe(1_000);
  });

  it('reopened after acknowledging some, resumes after them', async () => {
    const dir = tempDir();
    const first = await open(dir);
    for (let i = 0; i < 200; i++) first.outbox.append(record(i));
    first.outbox.flush();
    first.outbox.acknowledge(123);
    await first.outbox.close();

    const second = await open(dir);
    expect(second.report.recovered).toBe(77);
    expect(all(second.outbox)).toEqual(range(123, 200));
    expect(second.outbox.stats().acknowledged).toBe(123);
    second.outbox.acknowledge(7);
    second.outbox.append(record(200));
    await second.outbox.close();

    const third = await open(dir);
    expect(all(third.outbox)).toEqual(range(130, 201));
    expect(third.outbox.stats().acknowledged).toBe(130);
  });

  it('rolls segments over at segmentBytes and deletes those wholly acknowledged', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    const size = frameBytes(record(0));
    const perSegment = Math.floor(4096 / size);
    for (let i = 0; i < perSegment * 5; i++) outbox.append(record(i));
    outbox.flush();
    const files = segmentFiles(dir);
    expect(files).toHaveLength(5);
    for (const file of files) expect(statSync(join(dir, file)).size).toBe(perSegment * size);

    outbox.acknowledge(perSegment * 2 + 1); // two segments and one record of the third
    await outbox.persistCursor();
    expect(segmentFiles(dir)).toEqual(files.slice(2));
    outbox.acknowledge(perSegment * 3);
    await outbox.persistCursor();
    // The last segment is still the one being written: it stays until it is full and acknowledged.
    expect(segmentFiles(dir)).toEqual(files.slice(4));
    expect(outbox.depth).toBe(0);
    for (let i = 0; i < perSegment + 1; i++) outbox.append(record(i));
    outbox.flush();
    outbox.acknowledge(perSegment + 1);
    await outbox.persistCursor();
    expect(segmentFiles(dir)).toHaveLength(1);
  });

  it('a record larger than segmentBytes gets a segment of its own', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    outbox.append(record(1, 'event', 10));
    outbox.append(record(2, 'event', 10_000));
    outbox.append(record(3, 'event', 10));
    await outbox.close();
    expect(segmentFiles(dir)).toHaveLength(3);
    const again = await open(dir);
    expect(all(again.outbox)).toEqual(range(1, 4));
  });

  it('a torn tail (a crash mid-write): the good records come back, the tail is counted and quarantined, open does not throw', async () => {
    const dir = tempDir();
    const first = await open(dir, { segmentBytes: 1024 * 1024 });
    for (let i = 0; i < 50; i++) first.outbox.append(record(i));
    await first.outbox.close();
    const [segment] = segmentFiles(dir);
    const path = join(dir, segment ?? '');
    const size = statSync(path).size;
    truncateSync(path, size - 5);

    const second = await open(dir, { segmentBytes: 1024 * 1024 });
    expect(second.report.recovered).toBe(49);
    expect(second.report.corrupt).toBe(1);
    expect(second.report.corruptBytes).toBe(frameBytes(record(49)) - 5);
    expect(second.report.quarantined).toHaveLength(1);
    expect(second.report.notes.join('\n')).toMatch(/torn record/);
    const bad = quarantineFiles(dir);
    expect(bad).toEqual([`${(segment ?? '').replace('.log', '')}-${size - frameBytes(record(49))}.bad`]);
    expect(statSync(path).size).toBe(size - frameBytes(record(49)));
    expect(all(second.outbox)).toEqual(range(0, 49));
    // It goes on working, and the next open finds nothing wrong.
    second.outbox.append(record(50));
    await second.outbox.close();
    const third = await open(dir, { segmentBytes: 1024 * 1024 });
    expect(third.report.corrupt).toBe(0);
    expect(all(third.outbox)).toEqual([...range(0, 49), ...range(50, 51)]);
  });

  it('a flipped byte in an early segment: records before it stay, the rest of that segment is set aside, later segments stay', async () => {
    const dir = tempDir();
    const first = await open(dir);
    for (let i = 0; i < 100; i++) first.outbox.append(record(i));
    await first.outbox.close();
    const files = segmentFiles(dir);
    const perSegment = Math.floor(4096 / frameBytes(record(0)));
    expect(files.length).toBeGreaterThan(3);
    const path = join(dir, files[1] ?? '');
    const bytes = readFileSync(path);
    const recordSize = frameBytes(record(0));
    // A byte in the payload of the second record of the second segment.
    const at = recordSize + 100;
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    writeFileSync(path, bytes);

    const second = await open(dir);
    const lost = perSegment - 1; // the bad record and the rest of its segment
    expect(second.report.corrupt).toBe(lost);
    expect(second.report.recovered).toBe(100 - lost);
    expect(second.report.corruptBytes).toBe(bytes.length - recordSize);
    expect(second.report.notes.join('\n')).toMatch(/checksum mismatch/);
    expect(quarantineFiles(dir)).toEqual([`${(files[1] ?? '').replace('.log', '')}-${recordSize}.bad`]);
    expect(statSync(join(dir, 'quarantine', quarantineFiles(dir)[0] ?? '')).size).toBe(
      bytes.length - recordSize,
    );
    expect(segmentFiles(dir)).toEqual(files);
    expect(all(second.outbox)).toEqual([...range(0, perSegment + 1), ...range(2 * perSegment, 100)]);
  });

  it('garbage in the directory: unknown files are left alone and reported, a garbage segment is quarantined whole', async () => {
    const dir = tempDir();
    const first = await open(dir);
    for (let i = 0; i < 20; i++) first.outbox.append(record(i));
    await first.outbox.close();
    const files = segmentFiles(dir);
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    mkdirSync(join(dir, 'segment-00000000000000000999.log')); // a directory with a segment's name
    writeFileSync(join(dir, 'cursor.json.tmp'), '{"half');
    const garbage = Buffer.alloc(3000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) & 0xff;
    const garbageName = 'segment-00000000000000000500.log';
    writeFileSync(join(dir, garbageName), garbage);
    writeFileSync(join(dir, 'segment-00000000000000000501.log'), ''); // empty: a crash right after creating it

    const second = await open(dir);
    expect(second.report.recovered).toBe(20);
    expect(second.report.corrupt).toBeGreaterThanOrEqual(1);
    expect(second.report.corruptBytes).toBe(3000);
    expect(quarantineFiles(dir)).toEqual(['segment-00000000000000000500-0.bad']);
    expect(second.report.notes.join('\n')).toContain('notes.txt');
    expect(second.report.notes.join('\n')).toContain('segment-00000000000000000999.log');
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    expect(existsSync(join(dir, 'cursor.json.tmp'))).toBe(false);
    expect(segmentFiles(dir)).toEqual(files);
    expect(all(second.outbox)).toEqual(range(0, 20));
    // New records go after every segment seen, garbage included.
    second.outbox.append(record(20));
    second.outbox.flush();
    expect(segmentFiles(dir).at(-1)).toBe('segment-00000000000000001000.log');
  });

  it('an unusable cursor file is quarantined and everything on disk is sent again', async () => {
    const dir = tempDir();
    const first = await open(dir);
    for (let i = 0; i < 30; i++) first.outbox.append(record(i));
    first.outbox.acknowledge(10);
    await first.outbox.close();
    writeFileSync(join(dir, 'cursor.json'), '{"version":1,"segment":"x"');

    let now = 1234;
    const second = await open(dir, { now: () => now++ });
    expect(second.report.notes.join('\n')).toMatch(/cursor file was unusable/);
    expect(quarantineFiles(dir)).toEqual(['cursor-1234.bad']);
    // The segments still on disk are re-sent from their start (the duplicate window drops repeats).
    const ids = all(second.outbox);
    expect(ids.slice(-20)).toEqual(range(10, 30));
    expect(ids.length).toBeGreaterThan(20);
  });

  it('kill -9: a copy of the directory as left after flush() holds every flushed record; unflushed ones are the only loss', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    for (let i = 0; i < 500; i++) outbox.append(record(i));
    outbox.flush();
    for (let i = 500; i < 510; i++) outbox.append(record(i)); // buffered in the process only
    const crashed = tempDir();
    cpSync(dir, crashed, { recursive: true }); // what the disk holds when the process dies now
    const after = await open(crashed);
    expect(after.report.corrupt).toBe(0);
    expect(after.report.recovered).toBe(500);
    expect(all(after.outbox)).toEqual(range(0, 500));
  });

  it('kill -9 after acknowledgements: records acknowledged since the last cursor write are sent again, none lost', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    for (let i = 0; i < 300; i++) outbox.append(record(i));
    outbox.flush();
    outbox.acknowledge(100);
    await outbox.persistCursor();
    outbox.acknowledge(50); // not yet in the cursor file
    const crashed = tempDir();
    cpSync(dir, crashed, { recursive: true });
    const after = await open(crashed);
    expect(all(after.outbox)).toEqual(range(100, 300));
  });

  it('maxBytes holds across a restart: the pending bytes count against it', async () => {
    const dir = tempDir();
    const size = frameBytes(record(0));
    const first = await open(dir, { maxBytes: 100 * size });
    let i = 0;
    while (first.outbox.append(record(i, 'event')) === 'appended') i++;
    expect(i).toBe(98);
    await first.outbox.close();
    const second = await open(dir, { maxBytes: 100 * size });
    expect(second.outbox.bytes).toBe(98 * size);
    expect(second.outbox.append(record(i, 'event'))).toBe('dropped');
    expect(second.outbox.append(record(i + 1, 'alert'))).toBe('appended');
    expect(second.outbox.drops).toEqual({ status: 0, reject: 0, event: 1, alert: 0 });
  });

  it('refuses records that cannot be framed and everything after close, counting them', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    expect(outbox.append({ ...record(1), id: 'x'.repeat(70_000) })).toBe('dropped');
    expect(outbox.append({ ...record(2), payload: new Uint8Array(17 * 1024 * 1024) })).toBe('dropped');
    await outbox.close();
    await outbox.close(); // idempotent
    expect(outbox.append(record(3, 'alert'))).toBe('dropped');
    expect(outbox.drops).toEqual({ status: 0, reject: 0, event: 2, alert: 1 });
    expect(outbox.peek(10)).toEqual([]);
  });

  it('a write error makes it unhealthy with the path named, keeps the records buffered, and recovers', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    rmSync(dir, { recursive: true }); // the disk "goes away"
    outbox.append(record(1));
    outbox.flush();
    expect(outbox.healthy).toBe(false);
    expect(outbox.lastError).toContain(join(dir, 'segment-'));
    expect(outbox.depth).toBe(1);
    expect(outbox.peek(5).map((r) => r.id)).toEqual(range(1, 2)); // still served from memory
    mkdirSync(dir);
    outbox.append(record(2));
    outbox.flush();
    await outbox.sync();
    expect(outbox.healthy).toBe(true);
    await outbox.close();
    const again = await open(dir);
    expect(all(again.outbox)).toEqual(range(1, 3));
  });

  it('close rejects, naming the directory, when buffered records cannot be written', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    rmSync(dir, { recursive: true });
    outbox.append(record(1));
    await expect(outbox.close()).rejects.toThrow(/1 record\(s\) that could not be written/);
  });

  it('open fails with a clear message on a real I/O error', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, '');
    await expect(open(join(file, 'outbox'))).rejects.toThrow(
      /cannot create the outbox directory: .*not-a-dir/,
    );
  });

  it('a record gone bad on disk after open is set aside when read, and reading goes on with the next segment', async () => {
    const dir = tempDir();
    const first = await open(dir);
    for (let i = 0; i < 60; i++) first.outbox.append(record(i));
    await first.outbox.close();
    const second = await open(dir, { readAhead: { records: 4, bytes: 1_000_000 } });
    const files = segmentFiles(dir);
    const perSegment = Math.floor(4096 / frameBytes(record(0)));
    const path = join(dir, files[0] ?? '');
    const bytes = readFileSync(path);
    const at = 6 * frameBytes(record(0)) + 50; // inside the 7th record
    bytes[at] = (bytes[at] ?? 0) ^ 0x40;
    writeFileSync(path, bytes);

    const seen: string[] = [];
    while (second.outbox.depth > 0) {
      const batch = second.outbox.peek(3);
      seen.push(...batch.map((r) => r.id));
      second.outbox.acknowledge(batch.length);
    }
    expect(seen).toEqual([...range(0, 6), ...range(perSegment, 60)]);
    expect(second.outbox.stats().corrupt).toBe(perSegment - 6);
    expect(second.outbox.lastError).toMatch(/checksum mismatch at offset/);
    await second.outbox.persistCursor();
    expect(quarantineFiles(dir)).toEqual([
      `${(files[0] ?? '').replace('.log', '')}-${6 * frameBytes(record(0))}.bad`,
    ]);
    await second.outbox.close();
    const third = await open(dir);
    expect(third.report.recovered).toBe(0);
  });

  it('holds a bounded read-ahead in memory whatever the backlog, and always hands out what a peek asks for', async () => {
    const dir = tempDir();
    const options = { segmentBytes: 1024 * 1024, readAhead: { records: 1_000, bytes: 50_000 } };
    const first = await open(dir, options);
    for (let i = 0; i < 5_000; i++) first.outbox.append(record(i, 'event', 500));
    // Appended records are taken into the window only up to its byte bound.
    expect(first.outbox.stats().readAhead).toBe(Math.floor(50_000 / frameBytes(record(0, 'event', 500))));
    await first.outbox.close();

    const second = await open(dir, options);
    expect(second.outbox.stats().readAhead).toBe(1); // stats reads the oldest record for its time
    expect(second.outbox.peek(10).map((r) => r.id)).toEqual(range(0, 10));
    expect(second.outbox.stats().readAhead).toBe(10); // decoded as asked, not a whole chunk
    // Past the byte bound, up to the record bound: a publisher gets back all it has in flight.
    expect(second.outbox.peek(800).map((r) => r.id)).toEqual(range(0, 800));
    expect(second.outbox.peek(5_000)).toHaveLength(1_000);
    second.outbox.acknowledge(4_990);
    expect(second.outbox.peek(100).map((r) => r.id)).toEqual(range(4_990, 5_000));
    expect(second.outbox.stats().readAhead).toBe(10);
  });

  it('reads back records that straddle the 1 MiB read chunk and records larger than it', async () => {
    const dir = tempDir();
    const sizes = [700_000, 300_000, 90_000, 1_500_000, 10, 400_000, 2_000_000, 5];
    const first = await open(dir, { segmentBytes: 8 * 1024 * 1024 });
    sizes.forEach((size, i) => first.outbox.append(record(i, 'event', size)));
    await first.outbox.close();
    const second = await open(dir, { segmentBytes: 8 * 1024 * 1024, readAhead: { records: 2, bytes: 1 } });
    const seen: OutboxRecord[] = [];
    while (second.outbox.depth > 0) {
      const batch = second.outbox.peek(2);
      seen.push(...batch);
      second.outbox.acknowledge(batch.length);
    }
    const expected = sizes.map((size, i) => record(i, 'event', size));
    expect(seen.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    // Compared as buffers: a deep equal of megabytes element by element takes too long.
    seen.forEach((r, i) =>
      expect(Buffer.from(r.payload).equals(Buffer.from(expected[i]?.payload ?? []))).toBe(true),
    );
  });

  it('a write failing half-way (the first segment written, the next not creatable) keeps the rest buffered and in order', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir, { readAhead: { records: 3, bytes: 1 } });
    const perSegment = Math.floor(4096 / frameBytes(record(0)));
    for (let i = 0; i < perSegment - 2; i++) outbox.append(record(i));
    outbox.flush(); // the first segment exists
    const [first] = segmentFiles(dir);
    const second = join(dir, (first ?? '').replace(/0\.log$/, '1.log'));
    mkdirSync(second); // the next segment cannot be created
    for (let i = perSegment - 2; i < perSegment + 5; i++) outbox.append(record(i)); // rolls over
    outbox.flush();
    expect(outbox.healthy).toBe(false);
    expect(outbox.lastError).toContain(second);
    expect(statSync(join(dir, first ?? '')).size).toBe(perSegment * frameBytes(record(0)));
    rmSync(second, { recursive: true });
    const seen: string[] = [];
    while (outbox.depth > 0) {
      const batch = outbox.peek(3);
      seen.push(...batch.map((r) => r.id));
      outbox.acknowledge(batch.length);
    }
    expect(seen).toEqual(range(0, perSegment + 5));
    outbox.flush();
    await outbox.sync();
    expect(outbox.healthy).toBe(true);
    await outbox.persistCursor();
    expect(segmentFiles(dir)).toEqual([(first ?? '').replace(/0\.log$/, '1.log')]);
  });

  it('a segment left behind the cursor (a stop between cursor write and deletion) is deleted at open, not counted', async () => {
    const dir = tempDir();
    const first = await open(dir);
    for (let i = 0; i < 40; i++) first.outbox.append(record(i));
    first.outbox.flush();
    const files = segmentFiles(dir);
    const oldest = readFileSync(join(dir, files[0] ?? ''));
    first.outbox.acknowledge(30);
    await first.outbox.close();
    expect(segmentFiles(dir)).not.toContain(files[0]);
    writeFileSync(join(dir, files[0] ?? ''), oldest);
    const second = await open(dir);
    expect(second.report).toMatchObject({ recovered: 10, corrupt: 0, quarantined: [] });
    expect(segmentFiles(dir)).not.toContain(files[0]);
    expect(all(second.outbox)).toEqual(range(30, 40));
  });

  it('a cursor that cannot be written makes it unhealthy until it can', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir);
    const full: RecordPriority[] = [];
    outbox.onFull = (p) => full.push(p);
    outbox.append(record(1));
    outbox.append(record(2));
    outbox.acknowledge(1);
    mkdirSync(join(dir, 'cursor.json.tmp')); // the temp file cannot be created
    await outbox.persistCursor();
    expect(outbox.healthy).toBe(false);
    expect(outbox.lastError).toContain('cursor.json');
    rmSync(join(dir, 'cursor.json.tmp'), { recursive: true });
    await outbox.persistCursor();
    expect(outbox.healthy).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8'))).toMatchObject({ acknowledged: 1 });
    expect(full).toEqual([]);
  });

  it('on its own, writes the buffer at the end of the turn that appended, retries a failed write every second, fsyncs on the interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    try {
      const dir = tempDir();
      let now = 0;
      const { outbox } = await open(dir, { fsyncIntervalMs: 100, now: () => now });
      outbox.append(record(1));
      expect(segmentFiles(dir)).toHaveLength(0);
      vi.advanceTimersByTime(0);
      expect(segmentFiles(dir)).toHaveLength(1);
      const [segment = ''] = segmentFiles(dir);
      expect(statSync(join(dir, segment)).size).toBe(frameBytes(record(1)));

      const next = segment.replace(/0\.log$/, '1.log');
      mkdirSync(join(dir, next)); // the next segment cannot be created
      outbox.append(record(2, 'event', 5_000)); // larger than segmentBytes: rolls over
      vi.advanceTimersByTime(0);
      expect(outbox.healthy).toBe(false);
      now += 500;
      vi.advanceTimersByTime(500); // no retry yet
      rmSync(join(dir, next), { recursive: true });
      now += 600;
      vi.advanceTimersByTime(600); // the retry, a second after the failure
      expect(outbox.healthy).toBe(true);
      expect(statSync(join(dir, next)).size).toBe(frameBytes(record(2, 'event', 5_000)));
      vi.advanceTimersByTime(100); // the fsync interval
      await outbox.sync();
      expect(outbox.healthy).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fsyncs on the record count and reports progress in stats', async () => {
    const dir = tempDir();
    const { outbox } = await open(dir, { fsyncRecords: 10 });
    for (let i = 0; i < 25; i++) outbox.append(record(i));
    // The 10th and 20th appends wrote the buffer out for the fsync.
    expect(segmentFiles(dir).length).toBeGreaterThan(0);
    await outbox.sync();
    outbox.acknowledge(5);
    expect(outbox.stats()).toMatchObject({
      depth: 20,
      appended: 25,
      acknowledged: 5,
      corrupt: 0,
      healthy: true,
      lastError: null,
      oldestAppendedAt: 1_005,
    });
  });
});
