/**
 * Rule files → a validated RuleSet. `loadRuleSources` is pure (texts in, result out);
 * `readRuleFiles` is the file-system shell; `loadRules` is both.
 */
import { type CompiledTemplate, compileTemplate } from '../template.js';
import type { RuleSet } from '../types.js';

export {
  type LoadRuleOptions,
  type RuleLoadReport,
  type RuleSource,
  inspectRuleSources,
  loadRuleSources,
} from './load.js';
export { inspectRules, loadRules, readRuleFiles } from './files.js';
export { FACTS, FACT_NAMES, type FactSpec, MAX_WINDOW_MS, OPERATORS } from './catalog.js';

/**
 * Rule id → its compiled message, for the evaluator. Every message of a loaded RuleSet compiled
 * when it was loaded, so a failure here means the RuleSet did not come from the loader.
 */
export function compileRuleMessages(ruleSet: RuleSet): ReadonlyMap<string, CompiledTemplate> {
  const templates = new Map<string, CompiledTemplate>();
  for (const rule of ruleSet.rules) {
    const compiled = compileTemplate(rule.message);
    if (!compiled.ok) throw new Error(`rule ${rule.id}: message does not compile: ${compiled.message}`);
    templates.set(rule.id, compiled.template);
  }
  return templates;
}
