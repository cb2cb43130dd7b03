/**
 * A loaded cluster rule set → one json-rules-engine engine per rule key (user, node, cluster),
 * with the cluster facts and the same operators, timezone handling and message templates as
 * the sidecar's rules.
 */
import { Engine, type TopLevelCondition } from 'json-rules-engine';
import { longestWindowMs, withTimezone } from '../../rules/engine/compile.js';
import { createOperators, customOperatorFunctions } from '../../rules/engine/operators.js';
import {
  CLUSTER_CATALOG,
  CLUSTER_RULE_KEYS,
  type ClusterRuleKey,
  compileRuleMessages,
} from '../../rules/load/index.js';
import { ZoneClock } from '../../rules/schedule.js';
import type { CompiledTemplate } from '../../rules/template.js';
import type { Rule, RuleSet } from '../../rules/types.js';
import { CLUSTER_TARGET, type FactContext, bindClusterFacts } from './facts.js';

export type ClusterRule = Rule<ClusterRuleKey>;

export interface ClusterEngineSlot {
  readonly engine: Engine;
  readonly rules: ReadonlyMap<string, ClusterRule>;
  readonly context: FactContext;
}

export interface CompiledClusterRules {
  readonly ruleSet: RuleSet<ClusterRuleKey>;
  readonly byId: ReadonlyMap<string, ClusterRule>;
  /** Enabled rules by key; a key without rules has no engine. */
  readonly slots: ReadonlyMap<ClusterRuleKey, ClusterEngineSlot>;
  readonly templates: ReadonlyMap<string, CompiledTemplate>;
  /** Equal fingerprints mean an unchanged rule across a reload (its alert memory survives). */
  readonly fingerprints: ReadonlyMap<string, string>;
  /** The longest `window` the rules ask for: how far back log-ins are counted. */
  readonly longestWindowMs: number;
}

export interface CompileClusterOptions {
  /** For `hour`, `weekday` and schedules of rules and files that name no zone. */
  readonly defaultTimezone: string;
}

export function compileClusterRules(
  ruleSet: RuleSet<ClusterRuleKey>,
  options: CompileClusterOptions,
): CompiledClusterRules {
  const zones = new ZoneClock();
  const slots = new Map<ClusterRuleKey, ClusterEngineSlot>();
  for (const key of CLUSTER_RULE_KEYS) {
    const rules = ruleSet.rules.filter((rule) => rule.enabled && rule.key === key);
    if (rules.length === 0) continue;
    const context: FactContext = { target: CLUSTER_TARGET, pass: null };
    const engine = new Engine([], { allowUndefinedFacts: true, replaceFactsInEventParams: false });
    for (const operator of createOperators(customOperatorFunctions(ruleSet.lists)))
      engine.addOperator(operator);
    bindClusterFacts(engine, () => context, ruleSet.schedules, zones, options.defaultTimezone);
    for (const rule of rules) {
      engine.addRule({
        name: rule.id,
        conditions: withTimezone(rule.when, rule.timezone) as unknown as TopLevelCondition,
        event: { type: rule.id },
      });
    }
    slots.set(key, { engine, rules: new Map(rules.map((rule) => [rule.id, rule])), context });
  }
  return {
    ruleSet,
    byId: new Map(ruleSet.rules.map((rule) => [rule.id, rule])),
    slots,
    templates: compileRuleMessages(ruleSet, CLUSTER_CATALOG.template),
    fingerprints: new Map(
      ruleSet.rules.map((rule) => [rule.id, JSON.stringify({ ...rule, origin: undefined })]),
    ),
    longestWindowMs: longestWindowMs(ruleSet),
  };
}
