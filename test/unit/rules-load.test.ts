import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rule as EngineRule } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import {
  type LoadRuleOptions,
  type RuleSource,
  compileRuleMessages,
  inspectRuleSources,
  loadRuleSources,
} from '../../src/rules/load/index.js';
import { formatRuleIssue, type RuleIssue, type RuleSet } from '../../src/rules/types.js';

/**
 * Cases as data: each folder of test/fixtures/rules holds rule files (loaded in name order,
 * named by their base name) and expected.txt, the formatted issues in order — errors and
 * warnings; a case loads when none of them is an error.
 */
const FIXTURES = new URL('../fixtures/rules/', import.meta.url).pathname;

function fixtureSources(name: string): RuleSource[] {
  const dir = join(FIXTURES, name);
  return readdirSync(dir)
    .filter((file) => /\.(ya?ml|json)$/.test(file))
    .sort()
    .map((file) => ({ name: file, text: readFileSync(join(dir, file), 'utf8') }));
}

function issuesOf(
  sources: readonly RuleSource[],
  options: LoadRuleOptions = { defaultTimezone: 'UTC' },
): RuleIssue[] {
  const result = loadRuleSources(sources, options);
  return [...(result.ok ? result.warnings : result.issues)];
}

function linesOf(text: string, options?: LoadRuleOptions): string[] {
  return issuesOf([{ name: 'r.yaml', text }], options).map(formatRuleIssue);
}

function loaded(sources: readonly RuleSource[], defaultTimezone?: string): RuleSet {
  const result = loadRuleSources(sources, defaultTimezone === undefined ? {} : { defaultTimezone });
  if (!result.ok) throw new Error(result.issues.map(formatRuleIssue).join('\n'));
  return result.ruleSet;
}

const CASES = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('fixture cases', () => {
  it('has the cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(15);
  });

  it.each(CASES)('%s', (name) => {
    const expected = readFileSync(join(FIXTURES, name, 'expected.txt'), 'utf8')
      .split('\n')
      .filter(Boolean);
    const result = loadRuleSources(fixtureSources(name), { defaultTimezone: 'UTC' });
    const issues = result.ok ? result.warnings : result.issues;
    expect(issues.map(formatRuleIssue)).toEqual(expected);
    expect(result.ok).toBe(!expected.some((line) => !/^[^:]+:\d+:\d+: warning: /.test(line)));
  });
});

describe('the documented example', () => {
  const ruleSet = loaded(fixtureSources('valid-full'), 'Europe/Stockholm');

  it('loads every rule with its defaults filled in', () => {
    expect(ruleSet.files).toEqual(['rules.yaml']);
    expect(ruleSet.rules.map((rule) => rule.id)).toEqual([
      'exclude-service-accounts',
      'leaver-login',
      'parallel-session-limit',
    ]);
    const [exclude, leaver, parallel] = ruleSet.rules;
    expect(exclude).toEqual({
      id: 'exclude-service-accounts',
      origin: 'rules.yaml:10:5',
      action: 'drop',
      severity: 'warning',
      on: ['session.start', 'session.stop', 'connection.open', 'connection.close', 'session.expired'],
      when: { all: [{ fact: 'user', operator: 'inList', value: 'service-accounts' }] },
      key: 'none',
      throttleMs: 0,
      resolve: false,
      message: '{{rule}}: {{kind}} by {{user}} on {{host}}',
      description: '',
      timezone: 'Europe/Stockholm',
      enabled: true,
    });
    expect(leaver).toMatchObject({
      severity: 'critical',
      on: ['session.start'],
      message: '{{user}} is on the leavers list and started a session on {{host}}',
    });
    expect(parallel).toMatchObject({
      key: 'user',
      throttleMs: 30 * 60_000,
      resolve: true,
      when: {
        all: [
          { fact: 'activeSessions', params: { per: 'user' }, operator: 'greaterThanInclusive', value: 5 },
        ],
      },
    });
  });

  it('keeps lists and schedules by name', () => {
    expect([...ruleSet.lists]).toEqual([
      ['service-accounts', ['INTERNAL\\sa_*']],
      ['leavers', ['ACME\\mallory']],
    ]);
    expect(ruleSet.schedules.get('peak-hours')).toEqual({
      name: 'peak-hours',
      timezone: 'Europe/Stockholm',
      windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], fromMinute: 480, toMinute: 600 }],
    });
  });

  it('gives conditions json-rules-engine accepts, as plain objects', () => {
    for (const rule of ruleSet.rules) {
      expect(Object.getPrototypeOf(rule.when)).toBe(Object.prototype);
      expect(
        () => new EngineRule({ conditions: rule.when as never, event: { type: rule.id } }),
      ).not.toThrow();
    }
  });

  it('compiles every message for the evaluator', () => {
    const templates = compileRuleMessages(ruleSet);
    expect(templates.get('parallel-session-limit')?.names).toEqual(['user', 'facts.activeSessions', 'host']);
    expect(
      templates.get('exclude-service-accounts')?.render({
        rule: 'exclude-service-accounts',
        kind: 'session.start',
        user: 'INTERNAL\\sa_1',
        host: 'node-1',
      }),
    ).toBe('exclude-service-accounts: session.start by INTERNAL\\sa_1 on node-1');
  });
});

describe('several files', () => {
  it('merges lists and schedules into one namespace, in any file order', () => {
    const ruleSet = loaded(fixtureSources('lists-merged-across-files'));
    expect([...ruleSet.lists.keys()]).toEqual(['leavers', 'contractors']);
    expect(ruleSet.files).toEqual(['a-lists.yaml', 'b-rules.yaml']);
    // The schedule has no zone: the set's, from the other file, applies.
    expect(ruleSet.schedules.get('night')).toEqual({
      name: 'night',
      timezone: 'Europe/Stockholm',
      windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], fromMinute: 1320, toMinute: 360 }],
    });
    expect(ruleSet.rules.map((rule) => [rule.id, rule.origin, rule.timezone])).toEqual([
      ['leaver-at-night', 'b-rules.yaml:5:5', 'Europe/Stockholm'],
      ['contractor', 'b-rules.yaml:10:5', 'Europe/Stockholm'],
    ]);
  });

  it('lists issues in the order the files were given, then by position', () => {
    const sources = [
      { name: 'z.yaml', text: 'rules:\n  - id: x\n    when: {all: []}\nbogus: 1\n' },
      { name: 'a.yaml', text: 'wat: 1\n' },
    ];
    expect(issuesOf(sources).map(formatRuleIssue)).toEqual([
      'z.yaml:3:17: all: [] has no conditions, and json-rules-engine matches every event with it; add at least one',
      'z.yaml:4:1: unknown top-level key "bogus"; use one of lists, schedules, rules, timezone, scope',
      'a.yaml:1:1: unknown top-level key "wat"; use one of lists, schedules, rules, timezone, scope',
    ]);
  });

  it('counts rules and files even when the load fails', () => {
    const report = inspectRuleSources([
      { name: 'a.yaml', text: 'rules:\n  - id: a\n  - id: b\n' },
      { name: 'b.yaml', text: '' },
    ]);
    expect(report.result.ok).toBe(false);
    expect(report.ruleCount).toBe(2);
    expect(report.fileCount).toBe(2);
  });
});

describe('timezones', () => {
  const hourRule = 'rules:\n  - id: h\n    when: {all: [{fact: hour, operator: lessThan, value: 9}]}\n';

  it('leaves a rule without a zone to the evaluator when nothing sets one', () => {
    expect(loaded([{ name: 'r.yaml', text: hourRule }]).rules[0]?.timezone).toBeNull();
  });

  it('uses the caller default, then the set zone, then the rule zone', () => {
    expect(loaded([{ name: 'r.yaml', text: hourRule }], 'UTC').rules[0]?.timezone).toBe('UTC');
    const withSet = `timezone: Europe/Oslo\n${hourRule}`;
    expect(loaded([{ name: 'r.yaml', text: withSet }], 'UTC').rules[0]?.timezone).toBe('Europe/Oslo');
    const withRule = `${withSet}    timezone: Asia/Tokyo\n`;
    expect(loaded([{ name: 'r.yaml', text: withRule }], 'UTC').rules[0]?.timezone).toBe('Asia/Tokyo');
  });

  it('refuses a schedule without a zone when neither the files nor the caller give one', () => {
    const text = [
      'schedules:',
      "  peak: {windows: [{from: '08:00', to: '10:00'}]}",
      'rules:',
      '  - id: p',
      '    when: {all: [{fact: inSchedule, params: {name: peak}, operator: equal, value: true}]}',
    ].join('\n');
    expect(linesOf(text, {})).toEqual([
      'r.yaml:2:3: schedule "peak" has no timezone and no rule file sets one; add timezone: Europe/Stockholm (or your zone) to the schedule or at the top of a rule file',
    ]);
    expect(linesOf(text, { defaultTimezone: 'UTC' })).toEqual([]);
  });

  it('accepts a window crossing midnight and one ending at 24:00', () => {
    const text = [
      'timezone: UTC',
      'schedules:',
      "  s: {windows: [{days: fri, from: '22:00', to: '02:00'}, {days: [sat, weekend], from: '12:00', to: '24:00'}]}",
      'rules:',
      '  - id: p',
      '    when: {all: [{fact: inSchedule, params: {name: s}, operator: equal, value: true}]}',
    ].join('\n');
    expect(loaded([{ name: 'r.yaml', text }]).schedules.get('s')?.windows).toEqual([
      { days: ['fri'], fromMinute: 1320, toMinute: 120 },
      { days: ['sat', 'sun'], fromMinute: 720, toMinute: 1440 },
    ]);
  });
});

describe('reading the text', () => {
  it('reports YAML syntax errors with their position', () => {
    expect(linesOf('rules:\n  - id: a\n    when: {all: [\n')).toEqual([
      'r.yaml:4:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'r.yaml:4:1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('explains backslashes in double quotes', () => {
    expect(linesOf('lists:\n  leavers: ["ACME\\mallory"]\n')).toEqual([
      "r.yaml:2:18: YAML syntax error: Invalid escape sequence \\m; in double quotes a backslash starts an escape: write DIRECTORY\\user patterns in single quotes, e.g. 'ACME\\mallory'",
    ]);
  });

  it('refuses a key written twice, and a second document', () => {
    expect(linesOf('lists: {}\nlists: {}\n')).toEqual([
      'r.yaml:2:1: this key appears twice in the same mapping; keep one',
    ]);
    expect(linesOf('lists: {}\n---\nlists: {}\n')).toEqual([
      'r.yaml:2:1: the file holds more than one YAML document (a second "---"); keep one',
    ]);
  });

  it('reports JSON syntax errors with their position', () => {
    const issues = issuesOf([{ name: 'r.json', text: '{\n  "rules": [\n    {"id": "a",}\n  ]\n' }]);
    expect(issues.length).toBeGreaterThan(0);
    expect(
      issues.every((issue) => issue.file === 'r.json' && issue.line >= 1 && issue.severity === 'error'),
    ).toBe(true);
  });

  it('refuses an alias bomb quickly', () => {
    const lines = [
      'lists:',
      "  a: &a ['x\\1', 'x\\2', 'x\\3', 'x\\4', 'x\\5', 'x\\6', 'x\\7', 'x\\8', 'x\\9']",
    ];
    for (let level = 1; level <= 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(`  ${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]`);
    }
    const start = performance.now();
    const issues = issuesOf([{ name: 'r.yaml', text: lines.join('\n') }]);
    expect(performance.now() - start).toBeLessThan(2_000);
    expect(issues.map(formatRuleIssue)).toEqual([
      'r.yaml:3:10: more than 50 alias expansions (*a); write the values out instead',
    ]);
  });

  it('refuses deep nesting without recursing into it', () => {
    const deep = `rules:\n  - id: a\n    when: ${'{not: '.repeat(5_000)}x${'}'.repeat(5_000)}\n`;
    const lines = linesOf(deep);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^r\.yaml:3:\d+: the document is nested too deeply/);
  });

  it('refuses a root that is not a mapping, and warns about an empty file', () => {
    expect(linesOf('- id: a\n')).toEqual([
      'r.yaml:1:1: a rule file must be a mapping with lists:, schedules:, rules: or timezone:, got a list',
    ]);
    expect(linesOf('# nothing yet\n')).toEqual([
      'r.yaml:1:1: warning: the file is empty: it defines no lists, schedules or rules',
    ]);
  });

  it('loads no files as an empty rule set', () => {
    expect(loaded([])).toEqual({ lists: new Map(), schedules: new Map(), rules: [], files: [] });
  });

  it('keeps __proto__ a plain key in the conditions it returns', () => {
    const text =
      "rules:\n  - id: p\n    when: {all: [{fact: user, operator: equal, value: 'A\\b'}], __proto__: {x: 1}}\n";
    expect(linesOf(text)).toEqual([
      'r.yaml:3:64: unknown key "__proto__" in a condition; use one of fact, operator, value, params, path, all, any, not',
    ]);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});
