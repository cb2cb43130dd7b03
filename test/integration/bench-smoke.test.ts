import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * `npm run bench -- --smoke`: the benchmark's short run, so the script keeps working. It asserts
 * that every section is there with numbers, not that the targets are met (a smoke run on a busy
 * CI machine says nothing about performance).
 */
const SCRIPT = fileURLToPath(new URL('../../scripts/bench.mjs', import.meta.url));
const onLinux = process.platform === 'linux';
const run = promisify(execFile);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The value at a dotted path of the results. */
function at(results: unknown, path: string): unknown {
  let value: unknown = results;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function expectNumber(results: unknown, path: string): void {
  const value = at(results, path);
  expect(typeof value === 'number' && Number.isFinite(value), `${path} = ${JSON.stringify(value)}`).toBe(
    true,
  );
}

describe('npm run bench -- --smoke', () => {
  it('runs every phase against a real nats-server and sidecar and writes every section as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sense-bench-smoke-'));
    dirs.push(dir);
    const out = join(dir, 'bench.json');
    const { stdout } = await run(process.execPath, [SCRIPT, '--smoke', '--out', out], {
      timeout: 170_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toContain('ceiling: bare UDP receiver');
    expect(stdout).toContain('sustained steps');

    const results: unknown = JSON.parse(readFileSync(out, 'utf8'));
    for (const path of [
      'ceilings.udp.perSecond',
      'ceilings.jetstream.perSecond',
      'ceilings.jetstream.messageBytes',
      'ceilings.lower',
      'sustained.rate',
      'sustained.actualRate',
      'sustained.shareOfCeiling',
      'bursts.paced.offered',
      'bursts.paced.received',
      'bursts.paced.published',
      'bursts.paced.lost',
      'bursts.flood.offered',
      'bursts.flood.received',
      'bursts.flood.published',
      'bursts.flood.lost',
      'latency.p50Ms',
      'latency.p99Ms',
      'latency.maxMs',
      'footprint.readyMs',
      'quietSettings.burst.offered',
      'quietSettings.burst.received',
      'quietSettings.burst.published',
    ]) {
      expectNumber(results, path);
    }
    // Read from /proc: numbers on Linux, "n/a" (null) elsewhere.
    if (onLinux) {
      for (const path of [
        'bursts.paced.kernelDrops',
        'bursts.flood.kernelDrops',
        'footprint.idleRssMb',
        'footprint.sustainedRssMb',
        'footprint.cpuPercentAt100',
        'quiet.floor.idle.wakeupsPerSecond',
        'quiet.floor.idle.cpuPercent',
        'quiet.floor.idle.rssMb',
        'quiet.sidecar.idle.wakeupsPerSecond',
        'quiet.sidecar.idle.cpuPercent',
        'quiet.sidecar.idle.rssMb',
        'quiet.floor.goingQuiet.cpuPercent',
        'quiet.sidecar.goingQuiet.cpuPercent',
        'quiet.sidecar.goingQuiet.wakeupsPerSecond',
        'quiet.floor.rates.5.cpuPercent',
        'quiet.sidecar.rates.5.cpuPercent',
        'quiet.floor.rates.100.cpuPercent',
        'quiet.sidecar.rates.100.cpuPercent',
        'quiet.sidecar.rates.100.wakeupsPerSecond',
        'quiet.ratios.idleRss',
        'quiet.sidecar.idle.rssAfterTrimMb',
        'quiet.sidecar.idle.trimMs',
        'quiet.ratios.idleRssAfterTrim',
        'quietSettings.quiet.idle.rssAfterTrimMb',
        'quiet.floorWithLibraries.idleRssMb',
        'quiet.floorWithLibraries.overFloor',
        'quiet.durableFloor.profile.rates.5.cpuPercent',
        'quiet.durableFloor.ratios.cpuAt5',
        'quiet.durableFloor.profile.idle.rssMb',
        'quiet.ratios.cpuAt5',
        'quiet.ratios.cpuAt100',
        'batching.ratios.cpuAt100',
        'longWait.ratios.cpuAt5',
        'longWait.quiet.rates.5.cpuPercent',
        'quietSettings.ratios.cpuAt5',
        'quietSettings.ratios.idleRss',
        'quietSettings.quiet.rates.5.cpuPercent',
      ]) {
        expectNumber(results, path);
      }
    }
    const steps = at(results, 'sustained.steps');
    expect(Array.isArray(steps) && steps.length > 0).toBe(true);
    for (let i = 0; i < (steps as unknown[]).length; i++) {
      for (const key of ['offeredRate', 'sent', 'coreEvents', 'lost'])
        expectNumber(results, `sustained.steps.${i}.${key}`);
    }
    expect(at(results, 'meta.sidecarMode')).toMatch(/^(jetstream|core)$/);
    expect(at(results, 'quiet.lost')).toBe(0);
    expect(at(results, 'longWait.lost')).toBe(0);
    expect(at(results, 'quietSettings.lost')).toBe(0);
    expect(at(results, 'quietSettings.readerThread')).toBe(false);
    expect(stdout).toContain('quiet node');
    expect(stdout).toContain('readerThread false, batchWait 5 s');
    expect(at(results, 'quiet.floorWithLibraries.imported')).toContain('@nats-io/transport-node');
    expect(stdout).toContain("The floor with the stack's");
    expect(stdout).toContain('idle RSS after the idle trim');
    expect(stdout).toContain('CPU going quiet');
    expect(at(results, 'quiet.durableFloor.lost')).toBe(0);
    expect(stdout).toContain('The floor with the durable round and nothing else');
    expect(at(results, 'checks')).toHaveLength(9);
  }, 180_000);
});
