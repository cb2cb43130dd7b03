import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderAggregatorConfigReference } from '../../src/config/aggregator-load.js';
import { renderConfigReference } from '../../src/config/reference.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Cells of a markdown table, trimmed, so that prettier's column padding does not matter. */
function cells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim().replace(/^-+$/, '---')));
}

describe('README', () => {
  it('shows the configuration reference exactly as `sense-sidecar config reference` prints it', () => {
    const start = readme.indexOf('\n', readme.indexOf('<!-- config-reference:start')) + 1;
    const end = readme.indexOf('<!-- config-reference:end');
    expect(cells(readme.slice(start, end))).toEqual(cells(renderConfigReference()));
  });

  it('shows the aggregator keys exactly as `sense-sidecar config reference --aggregator` prints them', () => {
    const start = readme.indexOf('\n', readme.indexOf('<!-- aggregator-config-reference:start')) + 1;
    const end = readme.indexOf('<!-- aggregator-config-reference:end');
    expect(end).toBeGreaterThan(start);
    expect(cells(readme.slice(start, end))).toEqual(cells(renderAggregatorConfigReference()));
  });

  it('gives the same test command as CI', () => {
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    expect(readme).toContain('npm test ');
    expect(ci).toMatch(/^npm test$/m);
  });
});
