// Heap used by live state with many users, and the cost of apply + facts per event.
//   npm run bench:state [-- 100000]        (node --expose-gc, on the built code in dist/)
// Each user gets: session start, connection open on one of 500 apps, and two more events a few
// seconds apart, all on one host: what a node sees in a busy morning.
import { ensureNodeModules } from './lib/setup.mjs';

ensureNodeModules();
const { LiveState } = await import('../dist/state/live-state.js');

const users = Number(process.argv[2] ?? 100_000);
const T0 = 1_800_000_000_000;
const gc = globalThis.gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function event(kind, i) {
  const appId = `${(i % 500).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
  return {
    kind,
    host: 'SENSE-NODE1',
    user: { directory: 'CORP', id: `user${i}` },
    origin: 'AppAccess',
    context: `/app/${appId}`,
    appId,
    userAgent: null,
    message: '',
  };
}

function heapMb() {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

const before = heapMb();
const state = new LiveState({ inactivityTimeoutMs: 30 * 60_000, graceMs: 5 * 60_000 });
// Users arrive over 20 minutes; each then has one session and one connection open.
const spread = 20 * 60_000;
for (let i = 0; i < users; i++) {
  const t = T0 + Math.floor((i / users) * spread);
  state.apply(event('session.start', i), t);
  state.apply(event('connection.open', i), t + 1_000);
  state.apply(event('connection.open', i), t + 2_000);
  state.apply(event('connection.close', i), t + 3_000);
}
state.expire(T0 + spread);
const report = (what) => {
  const used = heapMb() - before;
  console.log(`${what}: heap used ${used.toFixed(1)} MB (${((used * 1e6) / users).toFixed(0)} bytes/user)`);
};
const stats = state.stats();
report(`${users} users, ${stats.sessions} sessions, ${stats.connections} connections`);
// Distinct-user indexes are built on the first query that needs one: add the two a typical
// rule set would use.
state.distinctUsers({ windowMs: 60_000 }, T0 + spread);
state.distinctUsers({ kind: 'session.start', windowMs: 60_000 }, T0 + spread);
report('  + distinctUsers indexes for any kind and session.start');

// apply + the four facts, as the pipeline does per event, over the populated state
const probes = 1_000_000;
// each user opens a tab and closes it again
const events = Array.from({ length: 1000 }, (_, i) =>
  event(i % 2 === 0 ? 'connection.open' : 'connection.close', (Math.floor(i / 2) * 97) % users),
);
let now = T0 + spread;
let sink = 0;
const started = process.hrtime.bigint();
for (let i = 0; i < probes; i++) {
  const e = events[i % events.length] ?? event('session.start', 0);
  now += 1;
  state.apply(e, now);
  sink += state.activeSessions('user', e);
  sink += state.activeConnections('app', e);
  sink += state.eventCount({ kind: 'connection.open', per: 'user', windowMs: 5 * 60_000 }, e, now);
  sink += state.distinctUsers({ windowMs: 60_000 }, now);
  if (i % 1000 === 0) state.expire(now);
}
const ns = Number(process.hrtime.bigint() - started) / probes;
console.log(
  `apply + 4 facts: ${ns.toFixed(0)} ns/event (${(1e9 / ns / 1e3).toFixed(0)}k events/s; ${sink > 0})`,
);
