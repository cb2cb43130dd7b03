/**
 * The file-system shell around the pure loader: `rules.paths` → the texts to load.
 *
 * A path may be a file (read whatever its extension: the operator named it) or a directory:
 * its `*.yaml`, `*.yml` and `*.json` files, directly in it (not recursive, so `tests/` folders
 * beside the rules stay out), in code-unit name order so the order never depends on the locale.
 * Hidden files (`.x.yaml`, editor swap files) are skipped. Problems are issues at line 0,
 * column 0 naming the path: a missing rules directory must not look like "no rules".
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_TEXT_CHARS } from '../../config/yaml-source.js';
import type { RuleIssue, RuleLoadResult } from '../types.js';
import type { ClusterRuleKey } from './cluster-catalog.js';
import {
  type LoadRuleOptions,
  type RuleLoadReport,
  type RuleSource,
  inspectClusterRuleSources,
  inspectRuleSources,
} from './load.js';

const RULE_FILE = /\.(ya?ml|json)$/i;

/**
 * Files larger than this are not even read: UTF-8 takes at most 4 bytes per UTF-16 unit, so a
 * bigger file is certainly over the reader's character limit.
 */
const MAX_FILE_BYTES = 4 * MAX_TEXT_CHARS;

function issue(file: string, severity: RuleIssue['severity'], message: string): RuleIssue {
  return { file, line: 0, column: 0, severity, message };
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied; let the sidecar user read it';
  return error instanceof Error ? error.message : String(error);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function readRuleFiles(
  paths: readonly string[],
): Promise<{ sources: RuleSource[]; issues: RuleIssue[] }> {
  const sources: RuleSource[] = [];
  const issues: RuleIssue[] = [];
  const seen = new Set<string>();

  const readOne = async (name: string, size: number): Promise<void> => {
    const absolute = resolve(name);
    if (seen.has(absolute)) {
      issues.push(
        issue(
          name,
          'warning',
          'this file is already loaded through another path of rules.paths; it is read once',
        ),
      );
      return;
    }
    seen.add(absolute);
    if (size > MAX_FILE_BYTES) {
      issues.push(
        issue(
          name,
          'error',
          `the file is ${size} bytes; a rule file must be under ${MAX_TEXT_CHARS / 1024} KiB`,
        ),
      );
      return;
    }
    try {
      sources.push({ name, text: await readFile(name, 'utf8') });
    } catch (error) {
      issues.push(issue(name, 'error', `cannot read the rule file: ${reason(error)}`));
    }
  };

  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const missing = (error as { code?: unknown } | null)?.code === 'ENOENT';
      issues.push(
        issue(
          path,
          'error',
          missing
            ? `no such file or directory (looked for ${resolve(path)}); create it, or fix rules.paths in the config ` +
                '(or the paths given to "sense-sidecar rules check")'
            : `cannot read this rules path: ${reason(error)}`,
        ),
      );
      continue;
    }
    if (!info.isDirectory()) {
      await readOne(path, info.size);
      continue;
    }
    let names: string[];
    try {
      names = (await readdir(path))
        .filter((name) => RULE_FILE.test(name) && !name.startsWith('.'))
        .sort(byName);
    } catch (error) {
      issues.push(issue(path, 'error', `cannot list this rules directory: ${reason(error)}`));
      continue;
    }
    let found = 0;
    for (const name of names) {
      const file = join(path, name);
      let entry;
      try {
        entry = await stat(file);
      } catch (error) {
        issues.push(issue(file, 'error', `cannot read the rule file: ${reason(error)}`));
        continue;
      }
      // `tests.yaml/` would be a directory with a rule file's name: not a rule file.
      if (!entry.isFile()) continue;
      found += 1;
      await readOne(file, entry.size);
    }
    if (found === 0) {
      issues.push(
        issue(
          path,
          'warning',
          'this rules directory has no *.yaml, *.yml or *.json files; no rules are loaded from it',
        ),
      );
    }
  }
  return { sources, issues };
}

/** Reads the files under `paths` and loads them as one rule set. */
export async function loadRules(
  paths: readonly string[],
  options: LoadRuleOptions = {},
): Promise<RuleLoadResult> {
  return (await inspectRules(paths, options)).result;
}

/** `loadRules` with the counts for a summary line (`rules check`). */
export async function inspectRules(
  paths: readonly string[],
  options: LoadRuleOptions = {},
): Promise<RuleLoadReport> {
  const { sources, issues } = await readRuleFiles(paths);
  return inspectRuleSources(sources, options, issues);
}

/** Reads cluster rule files (`scope: cluster`) under `paths` and loads them as one set (the aggregator). */
export async function loadClusterRules(
  paths: readonly string[],
  options: LoadRuleOptions = {},
): Promise<RuleLoadResult<ClusterRuleKey>> {
  return (await inspectClusterRules(paths, options)).result;
}

export async function inspectClusterRules(
  paths: readonly string[],
  options: LoadRuleOptions = {},
): Promise<RuleLoadReport<ClusterRuleKey>> {
  const { sources, issues } = await readRuleFiles(paths);
  return inspectClusterRuleSources(sources, options, issues);
}
