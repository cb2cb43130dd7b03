/**
 * The shipped rules (rules/*.yaml) pass their own tests (rules/tests/*.yaml), load without
 * errors or warnings, and every shipped rule is exercised: each alert rule fires in some test
 * and each drop rule drops in some test.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRules, readRuleFiles } from '../../src/rules/load/index.js';
import {
  formatRuleTestReport,
  readRuleTestSources,
  runRuleTests,
} from '../../src/rules/test-runner/index.js';

const RULES = fileURLToPath(new URL('../../rules', import.meta.url));

describe('shipped rules', () => {
  // The peak-hours schedule follows the config's rules.timezone, which the sidecar and
  // `rules check` always pass (default: the system's zone), so it is loaded here with one.
  it('load with no errors and no warnings', async () => {
    for (const options of [{ defaultTimezone: 'UTC' }, { defaultTimezone: 'America/New_York' }]) {
      const result = await loadRules([RULES], options);
      expect(result.ok ? result.warnings : result.issues).toEqual([]);
    }
  });

  it('pass their own rules test, and every rule is exercised', async () => {
    const rules = await readRuleFiles([RULES]);
    const tests = await readRuleTestSources([RULES]);
    // The machine's zone must not matter: every shipped test file pins its timezone.
    const report = await runRuleTests({
      ruleSources: rules.sources,
      testSources: tests.sources,
      defaultTimezone: 'Pacific/Kiritimati',
      ruleReadIssues: rules.issues,
      testReadIssues: tests.issues,
    });
    const output = formatRuleTestReport(report).join('\n');
    expect(report.issues, output).toEqual([]);
    expect(
      report.results.filter((result) => !result.passed).map((result) => result.name),
      output,
    ).toEqual([]);
    expect(report.ok, output).toBe(true);
    expect(tests.sources.map((source) => source.name.slice(RULES.length + 1))).toEqual([
      'tests/blacklists.yaml',
      'tests/peak-hours.yaml',
      'tests/suspicious-sessions.yaml',
    ]);
    expect(report.results.length).toBeGreaterThanOrEqual(30);

    const loaded = await loadRules([RULES], { defaultTimezone: 'UTC' });
    if (!loaded.ok) throw new Error('the shipped rules do not load');
    const fired = new Set(
      report.results.flatMap((result) => result.alerts.map((alert) => `${alert.rule} ${alert.status}`)),
    );
    const dropped = new Set(report.results.flatMap((result) => result.dropped.map((entry) => entry.rule)));
    for (const rule of loaded.ruleSet.rules) {
      if (rule.action === 'drop') {
        expect(dropped.has(rule.id), `${rule.id} drops in some test`).toBe(true);
        continue;
      }
      expect(fired.has(`${rule.id} firing`), `${rule.id} fires in some test`).toBe(true);
      if (rule.resolve)
        expect(fired.has(`${rule.id} resolved`), `${rule.id} resolves in some test`).toBe(true);
    }
  });
});
