import { Engine, type TopLevelCondition } from 'json-rules-engine';
import { parseDuration } from '../../core/duration.js';
import type { SidecarEvent, SidecarEventKind } from '../../core/events.js';
import { ZoneClock } from '../schedule.js';
import { compileRuleMessages } from '../load/index.js';
import type { CompiledTemplate } from '../template.js';
import { RULE_EVENT_KINDS, type ConditionTree, type Rule, type RuleSet } from '../types.js';
import { bindFacts, createFactTable } from './bind-facts.js';
import { type EvaluationContext, eventFacts } from './context.js';
import { createOperators, customOperatorFunctions } from './operators.js';
import { compilePredicate, operatorTable, type Predicate } from './predicate.js';

/** An engine with the rules it holds, and the context its facts read. */
export interface EngineSlot {
  readonly engine: Engine;
  readonly rules: ReadonlyMap<string, Rule>;
  readonly context: EvaluationContext;
  /**
   * Per rule, its conditions compiled to a synchronous check with the engine's meaning (null
   * where they could not be compiled). The evaluator runs the engine only when a rule may match
   * or may resolve, so the common event that matches nothing never enters the engine.
   */
  readonly predicates: ReadonlyMap<string, Predicate | null>;
}

export interface CompiledRules {
  readonly ruleSet: RuleSet;
  readonly byId: ReadonlyMap<string, Rule>;
  /** Per kind: drop rules (run first, before state sees the event) and alert rules. */
  readonly drop: ReadonlyMap<SidecarEventKind, EngineSlot>;
  /** Alert rules whose `on` has the kind. */
  readonly alert: ReadonlyMap<SidecarEventKind, EngineSlot>;
  /**
   * Per kind, the resolve rules whose `on` lacks it: an event of that kind can still end their
   * condition (a stop lowers a count), so they are re-checked, but only for a key that is firing.
   */
  readonly resolveOnly: ReadonlyMap<SidecarEventKind, readonly Rule[]>;
  /**
   * One engine per enabled rule: for the re-checks above and as time passes (resolve rules),
   * for a rule whose conditions were not compiled, and for the explanation (the facts and
   * thresholds) an alert notice carries.
   */
  readonly single: ReadonlyMap<string, EngineSlot>;
  readonly templates: ReadonlyMap<string, CompiledTemplate>;
  /** Fingerprint per rule id: equal fingerprints mean an unchanged rule across a reload. */
  readonly fingerprints: ReadonlyMap<string, string>;
}

export interface CompileOptions {
  readonly defaultTimezone: string;
  readonly state: EvaluationContext['state'];
}

/**
 * Builds the engines. Only rules that can match a kind go into that kind's engine, and a kind
 * without rules has no engine at all, so the common event costs nothing beyond a map lookup.
 */
export function compileRules(ruleSet: RuleSet, options: CompileOptions): CompiledRules {
  const zones = new ZoneClock();
  const enabled = ruleSet.rules.filter((rule) => rule.enabled);
  const makeSlot = (rules: readonly Rule[]): EngineSlot | undefined => {
    if (rules.length === 0) return undefined;
    const context: EvaluationContext = {
      event: NO_EVENT,
      fields: eventFacts(NO_EVENT),
      now: 0,
      state: options.state,
    };
    const engine = new Engine([], { allowUndefinedFacts: true, replaceFactsInEventParams: false });
    const custom = customOperatorFunctions(ruleSet.lists);
    for (const operator of createOperators(custom)) engine.addOperator(operator);
    const facts = createFactTable(() => context, ruleSet.schedules, zones, options.defaultTimezone);
    bindFacts(engine, facts);
    const operators = operatorTable(custom);
    const byId = new Map<string, Rule>();
    const predicates = new Map<string, Predicate | null>();
    for (const rule of rules) {
      byId.set(rule.id, rule);
      const conditions = withTimezone(rule.when, rule.timezone);
      predicates.set(rule.id, compilePredicate(conditions, facts, operators));
      engine.addRule({
        name: rule.id,
        conditions: conditions as unknown as TopLevelCondition,
        event: { type: rule.id },
      });
    }
    return { engine, rules: byId, context, predicates };
  };

  const drop = new Map<SidecarEventKind, EngineSlot>();
  const alert = new Map<SidecarEventKind, EngineSlot>();
  const resolveOnly = new Map<SidecarEventKind, Rule[]>();
  for (const kind of RULE_EVENT_KINDS) {
    const dropSlot = makeSlot(enabled.filter((r) => r.action === 'drop' && r.on.includes(kind)));
    if (dropSlot !== undefined) drop.set(kind, dropSlot);
    const alertSlot = makeSlot(enabled.filter((r) => r.action === 'alert' && r.on.includes(kind)));
    if (alertSlot !== undefined) alert.set(kind, alertSlot);
    const others = enabled.filter((r) => r.action === 'alert' && r.resolve && !r.on.includes(kind));
    if (others.length > 0) resolveOnly.set(kind, others);
  }
  const single = new Map<string, EngineSlot>();
  for (const rule of enabled) {
    const slot = makeSlot([rule]);
    if (slot !== undefined) single.set(rule.id, slot);
  }
  const fingerprints = new Map<string, string>();
  for (const rule of ruleSet.rules) fingerprints.set(rule.id, JSON.stringify({ ...rule, origin: undefined }));
  return {
    ruleSet,
    byId: new Map(ruleSet.rules.map((rule) => [rule.id, rule])),
    drop,
    alert,
    resolveOnly,
    single,
    templates: compileRuleMessages(ruleSet),
    fingerprints,
  };
}

/** What an engine's context holds before its first evaluation; never evaluated. */
const NO_EVENT: SidecarEvent = Object.freeze({
  kind: 'session.start',
  host: '',
  user: { directory: '', id: '' },
  origin: '',
  context: '',
  appId: null,
  userAgent: null,
  message: '',
});

/**
 * `hour` and `weekday` are read in the rule's own timezone: the engine's facts are shared by
 * all rules of a kind, so the zone travels as a param of each such condition.
 */
export function withTimezone(tree: ConditionTree, timezone: string | null): ConditionTree {
  if (timezone === null) return tree;
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const record = node as Record<string, unknown>;
    if (record['fact'] === 'hour' || record['fact'] === 'weekday') {
      const params = (record['params'] ?? {}) as Record<string, unknown>;
      return { ...record, params: { timezone, ...params } };
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) out[key] = key === 'value' ? value : visit(value);
    return out;
  };
  return visit(tree) as ConditionTree;
}

/**
 * The longest `window` any eventCount/distinctUsers condition asks for: live state keeps
 * counts this far back and no further (memory per active key grows with it).
 */
export function longestWindowMs(ruleSet: RuleSet<string>): number {
  let longest = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const params = record['params'];
    if (typeof record['fact'] === 'string' && params !== null && typeof params === 'object') {
      const window = (params as Record<string, unknown>)['window'];
      const ms = typeof window === 'string' ? parseDuration(window) : null;
      if (ms !== null) longest = Math.max(longest, ms);
    }
    for (const [key, value] of Object.entries(record)) if (key !== 'value' && key !== 'params') visit(value);
  };
  for (const rule of ruleSet.rules) visit(rule.when);
  return longest;
}
