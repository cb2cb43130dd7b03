import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRulesCheckCommand } from '../../src/cli/rules-check-command.js';
import { rulesCommandRunner, tempDirEachTest } from '../helpers/rules-command.js';

let dir: string;
tempDirEachTest('rules-check-', (path) => {
  dir = path;
});

const run = rulesCommandRunner(runRulesCheckCommand);

const GOOD = [
  'lists:',
  "  leavers: ['ACME\\mallory']",
  'rules:',
  '  - id: leaver-login',
  '    when: {all: [{fact: user, operator: inList, value: leavers}]}',
  '  - id: many-sessions',
  '    when: {all: [{fact: activeSessions, params: {per: user}, operator: greaterThan, value: 4}]}',
  '',
].join('\n');

describe('sense-sidecar rules check', () => {
  it('passes clean rules with a summary', async () => {
    await writeFile(join(dir, 'a.yaml'), GOOD);
    expect(await run([dir])).toEqual({
      code: 0,
      stdout: '2 rules in 1 file: 0 errors, 0 warnings\n',
      stderr: '',
    });
  });

  it('prints warnings but passes', async () => {
    await writeFile(join(dir, 'a.yaml'), `${GOOD}    enabled: false\n`);
    const file = join(dir, 'a.yaml');
    expect(await run([file])).toEqual({
      code: 0,
      stdout:
        `${file}:8:14: warning: rule "many-sessions" is disabled (enabled: false): it is checked but never runs\n` +
        '2 rules in 1 file: 0 errors, 1 warning\n',
      stderr: '',
    });
  });

  it('prints every issue and fails on errors', async () => {
    await writeFile(
      join(dir, 'a.yaml'),
      GOOD.replace('value: 4', "value: '4'").replace('leavers}', 'leaverz}'),
    );
    await writeFile(
      join(dir, 'b.yaml'),
      'rules:\n  - id: leaver-login\n    when: {not: {fact: host, operator: equal, value: a}}\n',
    );
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    expect(await run([dir])).toEqual({
      code: 1,
      stdout: [
        `${a}:2:3: warning: list "leavers" is not used by any rule`,
        `${a}:5:56: no list named "leaverz"; did you mean "leavers"?`,
        `${a}:7:92: value must be a number, got "4" (a string compares as text: "10" > "9" is false); write 4 without quotes`,
        `${b}:2:9: rule id "leaver-login" is already used at ${a}:4:9; ids must be unique across all rule files`,
        '3 rules in 2 files: 3 errors, 1 warning',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('uses the configured paths when none are given', async () => {
    await writeFile(join(dir, 'a.yaml'), GOOD);
    expect((await run([], [dir])).stdout).toBe('2 rules in 1 file: 0 errors, 0 warnings\n');
  });

  it('fails on a missing path', async () => {
    const missing = join(dir, 'missing');
    const result = await run([missing]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `${missing}:0:0: no such file or directory (looked for ${missing}); create it, or fix rules.paths in the config (or the paths given to "sense-sidecar rules check")\n` +
        '0 rules in 0 files: 1 error, 0 warnings\n',
    );
  });

  it('prints usage for --help, and refuses unknown options', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: sense-sidecar rules check \[paths\.\.\.\]/);
    const bad = await run(['--strict']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/Unknown option '--strict'[\s\S]*Usage: sense-sidecar rules check/);
  });
});

describe('sense-sidecar rules check on cluster rule files', () => {
  it('checks the shipped sidecar and cluster rules together, each as its own set', async () => {
    const { code, stdout } = await run(['rules', 'rules/cluster']);
    expect(stdout.split('\n').filter((line) => line !== '')).toEqual([
      '9 rules in 3 files: 0 errors, 0 warnings',
      '3 cluster rules in 3 files: 0 errors, 0 warnings',
    ]);
    expect(code).toBe(0);
  });

  it('reports a bad cluster rule with its position and fails', async () => {
    const file = join(dir, 'cluster.yaml');
    await writeFile(
      file,
      'scope: cluster\nrules:\n  - id: r\n    key: node\n    when: {all: [{fact: nodeSilent, operator: equal, value: "true"}]}\n',
    );
    const { code, stdout } = await run([file]);
    expect(stdout).toBe(
      `${file}:5:61: value must be true or false without quotes, got "true" (the text "true" never equals true)\n` +
        '1 cluster rule in 1 file: 1 error, 0 warnings\n',
    );
    expect(code).toBe(1);
  });
});
