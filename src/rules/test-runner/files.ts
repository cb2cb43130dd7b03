/**
 * The file-system shell of `rules test`: which test files belong to the rules paths, and their
 * text. Problems are issues at line 0, column 0 naming the path, as the rule loader reports its
 * own file-system problems.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { MAX_TEXT_CHARS } from '../../config/yaml-source.js';
import type { RuleSource } from '../load/load.js';
import type { RuleIssue } from '../types.js';

const TEST_FILE = /\.(ya?ml|json)$/i;
/** As for rule files: a larger file is certainly over the reader's character limit. */
const MAX_FILE_BYTES = 4 * MAX_TEXT_CHARS;

function issue(file: string, severity: RuleIssue['severity'], message: string): RuleIssue {
  return { file, line: 0, column: 0, severity, message };
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
      names = (await readdir(directory))
        .filter((name) => TEST_FILE.test(name) && !name.startsWith('.'))
        .sort(byName);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') withoutTests.push(directory);
      else issues.push(issue(directory, 'error', `cannot list this tests directory: ${reason(error)}`));
      continue;
    }
    let found = 0;
    for (const name of names) {
      const file = join(directory, name);
      try {
        const info = await stat(file);
        if (!info.isFile()) continue;
        found += 1;
        if (info.size > MAX_FILE_BYTES) {
          issues.push(
            issue(
              file,
              'error',
              `the file is ${info.size} bytes; a test file must be under ${MAX_TEXT_CHARS / 1024} KiB`,
            ),
          );
          continue;
        }
        sources.push({ name: file, text: await readFile(file, 'utf8') });
      } catch (error) {
        issues.push(issue(file, 'error', `cannot read the test file: ${reason(error)}`));
      }
    }
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
