// The compiled conditions (predicate.ts) decide when json-rules-engine is skipped, so they must
// say exactly what the engine says. These tests hold them equal to json-rules-engine itself:
// on random condition trees over random fact values, and on the shipped rules through the
// whole judge (drops and alert notices), against the same rules with compilation turned off.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Engine, type TopLevelCondition } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../src/core/events.js';
import type { FactTable } from '../../src/rules/engine/bind-facts.js';
import { type CompiledRules, compileRules, type EngineSlot } from '../../src/rules/engine/compile.js';
import { RuleEvaluator } from '../../src/rules/engine/evaluator.js';
import { createOperators, customOperatorFunctions } from '../../src/rules/engine/operators.js';
import { compilePredicate, operatorTable } from '../../src/rules/engine/predicate.js';
import { Judge } from '../../src/rules/judge.js';
import { loadRuleSources } from '../../src/rules/load/index.js';
import { LiveState } from '../../src/state/live-state.js';

const FACTS = ['a', 'b', 'c', 'user'] as const;
const OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'inList',
  'notInList',
  'matches',
  'notMatches',
] as const;
const LISTS = new Map<string, readonly string[]>([
  ['staff', ['CORP\\*', 'LAB\\ann']],
  ['none', ['NOBODY\\x']],
]);

const primitive = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, Number.NaN, Infinity, -0),
  fc.constantFrom('1', '2.5', 'abc', '', 'CORP\\jdoe', 'LAB\\ann', 'lab\\ANN', 'CORP\\*', '*'),
  fc.boolean(),
  fc.constant(null),
);
const factValue = fc.oneof(primitive, fc.array(primitive, { maxLength: 3 }), fc.constant(undefined));
const conditionValue = fc.oneof(
  primitive,
  fc.array(primitive, { maxLength: 3 }),
  fc.constantFrom('staff', 'none'),
  fc.record({ fact: fc.constantFrom(...FACTS, 'missing') }),
);

const leaf = fc.record({
  fact: fc.constantFrom(...FACTS, 'missing'),
  operator: fc.constantFrom(...OPERATORS),
  value: conditionValue,
});
const { tree } = fc.letrec<{ tree: unknown; node: unknown }>((tie) => ({
  tree: fc.oneof(
    fc.record({ all: fc.array(tie('node'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('tree')),
}));

type Outcome = boolean | 'error';

async function engineSays(conditions: unknown, values: Record<string, unknown>): Promise<Outcome> {
  const engine = new Engine([], { allowUndefinedFacts: true, replaceFactsInEventParams: false });
  for (const operator of createOperators(customOperatorFunctions(LISTS))) engine.addOperator(operator);
  for (const name of FACTS) engine.addFact(name, () => values[name], { cache: false });
  engine.addRule({ name: 'r', conditions: conditions as TopLevelCondition, event: { type: 'r' } });
  try {
    const { results } = await engine.run();
    return results.length === 1;
  } catch {
    return 'error';
  }
}

function predicateSays(conditions: unknown, values: Record<string, unknown>): Outcome | 'not-compiled' {
  const table: FactTable = new Map(FACTS.map((name) => [name, () => values[name]]));
  const predicate = compilePredicate(
    conditions as Record<string, unknown>,
    table,
    operatorTable(customOperatorFunctions(LISTS)),
  );
  if (predicate === null) return 'not-compiled';
  try {
    return predicate();
  } catch {
    return 'error';
  }
}

describe('compiled conditions against json-rules-engine', () => {
  it('agree on random condition trees and fact values', async () => {
    await fc.assert(
      fc.asyncProperty(
        tree,
        fc.record({ a: factValue, b: factValue, c: factValue, user: factValue }),
        async (conditions, values) => {
          expect(predicateSays(conditions, values)).toBe(await engineSays(conditions, values));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('leave to the engine what they do not compile: path, shared conditions', () => {
    const table: FactTable = new Map();
    const operators = operatorTable(new Map());
    expect(
      compilePredicate({ all: [{ fact: 'a', path: '$.x', operator: 'equal', value: 1 }] }, table, operators),
    ).toBeNull();
    expect(compilePredicate({ all: [{ condition: 'shared' }] }, table, operators)).toBeNull();
    expect(
      compilePredicate(
        { all: [{ fact: 'a', operator: 'equal', value: { fact: 'b', path: '$.y' } }] },
        table,
        operators,
      ),
    ).toBeNull();
    expect(
      compilePredicate({ all: [{ fact: 'a', operator: 'nope', value: 1 }] }, table, operators),
    ).toBeNull();
  });

  it('a known trap stays as the engine has it: an empty any holds', async () => {
    expect(predicateSays({ any: [] }, {})).toBe(true);
    expect(await engineSays({ any: [] }, {})).toBe(true);
  });
});

// ---- the shipped rules, through the judge -----------------------------------------------------

const RULES_DIR = join(import.meta.dirname, '../../rules');
const ZONE = 'Europe/Stockholm';
const T0 = Date.parse('2026-11-30T05:00:00Z');

function shippedSources() {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: f, text: readFileSync(join(RULES_DIR, f), 'utf8') }));
}

/** The same rules with every compiled condition removed: the evaluator runs the engine always. */
function engineOnly(compiled: CompiledRules): CompiledRules {
  const strip = (slot: EngineSlot): EngineSlot => ({
    ...slot,
    predicates: new Map([...slot.predicates.keys()].map((id) => [id, null])),
  });
  const mapSlots = <K>(slots: ReadonlyMap<K, EngineSlot>) =>
    new Map([...slots].map(([k, slot]) => [k, strip(slot)]));
  return {
    ...compiled,
    drop: mapSlots(compiled.drop),
    alert: mapSlots(compiled.alert),
    single: mapSlots(compiled.single),
  };
}

function judges(thresholdsScale: number): [Judge, Judge] {
  // Scaled-down thresholds (a copy of the shipped files) make the alert paths reachable with
  // short random streams; the conditions keep their shapes.
  const sources = shippedSources().map(({ name, text }) => ({
    name,
    text: text.replace(
      /value: (\d{2,})\b/g,
      (_, n: string) => `value: ${Math.max(1, Math.floor(Number(n) * thresholdsScale))}`,
    ),
  }));
  const loaded = loadRuleSources(sources, { defaultTimezone: ZONE });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const make = (strip: boolean) => {
    const state = new LiveState({ inactivityTimeoutMs: 30 * 60_000, graceMs: 5 * 60_000 });
    const compiled = compileRules(loaded.ruleSet, { defaultTimezone: ZONE, state });
    return new Judge(
      state,
      new RuleEvaluator(strip ? engineOnly(compiled) : compiled, { maxEpisodes: 1000 }),
    );
  };
  return [make(false), make(true)];
}

const USERS = [
  'CORP\\ann',
  'CORP\\bob',
  'INTERNAL\\sa_scheduler',
  'EXAMPLE\\former.employee',
  'EXAMPLE\\watched.user',
];
const KINDS = ['session.start', 'session.stop', 'connection.open', 'connection.close'] as const;
const step = fc.record({
  kind: fc.constantFrom(...KINDS),
  user: fc.constantFrom(...USERS),
  host: fc.constantFrom('SENSE-NODE1', 'SENSE-NODE2'),
  app: fc.constantFrom(null, 'app-1', 'app-2'),
  advanceMs: fc.constantFrom(0, 1_000, 60_000, 20 * 60_000, 3 * 3_600_000),
  tick: fc.boolean(),
});

function eventOf(s: StepValue): UserEvent {
  const [directory = '', id = ''] = s.user.split('\\');
  return {
    kind: s.kind,
    host: s.host,
    user: { directory, id },
    origin: 'AppAccess',
    context: s.app === null ? '/hub/' : `/app/${s.app}`,
    appId: s.kind.startsWith('connection') ? s.app : null,
    userAgent: null,
    message: '',
  };
}
type StepValue = {
  kind: (typeof KINDS)[number];
  user: string;
  host: string;
  app: string | null;
  advanceMs: number;
  tick: boolean;
};

const at = (kind: StepValue['kind'], user: string): StepValue => ({
  kind,
  user,
  host: 'SENSE-NODE1',
  app: null,
  advanceMs: 1_000,
  tick: true,
});
const KNOWN_STREAM: StepValue[] = [
  at('session.start', 'INTERNAL\\sa_scheduler'),
  ...Array.from({ length: 6 }, () => at('session.start', 'CORP\\ann')),
  ...Array.from({ length: 6 }, () => at('session.stop', 'CORP\\ann')),
];

describe('the shipped rules with and without compiled conditions', () => {
  it('decide the same drops and the same alerts on random event streams', async () => {
    const seen = { drops: 0, firing: 0, resolved: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 120 }),
        fc.constantFrom(1, 0.05, 0.01),
        async (steps, scale) => {
          const [fast, plain] = judges(scale);
          let now = T0;
          let n = 0;
          for (const s of steps) {
            now += s.advanceMs;
            const event = eventOf(s);
            const id = `E${n++}`;
            const a = await fast.event(event, id, now);
            const b = await plain.event(event, id, now);
            expect(a).toEqual(b);
            if (a.droppedBy !== null) seen.drops++;
            for (const notice of a.notices) seen[notice.status]++;
            if (s.tick) {
              let i = 0;
              const ids = () => `T${n}-${i++}`;
              const ta = await fast.tick(now, ids);
              i = 0;
              const tb = await plain.tick(now, ids);
              expect(ta).toEqual(tb);
            }
          }
        },
      ),
      // One known stream first, so the paths below are reached whatever the random ones do:
      // a service account (dropped), six sessions of one user (fires), all stopped (resolves).
      { numRuns: 150, examples: [[KNOWN_STREAM, 1]] },
    );
    // The streams reach every path that matters: drops, alerts firing and resolving.
    expect(seen.drops).toBeGreaterThan(0);
    expect(seen.firing).toBeGreaterThan(0);
    expect(seen.resolved).toBeGreaterThan(0);
  });
});
