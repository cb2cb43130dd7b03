import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRuleSources } from '../../src/rules/load/index.js';
import { formatRuleIssue } from '../../src/rules/types.js';

/** Pieces that make rule-file-like text likely to reach the validator's deeper paths. */
const PIECES = [
  'lists:',
  'schedules:',
  'rules:',
  'timezone: UTC',
  '\n  - id: r',
  '\n    when: ',
  '\n    on: ',
  '\n    message: ',
  '\n    throttle: ',
  '\n  leavers: ',
  '\n  peak: ',
  '{all: [',
  '{any: [',
  '{not: ',
  '{fact: user, operator: inList, value: leavers}',
  '{fact: activeSessions, params: {per: user}, operator: greaterThan, value: ',
  '{fact: eventCount, params: {window: ',
  '{fact: inSchedule, params: {name: peak}, operator: equal, value: true}',
  "{windows: [{days: weekdays, from: '08:00', to: '10:00'}]}",
  "['ACME\\x']",
  "'{{user}} {{facts.activeSessions}}'",
  '"{{',
  '}}',
  '5',
  "'5'",
  '30m',
  '[',
  ']',
  '{',
  '}',
  ', ',
  ': ',
  '- ',
  '&a ',
  '*a',
  '!tag ',
  '|',
  '"',
  "'",
  '#',
  '---',
  '\n',
  '\t',
  ' ',
  '~',
  'null',
  '__proto__',
];

function checkNeverThrows(text: string): void {
  const result = loadRuleSources([{ name: 'p.yaml', text }], { defaultTimezone: 'UTC' });
  const issues = result.ok ? result.warnings : result.issues;
  if (!result.ok) expect(issues.some((issue) => issue.severity === 'error')).toBe(true);
  for (const issue of issues) {
    expect(issue.file).toBe('p.yaml');
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.column).toBeGreaterThanOrEqual(1);
    expect(issue.message).not.toBe('');
    expect(formatRuleIssue(issue)).toMatch(/^p\.yaml:\d+:\d+: /);
  }
}

describe('any text as a rule file', () => {
  it('gives a rule set or issues with positions, never a throw (any string)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), checkNeverThrows), {
      numRuns: 300,
    });
  });

  it('gives a rule set or issues with positions, never a throw (rule-file-like text)', () => {
    const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join(''));
    fc.assert(fc.property(text, checkNeverThrows), { numRuns: 1_000 });
  });

  it('also as JSON', () => {
    const json = fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify({ rules: [value] }));
    fc.assert(
      fc.property(json, (text) => {
        const result = loadRuleSources([{ name: 'p.json', text }]);
        for (const issue of result.ok ? result.warnings : result.issues)
          expect(issue.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});
