// Disk outbox throughput on this machine: appends/s and MB/s the way the worker appends (batches
// of 64 records, flush() after each, a turn of the event loop between batches), with fsync every
// fsyncInterval or fsyncRecords; then the drain of that backlog (peek 512 → acknowledge), as the
// publisher does when NATS comes back, after a restart (whose open checks every record). The batch and peek times are how long the event loop is
// held. A third run is paced at 20,000 records/s. Uses the built code in dist/.
//   node scripts/outbox-bench.mjs [--records 300000] [--payload 600] [--dir /var/tmp]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ensureNodeModules } from './lib/setup.mjs';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    payload: { type: 'string', default: '600' },
    dir: { type: 'string', default: tmpdir() },
    json: { type: 'boolean', default: false },
    dist: { type: 'string', default: '../dist' },
  },
});
if (values.dist === '../dist') ensureNodeModules();
const { DiskOutbox } = await import(`${values.dist}/publish/outbox/disk-outbox.js`);

const total = Number(values.records);
const payloadBytes = Number(values.payload);
const BATCH = 64;

function makeRecord(i) {
  const body = JSON.stringify({ specversion: '1.0', id: `01J${String(i).padStart(23, '0')}`, pad: '' });
  const pad = 'x'.repeat(Math.max(0, payloadBytes - body.length));
  return {
    id: `01J${String(i).padStart(23, '0')}`,
    subject: `sense.events.SENSE-NODE${i % 4}.session.start`,
    payload: new TextEncoder().encode(body.replace('"pad":""', `"pad":"${pad}"`)),
    priority: 'event',
    appendedAt: Date.now(),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (samples, q) =>
  Number(([...samples].sort((a, b) => a - b)[Math.floor(q * (samples.length - 1))] ?? 0).toFixed(2));

/** `rate` = records per second (0 = as fast as possible). */
async function run(name, fsyncIntervalMs, fsyncRecords, rate = 0, count = total) {
  const dir = mkdtempSync(join(values.dir, 'outbox-bench-'));
  const records = Array.from({ length: 1000 }, (_, i) => makeRecord(i));
  try {
    let { outbox } = await DiskOutbox.open({
      dir,
      maxBytes: 4 * 1024 ** 3,
      segmentBytes: 64 * 1024 ** 2,
      fsyncIntervalMs,
      fsyncRecords,
    });
    const batchMs = [];
    const began = performance.now();
    for (let i = 0; i < count; i += BATCH) {
      if (rate > 0) {
        const due = began + (i / rate) * 1000;
        if (due > performance.now()) await sleep(due - performance.now());
      }
      const t0 = performance.now();
      for (let k = i; k < Math.min(count, i + BATCH); k++) {
        const r = records[k % records.length];
        if (outbox.append({ ...r, id: `${r.id}-${k}` }) !== 'appended') throw new Error('dropped');
      }
      outbox.flush();
      batchMs.push(performance.now() - t0);
      await nextTurn();
    }
    await outbox.sync();
    const appendSeconds = (performance.now() - began) / 1000;
    const bytes = outbox.bytes;
    await outbox.close();

    // A restart with the backlog on disk: open checks every record (CRC), then the drain reads it back.
    const openBegan = performance.now();
    const { outbox: reopened, report } = await DiskOutbox.open({
      dir,
      maxBytes: 4 * 1024 ** 3,
      segmentBytes: 64 * 1024 ** 2,
      fsyncIntervalMs,
      fsyncRecords,
    });
    const openSeconds = (performance.now() - openBegan) / 1000;
    if (report.recovered !== count) throw new Error(`recovered ${report.recovered} of ${count}`);
    outbox = reopened;

    const drainBegan = performance.now();
    const peekMs = [];
    while (outbox.depth > 0) {
      const t0 = performance.now();
      const batch = outbox.peek(512);
      peekMs.push(performance.now() - t0);
      outbox.acknowledge(batch.length);
      await nextTurn();
    }
    const drainSeconds = (performance.now() - drainBegan) / 1000;
    await outbox.close();
    return {
      name,
      records: count,
      recordBytes: Math.round(bytes / count),
      appendsPerSecond: Math.round(count / appendSeconds),
      appendMBps: Number((bytes / 1e6 / appendSeconds).toFixed(1)),
      batchP50Ms: percentile(batchMs, 0.5),
      batchP99Ms: percentile(batchMs, 0.99),
      batchMaxMs: percentile(batchMs, 1),
      reopenMBps: Number((bytes / 1e6 / openSeconds).toFixed(0)),
      drainPerSecond: Math.round(count / drainSeconds),
      drainMBps: Number((bytes / 1e6 / drainSeconds).toFixed(1)),
      peekP50Ms: percentile(peekMs, 0.5),
      peekP99Ms: percentile(peekMs, 0.99),
      peekMaxMs: percentile(peekMs, 1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [
  await run('fsync every 100 ms only', 100, 1_000_000),
  await run('fsync every 100 ms or 1000 records (defaults)', 100, 1000),
  await run('defaults, paced at 20,000 records/s', 100, 1000, 20_000, 100_000),
];
if (values.json) console.log(JSON.stringify(results, null, 2));
else console.table(results);
