/**
 * Rule files → a validated RuleSet. `loadRuleSources` is pure (texts in, result out);
 * `readRuleFiles` is the file-system shell; `loadRules` is both.
 */
import { type CompiledTemplate, compileTemplate } from '../template.js';
import type { RuleSet } from '../types.js';
import { type TemplateVocabulary } from '../template.js';

export {
  type LoadRuleOptions,
  type RuleLoadReport,
  type RuleSource,
  declaredScope,
  inspectClusterRuleSources,
  inspectRuleSources,
  loadClusterRuleSources,
  loadRuleSources,
} from './load.js';
export { inspectClusterRules, inspectRules, loadClusterRules, loadRules, readRuleFiles } from './files.js';
export { FACTS, FACT_NAMES, type FactSpec, MAX_WINDOW_MS, OPERATORS, type RuleScope } from './catalog.js';
export {
  CLUSTER_FACTS,
  CLUSTER_FACT_NAMES,
  CLUSTER_RULE_KEYS,
  CLUSTER_TEMPLATE_FIELDS,
  type ClusterRuleKey,
} from './cluster-catalog.js';
export { CLUSTER_CATALOG, type RuleCatalog, SIDECAR_CATALOG } from './scopes.js';

/**
 * Rule id → its compiled message, for the evaluator. Every message of a loaded RuleSet compiled
 * when it was loaded, so a failure here means the RuleSet did not come from the loader.
 */
export function compileRuleMessages<K extends string>(
  ruleSet: RuleSet<K>,
  vocabulary?: TemplateVocabulary,
): ReadonlyMap<string, CompiledTemplate> {
  const templates = new Map<string, CompiledTemplate>();
  for (const rule of ruleSet.rules) {
    const compiled = compileTemplate(rule.message, vocabulary);
    if (!compiled.ok) throw new Error(`rule ${rule.id}: message does not compile: ${compiled.message}`);
    templates.set(rule.id, compiled.template);
  }
  return templates;
}
