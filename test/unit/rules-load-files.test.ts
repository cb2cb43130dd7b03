import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRules, readRuleFiles } from '../../src/rules/load/index.js';
import { formatRuleIssue } from '../../src/rules/types.js';

const RULE = (id: string): string =>
  `rules:\n  - id: ${id}\n    when: {all: [{fact: host, operator: equal, value: a}]}\n`;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rules-load-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function files(entries: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(entries)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

describe('readRuleFiles', () => {
  it('reads the rule files directly in a directory, in name order', async () => {
    await files({
      'b.yaml': RULE('b'),
      'a.yml': RULE('a'),
      'C.json': '{"rules": []}',
      '10-first.yaml': RULE('ten'),
      'notes.txt': 'not rules',
      '.hidden.yaml': RULE('hidden'),
      'tests/a-test.yaml': RULE('test'),
      'sub/c.yaml': RULE('sub'),
    });
    await mkdir(join(dir, 'dir.yaml'));
    const { sources, issues } = await readRuleFiles([dir]);
    expect(sources.map((source) => source.name)).toEqual(
      ['10-first.yaml', 'C.json', 'a.yml', 'b.yaml'].map((name) => join(dir, name)),
    );
    expect(sources[3]?.text).toBe(RULE('b'));
    expect(issues).toEqual([]);
  });

  it('reads a file named directly, whatever its extension, and each file once', async () => {
    await files({ 'rules.conf': RULE('conf'), 'a.yaml': RULE('a') });
    const { sources, issues } = await readRuleFiles([join(dir, 'rules.conf'), dir, join(dir, 'a.yaml')]);
    expect(sources.map((source) => source.name)).toEqual([join(dir, 'rules.conf'), join(dir, 'a.yaml')]);
    expect(issues.map(formatRuleIssue)).toEqual([
      `${join(dir, 'a.yaml')}:0:0: warning: this file is already loaded through another path of rules.paths; it is read once`,
    ]);
  });

  it('says which path is missing and how to fix it', async () => {
    const missing = join(dir, 'nope');
    const { sources, issues } = await readRuleFiles([missing]);
    expect(sources).toEqual([]);
    expect(issues).toEqual([
      {
        file: missing,
        line: 0,
        column: 0,
        severity: 'error',
        message: `no such file or directory (looked for ${missing}); create it, or fix rules.paths in the config (or the paths given to "sense-sidecar rules check")`,
      },
    ]);
  });

  it('warns about a directory without rule files', async () => {
    await files({ 'README.md': '# rules' });
    const { issues } = await readRuleFiles([dir]);
    expect(issues.map(formatRuleIssue)).toEqual([
      `${dir}:0:0: warning: this rules directory has no *.yaml, *.yml or *.json files; no rules are loaded from it`,
    ]);
  });

  it('reads nothing for no paths', async () => {
    expect(await readRuleFiles([])).toEqual({ sources: [], issues: [] });
  });
});

describe('loadRules', () => {
  it('loads the files as one set', async () => {
    await files({
      'a.yaml': "lists:\n  l: ['A\\x']\n",
      'b.yaml': RULE('b').replace('host, operator: equal, value: a', 'user, operator: inList, value: l'),
    });
    const result = await loadRules([dir]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.ruleSet.rules.map((rule) => rule.id)).toEqual(['b']);
    expect(result.ruleSet.files).toEqual([join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
    expect(result.warnings).toEqual([]);
  });

  it('fails on a missing path, listing it before the problems in the files', async () => {
    await files({ 'a.yaml': 'rulez: []\n' });
    const result = await loadRules([dir, join(dir, 'missing.yaml')], { defaultTimezone: 'UTC' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatRuleIssue)).toEqual([
      expect.stringMatching(/missing\.yaml:0:0: no such file or directory/),
      `${join(dir, 'a.yaml')}:1:1: unknown top-level key "rulez"; did you mean "rules"?`,
    ]);
  });
});
