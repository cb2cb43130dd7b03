// `npm run bench:history`: the aggregator's fold rate into the SQLite history and the latency
// of `?at=` (sessionsAt) queries over it, on the built dist/. Prints one JSON line of figures.
// Options: --messages N (default 200000), --users N (default 5000), --queries N (default 2000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureNodeModules, ROOT } from './lib/setup.mjs';

ensureNodeModules();
const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    users: { type: 'string', default: '5000' },
    queries: { type: 'string', default: '2000' },
  },
});
const MESSAGES = Number(values.messages);
const USERS = Number(values.users);
const QUERIES = Number(values.queries);
const COMMIT_EVERY = 1000;
const T0 = Date.parse('2026-12-01T08:00:00Z');
const STEP_MS = 50;

const dist = (path) => import(join(ROOT, 'dist', path));
const { ClusterView } = await dist('aggregate/cluster-view.js');
const { HistoryStore } = await dist('aggregate/history-store.js');
const { Folder } = await dist('aggregate/folder.js');

/** A deterministic morning: each user alternates session start/stop on one of four hosts. */
function message(i) {
  const user = i % USERS;
  const round = Math.floor(i / USERS);
  const kind = round % 2 === 0 ? 'session.start' : 'session.stop';
  return JSON.stringify({
    specversion: '1.0',
    id: `m${i}`,
    source: `sense-sidecar/node${user % 4}`,
    type: `sense.${kind}`,
    time: new Date(T0 + i * STEP_MS).toISOString(),
    datacontenttype: 'application/json',
    data: { kind, host: `node${user % 4}`, user: { directory: 'CORP', id: `u${user}` } },
  });
}

const dir = mkdtempSync(join(tmpdir(), 'history-bench-'));
try {
  const messages = Array.from({ length: MESSAGES }, (_, i) => message(i));
  const store = new HistoryStore(join(dir, 'history.db'));
  const view = new ClusterView({}, T0);
  const folder = new Folder({ view, history: store });
  const started = process.hrtime.bigint();
  for (let i = 0; i < MESSAGES; i++) {
    folder.fold(messages[i], T0 + i * STEP_MS, null);
    if ((i + 1) % COMMIT_EVERY === 0) folder.commit();
  }
  folder.commit();
  const foldSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  const span = MESSAGES * STEP_MS;
  const latencies = [];
  let rows = 0;
  for (let q = 0; q < QUERIES; q++) {
    const t = T0 + Math.floor((((q * 7919) % QUERIES) / QUERIES) * span);
    const s = process.hrtime.bigint();
    rows += store.sessionsAt(t).length;
    latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(3));
  store.close();
  process.stdout.write(
    `${JSON.stringify({
      node: process.version,
      messages: MESSAGES,
      users: USERS,
      foldPerSecond: Math.round(MESSAGES / foldSeconds),
      atQueries: QUERIES,
      atRowsMean: Math.round(rows / QUERIES),
      atMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: pct(1) },
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
