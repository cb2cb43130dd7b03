/**
 * `sense-sidecar rules test [paths...]`: runs the tests in `<path>/tests/*.yaml` against the
 * rules under the paths, in virtual time (see rules/test-runner/index.ts for the test file format).
 * Prints `ok`/`FAIL` per test with what was expected and what happened, then a summary.
 * Exit 0 when every test passes, 1 when one fails or a rule or test file has errors, 2 on bad
 * usage.
 */
import { declaredScope, inspectClusterRuleSources, readRuleFiles } from '../rules/load/index.js';
import { formatRuleTestReport, readRuleTestSources, runRuleTests } from '../rules/test-runner/index.js';
import { formatRuleIssue } from '../rules/types.js';
import { EXIT_USAGE, parseRulesArgs, writeRulesLine as writeLine } from './rules-args.js';

export const RULES_TEST_USAGE = `Usage: sense-sidecar rules test [--verbose] [paths...]

Runs the rule tests in <path>/tests/*.yaml (for a file: <its directory>/tests/) against the
rules under the paths, in virtual time, and prints ok or FAIL per test. Cluster rule files
(scope: cluster) have no rule tests: they are only checked, as by rules check.
paths          rule files or directories; default: rules.paths from the configuration
-v, --verbose  also list what was published under tests that pass
Exit status: 0 when every test passes, 1 on a failed test or errors in rule or test files,
2 on bad usage.`;

/** `argv` are the arguments after `rules test`. */
export async function runRulesTestCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  defaults: { paths: readonly string[]; timezone: string },
): Promise<number> {
  const parsed = parseRulesArgs(argv, { verbose: { type: 'boolean', short: 'v' } }, RULES_TEST_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const paths = parsed.positionals.length > 0 ? parsed.positionals : defaults.paths;
  if (paths.length === 0) {
    writeLine(
      io.stderr,
      `no rules paths: rules.paths is empty; give the paths to test\n\n${RULES_TEST_USAGE}`,
    );
    return EXIT_USAGE;
  }
  const rules = await readRuleFiles(paths);
  const cluster = rules.sources.filter((source) => declaredScope(source) === 'cluster');
  let clusterOk = true;
  if (cluster.length > 0) {
    const checked = inspectClusterRuleSources(cluster, { defaultTimezone: defaults.timezone });
    const issues = checked.result.ok ? checked.result.warnings : checked.result.issues;
    for (const issue of issues) writeLine(io.stdout, formatRuleIssue(issue));
    clusterOk = checked.result.ok;
    writeLine(
      io.stdout,
      `${checked.ruleCount} cluster rules in ${checked.fileCount} files ${clusterOk ? 'load' : 'have errors'} ` +
        '(cluster rules are checked, not tested: rule tests run on sidecar rules)',
    );
    if (cluster.length === rules.sources.length && rules.issues.length === 0) return clusterOk ? 0 : 1;
  }
  const tests = await readRuleTestSources(paths);
  const report = await runRuleTests({
    ruleSources: rules.sources.filter((source) => !cluster.includes(source)),
    testSources: tests.sources,
    defaultTimezone: defaults.timezone,
    ruleReadIssues: rules.issues,
    testReadIssues: tests.issues,
  });
  for (const line of formatRuleTestReport(report, { verbose: parsed.values.verbose === true })) {
    writeLine(io.stdout, line);
  }
  return report.ok && clusterOk ? 0 : 1;
}
