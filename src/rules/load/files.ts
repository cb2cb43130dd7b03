/**
 * The file-system shell around the pure loader: `rules.paths` → the texts to load, and the
 * test files beside them (`rules test`). One lister for both, so rule and test files are found,
 * ordered, size-checked and reported the same way.
 *
 * A path may be a file (read whatever its extension: the operator named it) or a directory:
 * its `*.yaml`, `*.yml` and `*.json` files, directly in it (not recursive, so `tests/` folders
 * beside the rules stay out), in code-unit name order so the order never depends on the locale.
 * Hidden files (`.x.yaml`, editor swap files) are skipped. Problems are issues at line 0,
 * column 0 naming the path: a missing rules directory must not look like "no rules".
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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

const DATA_FILE = /\.(ya?ml|json)$/i;

/**
 * Files larger than this are not even read: UTF-8 takes at most 4 bytes per UTF-16 unit, so a
 * bigger file is certainly over the reader's character limit.
 */
const MAX_FILE_BYTES = 4 * MAX_TEXT_CHARS;

/** Rule files are read by the sidecar's user, so a refusal says whom to let in; test files by whoever runs the tests. */
const PERMISSION_HINT = {
  rule: 'permission denied; let the sidecar user read it',
  test: 'permission denied',
};
type FileKind = keyof typeof PERMISSION_HINT;

function issue(file: string, severity: RuleIssue['severity'], message: string): RuleIssue {
  return { file, line: 0, column: 0, severity, message };
}

function reason(error: unknown, kind: FileKind): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return PERMISSION_HINT[kind];
  return error instanceof Error ? error.message : String(error);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The names of the data files directly in `directory`, by name; throws what readdir throws. */
async function dataFileNames(directory: string): Promise<string[]> {
  return (await readdir(directory))
    .filter((name) => DATA_FILE.test(name) && !name.startsWith('.'))
    .sort(byName);
}

/**
 * Hands each regular file among `names` in `directory` to `use`, in order (a stat failure is an
 * issue in its place); returns how many there were. `tests.yaml/` would be a directory with a
 * data file's name: not a file.
 */
async function eachFile(
  directory: string,
  names: readonly string[],
  kind: FileKind,
  issues: RuleIssue[],
  use: (file: string, size: number) => Promise<void>,
): Promise<number> {
  let found = 0;
  for (const name of names) {
    const file = join(directory, name);
    let entry;
    try {
      entry = await stat(file);
    } catch (error) {
      issues.push(issue(file, 'error', `cannot read the ${kind} file: ${reason(error, kind)}`));
      continue;
    }
    if (!entry.isFile()) continue;
    found += 1;
    await use(file, entry.size);
  }
  return found;
}

/** The text of `name` as a source, or an issue when it is too large or cannot be read. */
async function readSource(
  name: string,
  size: number,
  kind: FileKind,
  sources: RuleSource[],
  issues: RuleIssue[],
): Promise<void> {
  if (size > MAX_FILE_BYTES) {
    issues.push(
      issue(
        name,
        'error',
        `the file is ${size} bytes; a ${kind} file must be under ${MAX_TEXT_CHARS / 1024} KiB`,
      ),
    );
    return;
  }
  try {
    sources.push({ name, text: await readFile(name, 'utf8') });
  } catch (error) {
    issues.push(issue(name, 'error', `cannot read the ${kind} file: ${reason(error, kind)}`));
  }
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
    await readSource(name, size, 'rule', sources, issues);
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
            : `cannot read this rules path: ${reason(error, 'rule')}`,
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
      names = await dataFileNames(path);
    } catch (error) {
      issues.push(issue(path, 'error', `cannot list this rules directory: ${reason(error, 'rule')}`));
      continue;
    }
    const found = await eachFile(path, names, 'rule', issues, readOne);
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

/**
 * `<path>/tests` for a directory, `<its directory>/tests` for a file, once each, in the order of
 * `paths`. Paths that do not exist are left out (the rule loader reports them).
 */
export async function testDirectories(paths: readonly string[]): Promise<string[]> {
  const directories: string[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch {
      continue;
    }
    const directory = join(isDirectory ? path : dirname(path), 'tests');
    const absolute = resolve(directory);
    if (seen.has(absolute)) continue;
    seen.add(absolute);
    directories.push(directory);
  }
  return directories;
}

/** The test files of the rules `paths`: `*.yaml`, `*.yml`, `*.json` directly in each tests directory, by name. */
export async function readRuleTestSources(
  paths: readonly string[],
): Promise<{ sources: RuleSource[]; issues: RuleIssue[] }> {
  const sources: RuleSource[] = [];
  const issues: RuleIssue[] = [];
  const withoutTests: string[] = [];
  const directories = await testDirectories(paths);
  for (const directory of directories) {
    let names: string[];
    try {
      names = await dataFileNames(directory);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') withoutTests.push(directory);
      else
        issues.push(issue(directory, 'error', `cannot list this tests directory: ${reason(error, 'test')}`));
      continue;
    }
    const found = await eachFile(directory, names, 'test', issues, (file, size) =>
      readSource(file, size, 'test', sources, issues),
    );
    if (found === 0) withoutTests.push(directory);
  }
  if (sources.length === 0 && directories.length > 0 && !issues.some((entry) => entry.severity === 'error')) {
    // No test at all must not pass as "all tests passed". (No directory: no rules path exists,
    // which the rule loader reports.)
    issues.push(
      issue(
        directories[0] ?? 'tests',
        'error',
        `no test files found (looked in ${directories.join(', ')}); write tests in <rules path>/tests/*.yaml`,
      ),
    );
  } else if (sources.length > 0) {
    for (const directory of withoutTests) {
      issues.push(issue(directory, 'warning', 'no test files here: the rules beside it are not tested'));
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
