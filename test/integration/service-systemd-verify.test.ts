import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import type { ServiceSpec } from '../../src/service/service-spec.js';
import { renderSystemdUnit } from '../../src/service/systemd-unit.js';
import { checkoutHidden, serviceScratch } from '../helpers/service-scratch.js';

const run = promisify(execFile);
const ANALYZE = '/usr/bin/systemd-analyze';
const present = existsSync(ANALYZE);
const scratch = mkdtempSync(join(tmpdir(), 'service-verify-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** systemd-analyze's complaints about this unit file (unknown keys, bad values, missing programs). */
async function verify(unit: string, name: string): Promise<{ code: number; complaints: string[] }> {
  const file = join(scratch, `${name}.service`);
  writeFileSync(file, unit);
  let code = 0;
  let stderr: string;
  try {
    ({ stderr } = await run(ANALYZE, ['verify', file]));
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    code = failed.code ?? 1;
    stderr = failed.stderr ?? '';
  }
  return { code, complaints: stderr.split('\n').filter((line) => line.includes(`${name}.service`)) };
}

describe.skipIf(!present)(`the rendered unit passes ${ANALYZE} verify`, () => {
  const target = join(scratch, 'sense-sidecar');
  writeFileSync(target, '#!/bin/sh\nexit 0\n');
  chmodSync(target, 0o755);
  const spec: ServiceSpec = {
    name: 'sense-sidecar',
    program: 'sidecar',
    launch: { command: target, prefix: [] },
    configPath: '/etc/sense-sidecar/sidecar.yaml',
    workingDirectory: '/etc/sense-sidecar',
    dataDir: '/var/lib/sense-sidecar',
    readPaths: [],
    shutdownTimeoutMs: 10_000,
    privilegedPort: false,
  };

  test('sidecar and aggregator units: exit 0, no complaint', async () => {
    expect(await verify(renderSystemdUnit(spec), 'sense-sidecar')).toEqual({ code: 0, complaints: [] });
    const aggregator = renderSystemdUnit({
      ...spec,
      name: 'sense-aggregator',
      program: 'aggregator',
      privilegedPort: true,
    });
    expect(await verify(aggregator, 'sense-aggregator')).toEqual({ code: 0, complaints: [] });
  });

  test('the check itself catches an unknown key and a missing program', async () => {
    const bogus = renderSystemdUnit(spec).replace(
      'ProtectSystem=strict',
      'ProtectSystem=strict\nProtectEverything=yes',
    );
    expect((await verify(bogus, 'bogus')).complaints.join('\n')).toMatch(/Unknown key/);
    const missing = renderSystemdUnit({ ...spec, launch: { command: join(scratch, 'absent'), prefix: [] } });
    expect(await verify(missing, 'missing')).not.toEqual({ code: 0, complaints: [] });
  });

  // From a checkout the unit could not see, the CLI rightly refuses its own executable.
  test.skipIf(checkoutHidden)('the unit the built CLI prints with --dry-run verifies too', async () => {
    const dir = serviceScratch('service-verify');
    try {
      const config = join(dir, 'sidecar.yaml');
      writeFileSync(config, 'dataDir: state\nshutdown:\n  timeout: 30s\n');
      const { stdout } = await run(process.execPath, [
        'dist/cli/main.js',
        'service',
        'install',
        '--config',
        config,
        '--dry-run',
      ]);
      const unit = stdout.slice(stdout.indexOf('\n') + 1, stdout.indexOf('# commands'));
      expect(unit).toContain('TimeoutStopSec=35s');
      expect(await verify(unit, 'from-cli')).toEqual({ code: 0, complaints: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test.runIf(!present)(
  `systemd-analyze verify skipped: ${ANALYZE} is absent (install the systemd package)`,
  () => {
    expect(present).toBe(false);
  },
);
