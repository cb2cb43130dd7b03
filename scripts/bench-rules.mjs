// Rule evaluation throughput: events/s on one core through state + the shipped rules, against
// state alone and against a rule set with nothing in it. Uses the built code in dist/.
//   npm run bench:rules [-- --events 200000 --users 5000 --rules rules]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ensureNodeModules } from './lib/setup.mjs';

ensureNodeModules();
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    users: { type: 'string', default: '5000' },
    rules: { type: 'string', default: 'rules' },
    json: { type: 'boolean', default: false },
  },
});
const total = Number(values.events);
const users = Number(values.users);

const { createDecoder } = await import('../dist/ingest/decode.js');
const { buildLoad } = await import('../dist/simulate/load.js');
const { LiveState } = await import('../dist/state/live-state.js');
const { loadRules, loadRuleSources } = await import('../dist/rules/load/index.js');
const { compileRules, longestWindowMs } = await import('../dist/rules/engine/compile.js');
const { RuleEvaluator } = await import('../dist/rules/engine/evaluator.js');
const { Judge } = await import('../dist/rules/judge.js');

// Decode up front: this measures state + rules, not decoding.
const decode = createDecoder();
const utf8 = new TextEncoder();
const next = buildLoad({ count: total, nodes: ['SENSE-NODE1'], users, seed: 7 });
const events = [];
for (let i = 0; i < total; i++) {
  const result = decode(utf8.encode(next(i)));
  if (result.ok) events.push(result.event);
}

async function judgeFor(ruleSet) {
  const state = new LiveState({
    inactivityTimeoutMs: 30 * 60_000,
    graceMs: 5 * 60_000,
    maxWindowMs: Math.max(3_600_000, longestWindowMs(ruleSet)),
  });
  const compiled = compileRules(ruleSet, { defaultTimezone: 'Europe/Stockholm', state });
  return new Judge(state, new RuleEvaluator(compiled, { maxEpisodes: 100_000 }));
}

async function run(name, judge, stateOnly = false) {
  const start = Date.parse('2026-11-30T07:00:00Z');
  // Events spread over one simulated hour, so windows, schedules and throttles move.
  const step = 3_600_000 / events.length;
  const latencies = new Float64Array(events.length);
  let alerts = 0;
  let dropped = 0;
  const began = performance.now();
  for (let i = 0; i < events.length; i++) {
    const now = start + Math.floor(i * step);
    const t0 = performance.now();
    if (stateOnly) judge.state.apply(events[i], now);
    else {
      const { droppedBy, notices } = await judge.event(events[i], `E${i}`, now);
      if (droppedBy !== null) dropped++;
      alerts += notices.length;
    }
    latencies[i] = performance.now() - t0;
  }
  const seconds = (performance.now() - began) / 1000;
  latencies.sort();
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 1000;
  return {
    name,
    events: events.length,
    eventsPerSecond: Math.round(events.length / seconds),
    usPerEvent: Number(((seconds * 1e6) / events.length).toFixed(2)),
    p50us: Number(pick(0.5).toFixed(1)),
    p99us: Number(pick(0.99).toFixed(1)),
    alerts,
    dropped,
  };
}

const shipped = await loadRules([values.rules], { defaultTimezone: 'Europe/Stockholm' });
if (!shipped.ok) {
  console.error('the rules do not load; run sense-sidecar rules check');
  process.exit(1);
}
const empty = loadRuleSources([{ name: 'empty.yaml', text: 'rules: []\n' }], { defaultTimezone: 'UTC' });
if (!empty.ok) throw new Error('empty rule set does not load');

const rows = [];
rows.push(await run('state only', await judgeFor(empty.ruleSet), true));
rows.push(await run('state + no rules', await judgeFor(empty.ruleSet)));
rows.push(
  await run(`state + shipped rules (${shipped.ruleSet.rules.length})`, await judgeFor(shipped.ruleSet)),
);

if (values.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(
    `rule evaluation, ${events.length} events, ${users} users, one core (node ${process.version})\n`,
  );
  console.log('| run | events/s | µs/event | p50 µs | p99 µs | alerts | dropped |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.eventsPerSecond.toLocaleString('en')} | ${r.usPerEvent} | ${r.p50us} | ${r.p99us} | ${r.alerts} | ${r.dropped} |`,
    );
  }
  const base = rows[1];
  const full = rows[2];
  console.log(
    `\ncost of the shipped rules: ${(full.usPerEvent - base.usPerEvent).toFixed(2)} µs per event over no rules`,
  );
}
