/**
 * `sense-sidecar rules test`: unit tests for rule files, in virtual time (like `promtool test
 * rules`). Each test replays events through the sidecar's own decoder, live state and `Judge`
 * (drop rules → state → alert rules; ticks for expiry and resolve-by-time), so a rule behaves
 * in a test exactly as in the running sidecar, and a test covering hours takes milliseconds.
 *
 * ## Where tests live
 *
 * Beside the rules: for each rules path, `<path>/tests/*.yaml` (also `*.yml`, `*.json`; for a
 * path that is a file, `<its directory>/tests/`). Every test runs against all the rules under
 * all the paths, loaded as one set, as the sidecar loads them.
 *
 * ## Test file format
 *
 * ```yaml
 * timezone: Europe/Stockholm        # optional: the config's rules.timezone to test with
 *                                   # (default: the sidecar's). A rule file's own timezone wins.
 * sessions:                         # optional: the config's sessions.* (defaults 30m and 5m)
 *   inactivityTimeout: 30m
 *   expiryGrace: 5m
 * lists:                            # optional: replace lists of the rules for these tests, so
 *   leavers: ['CORP\test.leaver']   # tests keep passing when operators edit the real lists
 * tests:
 *   - name: mallory reaches the Qlik limit of 5 parallel sessions   # unique in the file
 *     start: 2026-11-30T08:00:00+01:00  # ISO 8601 with a UTC offset (or Z): offset 0 of the test
 *     events:                           # `at`: offset from start, e.g. 0s, 90s, 1m30s, 2h, 500ms
 *       - {at: 0s, kind: session.start, user: 'CORP\mallory', host: SENSE-NODE1}
 *       - {at: 10s, kind: session.start, user: 'CORP\mallory', repeat: 4, every: 10s}
 *       - {at: 2m, kind: connection.open, user: 'CORP\jdoe', app: e7af59a0-c243-480d-9571-08727551a66f,
 *          userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) ... Chrome/120.0.0.0 Safari/537.36'}
 *       - {at: 3m, datagram: '/qseow-proxy-session/;SENSE-NODE1;Stop session;CORP;jdoe;AppAccess;/hub/;'}
 *       - {at: 4m, datagram: 'garbage', rejected: unknown-prefix}
 *       - {at: 5m, kind: session.start, user: 'INTERNAL\sa_reload', origin: '', repeat: 3}
 *     advanceTo: 45m                    # optional: let virtual time run on after the last event
 *     expect:                           # alerts that must be published, in any order
 *       - {rule: parallel-session-limit, key: 'CORP\mallory', status: firing, at: 40s}
 *       - {rule: parallel-session-limit, status: resolved, count: 1}
 *     forbid:                           # alerts that must not be published
 *       - leaver-login                  # a bare rule id is short for {rule: leaver-login}
 *     dropped:                          # events a drop rule must have dropped
 *       - {rule: exclude-service-accounts, count: 3}
 * ```
 *
 * Events. `kind`: session.start, session.stop, connection.open or connection.close
 * (session.expired is the sidecar's own: let time pass). `user`: `DIRECTORY\userId`, in single
 * quotes (in double quotes `\` starts an escape). Unset fields get what a Sense node sends:
 * `host` SENSE-NODE1, `origin` AppAccess, `context` `/app/<app>` when `app` (a GUID) is given,
 * else `/hub/`, and the proxy's usual `message`, with `UserAgent: '…'` when `userAgent` is given.
 * `repeat: N` sends the event N times, `every` apart (default 0s: all at the same instant);
 * `{{n}}` in user, host, context, origin, userAgent, message or datagram becomes 1, 2, … N, so
 * `user: 'CORP\user{{n}}', repeat: 300` is 300 users. `datagram:` is raw proxy text. Every
 * event, also one written field by field, becomes a datagram and goes through the sidecar's
 * decoder, so appId, browser and os are what the sidecar would see; a datagram the sidecar
 * rejects fails the test unless `rejected: <reason>` (e.g. unknown-command) expects that.
 * Events run in time order; events of one instant in the order written.
 *
 * Time. `judge.tick` runs every 10 s of virtual time after start (expiring silent sessions as
 * `session.expired` events, re-checking firing resolve rules), before the events of the same
 * instant, until the last event or `advanceTo` (also when it is off the 10 s grid). With the
 * default sessions, a user silent since offset 0 is expired at 35m10s. A test covers at most
 * 7 days and 100 000 events.
 *
 * Checks (a test must have at least one):
 * - `expect`: every entry must match at least one published alert, or exactly `count` of them.
 *   `expect: []` means no alert at all may be published.
 * - `forbid`: no published alert may match an entry.
 * - `dropped`: the drop rule dropped at least one event, or exactly `count` (0 allowed).
 * Filters: `rule` (required; checked against the rules, with did-you-mean), `key` (the rule's
 * key: `DIR\user`, the host, the app id, or `*` for key none), `status` (firing or resolved;
 * either when left out), `host`, `at` (the alert's offset, exact), `message` (`*` matches any
 * text, case-insensitive). A reminder after the throttle is another published alert, so
 * `count` checks throttling.
 *
 * Output: `ok   <file>: <name>`, or `FAIL <file>: <name>` followed by, indented, each check
 * that did not hold (`file:line:column: expected {…}, but …`), every alert that was published
 * as an `expect:` entry with its severity and message as a comment, the sessions that expired
 * and the events dropped (`--verbose` shows these under passing tests too). Then
 * `N tests, P passed, F failed`. Errors in rule or test files are printed first as
 * `file:line:column: message`; a test file with errors does not run.
 */
import { IssueLog } from '../load/source.js';
import { type RuleSource, loadRuleSources } from '../load/load.js';
import type { RuleIssue, RuleLoadResult, RuleSet } from '../types.js';
import { formatRuleIssue } from '../types.js';
import { readTestFile } from './parse.js';
import { type RuleTestResult, runTest } from './run.js';
import { describeFilter } from './spec.js';
import { formatOffset, plural } from './text.js';

export type { ExpiredSessions, PublishedAlert, RuleTestResult } from './run.js';
export { readRuleTestSources, testDirectories } from '../load/files.js';

export interface RuleTestInput {
  readonly ruleSources: readonly RuleSource[];
  readonly testSources: readonly RuleSource[];
  /** The config's `rules.timezone`; a test file's `timezone:` overrides it for its tests. */
  readonly defaultTimezone: string;
  /** Problems reading the rule paths (missing, unreadable); errors fail the rules like load errors. */
  readonly ruleReadIssues?: readonly RuleIssue[];
  /** Problems finding or reading test files; errors fail the run. */
  readonly testReadIssues?: readonly RuleIssue[];
}

export interface RuleTestReport {
  /** Rule issues first (as `rules check` prints them), then test file issues; warnings included. */
  readonly issues: readonly RuleIssue[];
  /** False when the rules have errors: then no test runs. */
  readonly rulesLoaded: boolean;
  readonly results: readonly RuleTestResult[];
  readonly passed: number;
  readonly failed: number;
  /** Test files with errors, whose tests did not run. */
  readonly filesNotRun: readonly string[];
  /** No error anywhere and every test that ran passed. */
  readonly ok: boolean;
}

/** Runs every test of `testSources` against the rules of `ruleSources`. Pure apart from async. */
export async function runRuleTests(input: RuleTestInput): Promise<RuleTestReport> {
  const loads = new Map<string, RuleLoadResult>();
  const load = (timezone: string): RuleLoadResult => {
    let result = loads.get(timezone);
    if (result === undefined) {
      result = loadRuleSources(input.ruleSources, { defaultTimezone: timezone });
      loads.set(timezone, result);
    }
    return result;
  };
  const ruleReadIssues = input.ruleReadIssues ?? [];
  const ruleReadFailed = ruleReadIssues.some((issue) => issue.severity === 'error');
  const base = load(input.defaultTimezone);
  const ruleIssues = [...ruleReadIssues, ...(base.ok ? base.warnings : base.issues)];
  const rulesLoaded = base.ok && !ruleReadFailed;

  const log = new IssueLog();
  for (const issue of input.testReadIssues ?? []) log.addExternal(issue);
  const files = input.testSources.map((source, index) =>
    readTestFile(source.name, source.text, index, log, base.ok ? base.ruleSet : null),
  );

  const results: RuleTestResult[] = [];
  const filesNotRun: string[] = [];
  for (const file of files) {
    if (!file.ok) {
      filesNotRun.push(file.name);
      continue;
    }
    if (!rulesLoaded) continue;
    const timezone = file.timezone ?? input.defaultTimezone;
    const loaded = load(timezone);
    for (const test of file.tests) {
      results.push(
        loaded.ok
          ? await runTest(test, {
              ruleSet: withLists(loaded.ruleSet, file.lists),
              timezone,
              sessions: file.sessions,
            })
          : notLoaded(test.file, test.name, test.place, timezone, loaded.issues),
      );
    }
  }
  const issues = [...ruleIssues, ...log.sorted()];
  const passed = results.filter((result) => result.passed).length;
  const failed = results.length - passed;
  const errors = issues.some((issue) => issue.severity === 'error');
  return { issues, rulesLoaded, results, passed, failed, filesNotRun, ok: !errors && failed === 0 };
}

function withLists(ruleSet: RuleSet, lists: ReadonlyMap<string, readonly string[]>): RuleSet {
  return lists.size === 0 ? ruleSet : { ...ruleSet, lists: new Map([...ruleSet.lists, ...lists]) };
}

function notLoaded(
  file: string,
  name: string,
  place: string,
  timezone: string,
  issues: readonly RuleIssue[],
): RuleTestResult {
  const first = issues[0];
  const why = first === undefined ? '' : `: ${formatRuleIssue(first)}`;
  return {
    file,
    name,
    place,
    passed: false,
    failures: [`${place}: the rules do not load with timezone ${timezone}${why}`],
    alerts: [],
    expired: [],
    dropped: [],
    events: 0,
  };
}

/** What was published, as lines under a failed (or, verbose, any) test; indented by the caller. */
export function describeRun(result: RuleTestResult): string[] {
  const lines: string[] = [];
  if (result.alerts.length === 0) {
    lines.push(`no alerts were published (${plural(result.events, 'event')} sent)`);
  } else {
    lines.push(
      `published ${plural(result.alerts.length, 'alert')} (${plural(result.events, 'event')} sent):`,
    );
    for (const alert of result.alerts) {
      const filter = describeFilter({
        rule: alert.rule,
        key: alert.key,
        status: alert.status,
        atMs: alert.atMs,
      });
      lines.push(`  - ${filter}  # ${alert.severity}: ${alert.message}`);
    }
  }
  if (result.expired.length > 0) {
    lines.push('sessions expired:');
    for (const entry of result.expired) {
      lines.push(
        `  - at ${formatOffset(entry.atMs)}: ${entry.user} on ${entry.host} (${plural(entry.sessions, 'session')})`,
      );
    }
  }
  if (result.dropped.length > 0) {
    lines.push(`events dropped: ${result.dropped.map(({ rule, count }) => `${rule} ${count}`).join(', ')}`);
  }
  return lines;
}

/** The command's output, one line per element. `verbose`: what was published under passing tests too. */
export function formatRuleTestReport(
  report: RuleTestReport,
  options: { readonly verbose?: boolean } = {},
): string[] {
  const lines = report.issues.map(formatRuleIssue);
  if (!report.rulesLoaded) lines.push('no test ran: the rules have errors (above)');
  for (const result of report.results) {
    lines.push(`${result.passed ? 'ok  ' : 'FAIL'} ${result.file}: ${result.name}`);
    for (const failure of result.failures) lines.push(`  ${failure}`);
    if (!result.passed || options.verbose === true) {
      for (const line of describeRun(result)) lines.push(`  ${line}`);
    }
  }
  for (const file of report.filesNotRun)
    lines.push(`${file}: its tests did not run: the file has errors (above)`);
  const total = report.results.length;
  lines.push(`${plural(total, 'test')}, ${report.passed} passed, ${report.failed} failed`);
  return lines;
}
