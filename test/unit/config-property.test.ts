import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfig } from '../../src/config/load.js';

/** Pieces that make YAML-ish text likely to reach the interesting paths. */
const YAML_PIECES = [
  'udp:',
  'nats:',
  'log:',
  '  port: ',
  '  servers: ',
  '  allowedSources: ',
  '  level: ',
  'node: ',
  '9997',
  '99999',
  '8MiB',
  'nats://a:4222',
  '10.0.0.0/8',
  '- ',
  '? ',
  ': ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a ',
  '*a',
  '!tag ',
  '|',
  '>',
  '"',
  "'",
  '#',
  '---',
  '\n',
  '\n  ',
  '\t',
  ' ',
  '~',
  'null',
];

function checkNeverThrows(text: string): void {
  const result = loadConfig({ text, fileName: 'p.yaml', env: {}, hostname: 'h' });
  if (result.ok) return;
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(issue.file).toBe('p.yaml');
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.column).toBeGreaterThanOrEqual(1);
    expect(issue.message).not.toBe('');
    expect(formatIssue(issue)).toMatch(/^p\.yaml:\d+:\d+: /);
  }
}

describe('any text as config', () => {
  it('gives a config or issues with positions, never a throw (any string)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), checkNeverThrows), {
      numRuns: 500,
    });
  });

  it('gives a config or issues with positions, never a throw (YAML-ish text)', () => {
    const yamlish = fc
      .array(fc.constantFrom(...YAML_PIECES), { maxLength: 80 })
      .map((pieces) => pieces.join(''));
    fc.assert(fc.property(yamlish, checkNeverThrows), { numRuns: 1000 });
  });

  it('gives a config or issues with positions, never a throw (deeply repeated pieces)', () => {
    const deep = fc
      .tuple(
        fc.array(fc.constantFrom(...YAML_PIECES), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 2000 }),
      )
      .map(([pieces, times]) => pieces.join('').repeat(times));
    fc.assert(fc.property(deep, checkNeverThrows), { numRuns: 150 });
  });
});
