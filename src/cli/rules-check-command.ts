/**
 * `sense-sidecar rules check [paths...]`: loads the rule files exactly as the sidecar would and
 * prints every issue as `file:line:column: message` (warnings marked), then one summary line.
 * Cluster rule files (`scope: cluster`) among them are loaded as the aggregator would, as a set
 * of their own, with a summary line of their own.
 * Exit 1 when there is an error (the sidecar would refuse the rules), 0 otherwise — warnings
 * alone do not fail, so the command can gate a deployment.
 */
import {
  type RuleLoadReport,
  declaredScope,
  inspectClusterRuleSources,
  inspectRuleSources,
  readRuleFiles,
} from '../rules/load/index.js';
import { formatRuleIssue } from '../rules/types.js';
import { parseRulesArgs, writeRulesLine as writeLine } from './rules-args.js';

export const RULES_CHECK_USAGE = `Usage: sense-sidecar rules check [paths...]

Validates rule files (YAML or JSON) and prints every problem as file:line:column: message.
Files marked scope: cluster are checked as the aggregator's cluster rules (e.g. rules/cluster).
paths   rule files or directories (*.yaml, *.yml, *.json directly inside);
        default: rules.paths from the configuration
Exit status: 0 when the rules load (warnings allowed), 1 on errors, 2 on bad usage.`;

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `argv` are the arguments after `rules check`. */
export async function runRulesCheckCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  defaults: { paths: readonly string[]; timezone: string },
): Promise<number> {
  const parsed = parseRulesArgs(argv, {}, RULES_CHECK_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const paths = parsed.positionals.length > 0 ? parsed.positionals : defaults.paths;
  const options = { defaultTimezone: defaults.timezone };
  const { sources, issues: readIssues } = await readRuleFiles(paths);
  const cluster = sources.filter((source) => declaredScope(source) === 'cluster');
  const sidecar = sources.filter((source) => !cluster.includes(source));
  const reports: { what: string; report: RuleLoadReport<string> }[] = [];
  if (sidecar.length > 0 || cluster.length === 0) {
    reports.push({ what: 'rule', report: inspectRuleSources(sidecar, options, readIssues) });
  }
  if (cluster.length > 0) {
    const external = sidecar.length > 0 ? [] : readIssues;
    reports.push({ what: 'cluster rule', report: inspectClusterRuleSources(cluster, options, external) });
  }
  let failed = false;
  for (const { report } of reports) {
    const { result } = report;
    for (const issue of result.ok ? result.warnings : result.issues)
      writeLine(io.stdout, formatRuleIssue(issue));
  }
  for (const { what, report } of reports) {
    const { result, ruleCount, fileCount } = report;
    const issues = result.ok ? result.warnings : result.issues;
    const errors = issues.filter((issue) => issue.severity === 'error').length;
    const warnings = issues.length - errors;
    if (errors > 0) failed = true;
    writeLine(
      io.stdout,
      `${count(ruleCount, what)} in ${count(fileCount, 'file')}: ${count(errors, 'error')}, ${count(warnings, 'warning')}`,
    );
  }
  return failed ? 1 : 0;
}
