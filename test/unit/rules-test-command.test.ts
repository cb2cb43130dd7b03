import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runRulesTestCommand } from '../../src/cli/rules-test-command.js';
import { captureText } from '../helpers/capture.js';
import { rulesCommandRunner, tempDirEachTest } from '../helpers/rules-command.js';

const PASSING = fileURLToPath(new URL('../fixtures/rules-tests/passing', import.meta.url));

let dir: string;
tempDirEachTest('rules-test-', (path) => {
  dir = path;
});

const run = rulesCommandRunner(runRulesTestCommand);

const lines = (...text: string[]): string => text.map((line) => `${line}\n`).join('');

describe('sense-sidecar rules test', () => {
  it('runs the tests beside a rules directory and exits 0 when all pass', async () => {
    const limit = join(PASSING, 'tests', 'limit.yaml');
    const resolve = join(PASSING, 'tests', 'resolve.yaml');
    expect(await run([PASSING])).toEqual({
      code: 0,
      stdout: lines(
        `ok   ${limit}: the fifth session fires`,
        `ok   ${limit}: service accounts are dropped`,
        `ok   ${resolve}: a stop resolves`,
        '3 tests, 3 passed, 0 failed',
      ),
      stderr: '',
    });
  });

  it('uses the configured paths when none are given, and finds tests beside a rule file', async () => {
    expect((await run([], [PASSING])).code).toBe(0);
    const result = await run([join(PASSING, 'rules.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/3 tests, 3 passed, 0 failed\n$/);
  });

  it('exits 1 when a test fails, saying what was expected and what happened', async () => {
    await cp(PASSING, dir, { recursive: true });
    const file = join(dir, 'tests', 'resolve.yaml');
    await writeFile(
      file,
      [
        'tests:',
        '  - name: a stop resolves',
        '    start: 2026-11-30T08:00:00Z',
        '    events:',
        "      - { at: 0s, kind: session.start, user: 'CORP\\mallory', repeat: 5 }",
        '    expect:',
        '      - { rule: parallel-session-limit, status: resolved }',
        '',
      ].join('\n'),
    );
    const result = await run([dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      lines(
        `FAIL ${file}: a stop resolves`,
        `  ${file}:7:9: expected {rule: parallel-session-limit, status: resolved}, but no such alert was published`,
        '  published 1 alert (5 events sent):',
        "    - {rule: parallel-session-limit, key: 'CORP\\mallory', status: firing, at: 0s}  # warning: CORP\\mallory holds 5 sessions on SENSE-NODE1",
        '3 tests, 2 passed, 1 failed',
      ),
    );
  });

  it('exits 1 on errors in a test file, printed as file:line:column, and still runs the other files', async () => {
    await cp(PASSING, dir, { recursive: true });
    const file = join(dir, 'tests', 'resolve.yaml');
    await writeFile(file, 'tests:\n  - name: x\n    start: tomorrow\n    expect: []\n');
    const limit = join(dir, 'tests', 'limit.yaml');
    expect(await run([dir])).toEqual({
      code: 1,
      stdout: lines(
        `${file}:3:12: start must be a date and time with its UTC offset, e.g. 2026-11-30T08:00:00+01:00 (or Z for UTC), got "tomorrow"`,
        `ok   ${limit}: the fifth session fires`,
        `ok   ${limit}: service accounts are dropped`,
        `${file}: its tests did not run: the file has errors (above)`,
        '2 tests, 2 passed, 0 failed',
      ),
      stderr: '',
    });
  });

  it('exits 1 when there are no tests, and warns about a rules path without tests', async () => {
    await writeFile(join(dir, 'rules.yaml'), 'rules: []\n');
    const tests = join(dir, 'tests');
    expect(await run([dir])).toEqual({
      code: 1,
      stdout: lines(
        `${tests}:0:0: no test files found (looked in ${tests}); write tests in <rules path>/tests/*.yaml`,
        '0 tests, 0 passed, 0 failed',
      ),
      stderr: '',
    });

    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'more.yaml'), 'lists: {}\n');
    const result = await run([PASSING, other]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `${join(other, 'tests')}:0:0: warning: no test files here: the rules beside it are not tested\n`,
    );
  });

  it('exits 1 when the rules do not load, with the rule errors', async () => {
    const missing = join(dir, 'missing');
    const result = await run([missing]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      lines(
        `${missing}:0:0: no such file or directory (looked for ${missing}); create it, or fix rules.paths in the config (or the paths given to "sense-sidecar rules check")`,
        'no test ran: the rules have errors (above)',
        '0 tests, 0 passed, 0 failed',
      ),
    );
  });

  it('prints usage for --help, and exits 2 on bad usage', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: sense-sidecar rules test \[--verbose\] \[paths\.\.\.\]/);
    const bad = await run(['--fast']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/Unknown option '--fast'[\s\S]*Usage: sense-sidecar rules test/);
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^no rules paths/);
  });

  it('lists what was published under passing tests with --verbose', async () => {
    const result = await run(['-v', PASSING]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      lines(
        `ok   ${join(PASSING, 'tests', 'limit.yaml')}: service accounts are dropped`,
        '  no alerts were published (6 events sent)',
        '  events dropped: exclude-service-accounts 6',
      ),
    );
  });
});

describe('sense-sidecar rules test on cluster rule files', () => {
  it('checks cluster rule files and says they have no rule tests', async () => {
    const stdout = captureText();
    const stderr = captureText();
    const code = await runRulesTestCommand(
      ['rules/cluster'],
      { stdout, stderr },
      { paths: [], timezone: 'UTC' },
    );
    expect(stdout.text()).toBe(
      '3 cluster rules in 3 files load (cluster rules are checked, not tested: rule tests run on sidecar rules)\n',
    );
    expect(code).toBe(0);
  });
});
