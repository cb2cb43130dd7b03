import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfig } from '../../src/config/load.js';
import type { ConfigIssue } from '../../src/config/types.js';
import { MAX_ALIASES, MAX_TEXT_CHARS } from '../../src/config/yaml-source.js';
import { ERROR_CASES } from '../fixtures/config/error-cases.js';

function issuesOf(text: string | undefined, env: Record<string, string> = {}): ConfigIssue[] {
  const result = loadConfig({
    text,
    fileName: text === undefined ? undefined : 'sidecar.yaml',
    env,
    hostname: 'h',
  });
  return result.ok ? [] : result.issues;
}

function timed<T>(run: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = run();
  return { value, ms: performance.now() - start };
}

describe('refused configurations', () => {
  it.each(ERROR_CASES.map((c) => [c.name, c] as const))('%s', (_name, errorCase) => {
    const issues = issuesOf(errorCase.text?.join('\n'), errorCase.env);
    expect(issues.map(formatIssue)).toEqual(errorCase.issues);
  });

  it('keeps the fields apart in each issue', () => {
    expect(issuesOf('udp:\n  port: 99999\n')).toEqual([
      {
        file: 'sidecar.yaml',
        line: 2,
        column: 9,
        path: 'udp.port',
        message: 'must be an integer between 1 and 65535, got "99999"',
      },
    ]);
    expect(issuesOf(undefined, { SENSE_SIDECAR_UDP_PORT: 'x' })).toEqual([
      {
        file: 'env',
        line: 0,
        column: 0,
        path: 'udp.port',
        message: 'must be an integer between 1 and 65535, got "x"',
      },
    ]);
  });
});

describe('positions', () => {
  it('does not count a byte order mark as a column', () => {
    expect(issuesOf('\uFEFFudp: 5').map(formatIssue)).toEqual([
      'sidecar.yaml:1:6: udp: must be a mapping with the keys host, port, receiveBufferBytes, maxDatagramBytes, allowedSources, got "5"',
    ]);
  });

  it('points into values reached through an alias at the anchored text', () => {
    const text = 'x: &nets [10.0.0.0/8, 10.0.0.300]\nudp:\n  allowedSources: *nets\n';
    expect(issuesOf(text).map(formatIssue)).toEqual([
      'sidecar.yaml:1:1: x: unknown key "x"; known keys: node, udp, nats, rules, sessions, state, jetstream, http, privacy, dataDir, log, status, memory, intake, outbox, shutdown',
      'sidecar.yaml:1:23: udp.allowedSources[1]: "10.0.0.300" is not an IP address or CIDR (e.g. 10.0.0.0/8)',
    ]);
  });

  it('points at an empty list item', () => {
    const text = 'udp:\n  allowedSources:\n    - 10.0.0.0/8\n    -\n';
    expect(issuesOf(text).map(formatIssue)).toEqual([
      'sidecar.yaml:4:6: udp.allowedSources[1]: an empty value is not an IP address or CIDR (e.g. 10.0.0.0/8)',
    ]);
  });
});

describe('resource limits', () => {
  it('refuses an alias bomb quickly, as an issue', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level <= 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]`);
    }
    const { value: issues, ms } = timed(() => issuesOf(lines.join('\n')));
    expect(ms).toBeLessThan(500);
    expect(issues).toHaveLength(1);
    expect(issues.map(formatIssue)[0]).toMatch(
      new RegExp(`^sidecar\\.yaml:\\d+:\\d+: .*more than ${MAX_ALIASES} alias expansions`),
    );
  });

  it('allows a few aliases', () => {
    const text = 'udp:\n  allowedSources: &nets [10.0.0.0/8]\nnats:\n  servers: [nats://a:4222]\n';
    expect(issuesOf(`${text}x: *nets\n`).map(formatIssue)).toEqual([
      'sidecar.yaml:5:1: x: unknown key "x"; known keys: node, udp, nats, rules, sessions, state, jetstream, http, privacy, dataDir, log, status, memory, intake, outbox, shutdown',
    ]);
  });

  it('refuses nesting deeper than 32 levels', () => {
    const flow = `udp: ${'['.repeat(40)}${']'.repeat(40)}`;
    expect(issuesOf(flow).map(formatIssue)).toEqual([
      'sidecar.yaml:1:37: the document is nested too deeply (more than 32 levels)',
    ]);
    const block = Array.from({ length: 40 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    expect(issuesOf(block).map(formatIssue)).toEqual([
      'sidecar.yaml:33:33: the document is nested too deeply (more than 32 levels)',
    ]);
  });

  it.each([
    ['flow sequences', `a: ${'['.repeat(100_000)}`],
    ['flow mappings', `a: ${'{a: '.repeat(50_000)}`],
    ['compact sequences', `${'- '.repeat(100_000)}x`],
    ['explicit keys', `${'? '.repeat(100_000)}x`],
    ['indentation', Array.from({ length: 700 }, (_, i) => `${' '.repeat(i)}- k:`).join('\n')],
  ])('refuses deep %s quickly, again and again', (_name, text) => {
    for (let round = 0; round < 3; round++) {
      const { value: issues, ms } = timed(() => issuesOf(text));
      expect(ms).toBeLessThan(1000);
      expect(issues.map((issue) => issue.message)).toEqual([
        'the document is nested too deeply (more than 32 levels)',
      ]);
    }
  });

  it('refuses a file too large to be a config', () => {
    expect(issuesOf(`# ${'x'.repeat(MAX_TEXT_CHARS)}`).map(formatIssue)).toEqual([
      'sidecar.yaml:1:1: the file is larger than 256 KiB; a sidecar config is a few KiB',
    ]);
  });
});

describe('formatIssue', () => {
  it('prints file issues as file:line:column: path: message', () => {
    expect(formatIssue({ file: 'a.yaml', line: 3, column: 5, path: 'udp.port', message: 'wrong' })).toBe(
      'a.yaml:3:5: udp.port: wrong',
    );
  });

  it('leaves the path out for the document as a whole', () => {
    expect(formatIssue({ file: 'a.yaml', line: 1, column: 1, path: '', message: 'not YAML' })).toBe(
      'a.yaml:1:1: not YAML',
    );
  });

  it('names the environment variable for environment issues', () => {
    expect(formatIssue({ file: 'env', line: 0, column: 0, path: 'udp.port', message: 'wrong' })).toBe(
      'env SENSE_SIDECAR_UDP_PORT: udp.port: wrong',
    );
    expect(
      formatIssue({ file: 'env', line: 0, column: 0, path: 'udp.allowedSources[2]', message: 'wrong' }),
    ).toBe('env SENSE_SIDECAR_UDP_ALLOWED_SOURCES: udp.allowedSources[2]: wrong');
    expect(
      formatIssue({ file: 'env', line: 0, column: 0, path: 'SENSE_SIDECAR_X', message: 'unknown' }),
    ).toBe('env SENSE_SIDECAR_X: unknown');
  });
});
