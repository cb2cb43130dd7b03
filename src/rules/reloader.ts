import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { StateFacts } from './facts.js';
import { compileRules, type CompiledRules } from './engine/compile.js';
import type { RuleEvaluator } from './engine/evaluator.js';
import { loadRules } from './load/index.js';
import { formatRuleIssue, type RuleIssue } from './types.js';

export type ReloadOutcome =
  | {
      readonly ok: true;
      readonly rules: number;
      readonly files: readonly string[];
      readonly warnings: readonly RuleIssue[];
    }
  | { readonly ok: false; readonly issues: readonly RuleIssue[] };

/** The file watching shared by the sidecar's rules and the aggregator's cluster rules. */
export interface RuleFilesReloaderOptions {
  readonly paths: readonly string[];
  readonly log: Logger;
  /** Told of every reload attempt, e.g. to publish a refused one on the status subject. */
  readonly onReload: (outcome: ReloadOutcome, reason: string) => void;
  /** Editors write a file in several steps; changes within this time make one reload. */
  readonly debounceMs?: number;
  /**
   * Loads the files and swaps a valid set in (between two evaluations); a set with errors is
   * refused and the last good rules stay. Never throws for bad files: errors are the outcome.
   */
  readonly load: () => Promise<ReloadOutcome>;
  /** What the log calls them: `rules` (default) or `cluster rules`. */
  readonly what?: string;
}

export interface RulesReloaderOptions {
  readonly paths: readonly string[];
  readonly timezone: string;
  readonly state: StateFacts;
  readonly evaluator: RuleEvaluator;
  readonly log: Logger;
  /** Told of every reload attempt, e.g. to publish a refused one on the status subject. */
  readonly onReload: (outcome: ReloadOutcome, reason: string) => void;
  /** Editors write a file in several steps; changes within this time make one reload. */
  readonly debounceMs?: number;
}

/** Loads and compiles the rule files; errors come back as positioned issues, never thrown. */
export async function loadCompiledRules(
  paths: readonly string[],
  timezone: string,
  state: StateFacts,
): Promise<
  | { ok: true; compiled: CompiledRules; warnings: readonly RuleIssue[] }
  | { ok: false; issues: readonly RuleIssue[] }
> {
  const result = await loadRules(paths, { defaultTimezone: timezone });
  if (!result.ok) return { ok: false, issues: result.issues };
  return {
    ok: true,
    compiled: compileRules(result.ruleSet, { defaultTimezone: timezone, state }),
    warnings: result.warnings,
  };
}

/**
 * Hot reload: on a change under the paths (and on `reload()`, which the CLI calls on SIGHUP),
 * `load` runs; a valid rule set is swapped in between two evaluations, an invalid one is
 * refused and the last good rules stay active.
 */
export class RuleFilesReloader implements Lifecycle {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReloadOutcome> | undefined;
  private again = false;

  constructor(private readonly options: RuleFilesReloaderOptions) {}

  async start(): Promise<void> {
    const { paths, log } = this.options;
    for (const path of paths) {
      // Watch a file through its directory: editors and config tools replace files by rename.
      const isDirectory = await stat(path).then(
        (s) => s.isDirectory(),
        () => false,
      );
      const target = isDirectory ? path : dirname(path);
      const only = isDirectory ? null : basename(path);
      try {
        const watcher = watch(target, (_event, file) => {
          if (only === null || file === only) this.schedule(`change in ${target}`);
        });
        watcher.on('error', (error) => log.warn({ err: error, path: target }, 'cannot watch rule files'));
        this.watchers.push(watcher);
      } catch (error) {
        log.warn({ err: error, path: target }, 'cannot watch rule files; reload with SIGHUP');
      }
    }
  }

  stop(_deadline: number): Promise<void> {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    clearTimeout(this.timer);
    return Promise.resolve();
  }

  /** Reloads now; a reload asked for while one runs is done once more after it. */
  async reload(reason: string): Promise<ReloadOutcome> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.load(reason);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.schedule('change during a reload');
      }
    }
  }

  private schedule(reason: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(reason), this.options.debounceMs ?? 250);
  }

  private async load(reason: string): Promise<ReloadOutcome> {
    const { log, onReload, what = 'rules' } = this.options;
    const outcome = await this.options.load();
    if (outcome.ok) {
      log.info({ reason, rules: outcome.rules, files: outcome.files }, `${what} reloaded`);
      for (const warning of outcome.warnings) log.warn(formatRuleIssue(warning));
    } else {
      log.error(
        { reason, errors: outcome.issues.map(formatRuleIssue) },
        `${what === 'rules' ? 'rule' : what.replace(/s$/, '')} files refused; the last good rules stay active`,
      );
    }
    onReload(outcome, reason);
    return outcome;
  }
}

/**
 * The sidecar's hot reload. Live state is not touched by a reload, and throttle and resolve
 * memory survive for rules whose definition did not change.
 */
export class RulesReloader extends RuleFilesReloader {
  constructor(options: RulesReloaderOptions) {
    const { paths, timezone, state, evaluator } = options;
    super({
      ...options,
      load: async () => {
        const loaded = await loadCompiledRules(paths, timezone, state);
        if (!loaded.ok) return { ok: false, issues: loaded.issues };
        evaluator.replace(loaded.compiled);
        const { ruleSet } = loaded.compiled;
        return { ok: true, rules: ruleSet.rules.length, files: ruleSet.files, warnings: loaded.warnings };
      },
    });
  }
}
