import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConfigCommand } from '../../src/cli/config-command.js';

async function check(yaml: string, aggregator: boolean): Promise<{ code: number; out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sense-config-check-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const args = ['check', '--config', file, ...(aggregator ? ['--aggregator'] : [])];
  const code = await runConfigCommand(args, { stdout, stderr }, {});
  return { code, out, err };
}

describe('config check', () => {
  it("shows the sidecar's secrets written in the file as set, never their values", async () => {
    const r = await check(
      ['node: N1', 'nats: {token: s3cret-nats-token}', 'privacy: {secret: a-long-pseudonym-secret}'].join(
        '\n',
      ),
      false,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('s3cret-nats-token');
    expect(r.out).not.toContain('a-long-pseudonym-secret');
    expect(r.out).toContain('"token": "<redacted>"');
  });

  it("shows a receiver's URL given as text as set, and keeps file paths", async () => {
    const r = await check(
      [
        'alerting:',
        '  receivers:',
        '    - {name: chat, type: slack, url: "https://hooks.slack.com/services/T0/B0/very-secret"}',
        '    - {name: hook, type: webhook, url: {file: /etc/sense/hook-url}}',
        '  routes:',
        '    - {receivers: [chat, hook]}',
      ].join('\n'),
      true,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('very-secret');
    expect(r.out).toContain('/etc/sense/hook-url');
  });
});
