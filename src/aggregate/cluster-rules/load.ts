/**
 * The file-system shell: cluster rule files → compiled rules, and their hot reload. The
 * loading itself is the sidecar's loader with the cluster dialect (src/rules/load).
 */
import type { Logger } from '../../core/logger.js';
import { loadClusterRules, loadClusterRuleSources, type RuleSource } from '../../rules/load/index.js';
import { type ReloadOutcome, RuleFilesReloader } from '../../rules/reloader.js';
import type { RuleIssue, RuleLoadResult } from '../../rules/types.js';
import type { ClusterRuleKey } from '../../rules/load/index.js';
import type { ClusterRules } from './cluster-rules.js';
import { type CompiledClusterRules, compileClusterRules } from './compile.js';

/** The shipped cluster rules, relative to the package root (see README "Cluster rules"). */
export const DEFAULT_CLUSTER_RULES_PATHS: readonly string[] = ['rules/cluster'];

export type LoadedClusterRules =
  | { readonly ok: true; readonly rules: CompiledClusterRules; readonly warnings: readonly RuleIssue[] }
  | { readonly ok: false; readonly issues: readonly RuleIssue[] };

function compiledOf(result: RuleLoadResult<ClusterRuleKey>, timezone: string): LoadedClusterRules {
  if (!result.ok) return { ok: false, issues: result.issues };
  return {
    ok: true,
    rules: compileClusterRules(result.ruleSet, { defaultTimezone: timezone }),
    warnings: result.warnings,
  };
}

/**
 * Reads and compiles the cluster rule files under `paths` (files, or directories of `*.yaml`,
 * `*.yml`, `*.json` directly inside). Errors come back as `file:line:column` issues, never thrown.
 */
export async function loadClusterRuleFiles(
  paths: readonly string[],
  timezone: string,
): Promise<LoadedClusterRules> {
  return compiledOf(await loadClusterRules(paths, { defaultTimezone: timezone }), timezone);
}

/** The same from texts, for tests and embedded rules. */
export function loadClusterRuleTexts(sources: readonly RuleSource[], timezone: string): LoadedClusterRules {
  return compiledOf(loadClusterRuleSources(sources, { defaultTimezone: timezone }), timezone);
}

export interface ClusterRulesReloaderOptions {
  readonly paths: readonly string[];
  readonly timezone: string;
  readonly rules: ClusterRules;
  readonly log: Logger;
  /** Told of every attempt; a refused one carries the issues (e.g. to publish on the status subject). */
  readonly onReload?: (outcome: ReloadOutcome, reason: string) => void;
  readonly debounceMs?: number;
}

/**
 * Hot reload of the cluster rules, as the sidecar's: on a change under `paths` (and on
 * `reload(reason)`, e.g. on SIGHUP) a valid set is swapped in, an invalid one is logged with
 * its positions and the last good rules stay. A Lifecycle: `start()`, `stop(deadline)`.
 */
export function createClusterRulesReloader(options: ClusterRulesReloaderOptions): RuleFilesReloader {
  const { paths, timezone, rules, log } = options;
  return new RuleFilesReloader({
    paths,
    log,
    what: 'cluster rules',
    onReload: options.onReload ?? (() => undefined),
    ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
    load: async () => {
      const loaded = await loadClusterRuleFiles(paths, timezone);
      if (!loaded.ok) return { ok: false, issues: loaded.issues };
      rules.replace(loaded.rules);
      const { ruleSet } = loaded.rules;
      return { ok: true, rules: ruleSet.rules.length, files: ruleSet.files, warnings: loaded.warnings };
    },
  });
}
