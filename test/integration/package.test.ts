import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStream } from '../helpers/jetstream.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeTcpPort, freeUdpPort } from '../helpers/ports.js';
import { type Executable, SidecarProcess } from '../helpers/sidecar-process.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The release as a Sense administrator gets it: `npm run package` builds the archives, and the
 * Linux executable runs from an empty directory with no Node.js anywhere on its PATH. The
 * Windows archive is checked for what can be checked here (it cannot be run).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NODE_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node;
const NAME = `sense-sidecar-${VERSION}`;
const TARBALL = join(ROOT, 'release', `${NAME}-linux-x64.tar.gz`);
const ZIP = join(ROOT, 'release', `${NAME}-win-x64.zip`);
/** The version stamped on the second build the upgrade test starts from. */
const PREVIOUS = '0.0.0-previous';

/** Names of the entries of a zip archive, from its central directory. */
function zipNames(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry at ${at}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

describe('release archives', () => {
  let dir: string;
  let home: string;
  let exe: Executable;

  beforeAll(() => {
    // Always built from the tree under test, so a stale archive cannot pass for this code.
    execFileSync(process.execPath, [join(ROOT, 'scripts/package.mjs')], { cwd: ROOT, stdio: 'pipe' });
    dir = mkdtempSync(join(tmpdir(), 'sense-release-'));
    execFileSync('tar', ['-xzf', TARBALL, '-C', dir]);
    home = join(dir, NAME);
    const bin = join(dir, 'empty-bin');
    mkdirSync(bin);
    exe = { path: join(home, 'sense-sidecar'), env: { PATH: bin, HOME: dir, LANG: 'C.UTF-8' } };
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], cwd: string) =>
    spawnSync(exe.path, args, { cwd, env: exe.env, encoding: 'utf8', timeout: 30_000 });

  it('the Linux archive holds one executable, the shipped rules with their tests, the example config, the licence and the install note', () => {
    const listed = execFileSync('tar', ['-tzf', TARBALL], { encoding: 'utf8' }).split('\n');
    for (const name of ['sense-sidecar', 'LICENSE', 'INSTALL.txt', 'config/sense-sidecar.example.yaml']) {
      expect(listed).toContain(`${NAME}/${name}`);
    }
    expect(
      listed.filter((n) => n.startsWith(`${NAME}/rules/tests/`) && n.endsWith('.yaml')).length,
    ).toBeGreaterThan(0);
    expect(listed.some((n) => n.includes('node_modules') || n.endsWith('.js'))).toBe(false);
    const sums = readFileSync(join(ROOT, 'release', 'SHA256SUMS'), 'utf8');
    expect(sums).toContain(`  ${NAME}-linux-x64.tar.gz`);
    expect(sums).toContain(`  ${NAME}-win-x64.zip`);
  });

  it('runs with no Node.js on PATH, from any directory: version, rules test, config reference', () => {
    expect(spawnSync('/bin/sh', ['-c', 'command -v node'], { env: exe.env }).status).not.toBe(0);
    const elsewhere = mkdtempSync(join(dir, 'cwd-'));
    const version = run(['--version'], elsewhere);
    expect(version.stdout.trim(), version.stderr).toBe(VERSION);
    const tests = run(['rules', 'test', join(home, 'rules')], elsewhere);
    expect(tests.status, tests.stdout + tests.stderr).toBe(0);
    expect(tests.stdout).toMatch(/(\d+) tests, \1 passed, 0 failed/);
    const reference = run(['config', 'reference'], elsewhere);
    expect(reference.stdout).toContain('`udp.port`');
  });

  it('end to end: datagrams in, CloudEvents in JetStream, the aggregator answers who is on', async () => {
    const nats = await NatsServer.start({ jetstream: true });
    const udpPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    let sidecar: SidecarProcess | undefined;
    let aggregator: SidecarProcess | undefined;
    try {
      // Default rules.paths from a directory without rules/: the rules beside the executable.
      sidecar = await SidecarProcess.startCommand(
        'run',
        [
          'node: sense1',
          `udp: {port: ${udpPort}}`,
          `nats: {servers: [${nats.url}]}`,
          `dataDir: ${join(dir, 'sidecar-data')}`,
        ].join('\n'),
        {},
        exe,
      );
      expect(
        sidecar.logs.some((l) => l.msg === 'rules.paths: using the rules shipped beside the executable'),
      ).toBe(true);
      // The executable carries its Node.js flags (SEA execArgv): nobody types them.
      expect(sidecar.logs.find((l) => 'missingFlags' in l)).toMatchObject({
        missingFlags: [],
        execArgv: ['--no-memory-reducer', '--expose-gc'],
      });
      await sendDatagrams(udpPort, [
        "/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;jdoe;AppAccess;/hub/;Start session for user 'CORP\\jdoe'",
        "/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;asmith;AppAccess;/hub/;Start session for user 'CORP\\asmith'",
      ]);
      const stored = await waitFor(async () => {
        const messages = await readStream(nats.url, 'SENSE_EVENTS');
        return messages.length >= 2 ? messages : undefined;
      }, 'two events in SENSE_EVENTS');
      expect(stored.map((m) => m.body.type)).toEqual(['sense.session.start', 'sense.session.start']);
      expect(stored.map((m) => m.body.source)).toEqual(['sense-sidecar/sense1', 'sense-sidecar/sense1']);

      aggregator = await SidecarProcess.startCommand(
        'aggregate',
        [
          `nats: {servers: [${nats.url}]}`,
          'consumer: {name: release-test}',
          `http: {port: ${httpPort}}`,
          `dataDir: ${join(dir, 'aggregator-data')}`,
        ].join('\n'),
        {},
        exe,
      );
      const body = await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/sessions`);
        const json = (await res.json()) as { sessions: { user: { id: string } }[] };
        return json.sessions.length >= 2 ? json : undefined;
      }, 'both sessions in /api/sessions');
      expect(body.sessions.map((s) => s.user.id).sort()).toEqual(['asmith', 'jdoe']);
      // The live page's style and every one of its scripts are assets inside the executable.
      const page = await (await fetch(`http://127.0.0.1:${httpPort}/`)).text();
      for (const part of [
        '--panel:',
        'function timeTicks',
        'createOnlineTable',
        'drawConcurrency',
        "new EventSource('/api/stream')",
      ])
        expect(page).toContain(part);
    } finally {
      await aggregator?.stop();
      await sidecar?.stop();
      await nats.stop();
    }
  }, 60_000);

  it('upgrade by replacing the executable: a new build on the old dataDir delivers the backlog exactly once and restores the state', async () => {
    // A second build, stamped as an earlier version, in a folder of its own: the "installed" one.
    const previous = join(dir, 'previous');
    execFileSync(
      process.execPath,
      [join(ROOT, 'scripts/package.mjs'), '--version', PREVIOUS, '--out', previous, '--platform', 'linux'],
      { cwd: ROOT, stdio: 'pipe' },
    );
    execFileSync('tar', [
      '-xzf',
      join(previous, `sense-sidecar-${PREVIOUS}-linux-x64.tar.gz`),
      '-C',
      previous,
    ]);
    const old: Executable = {
      path: join(previous, `sense-sidecar-${PREVIOUS}`, 'sense-sidecar'),
      env: exe.env,
    };
    expect(spawnSync(old.path, ['--version'], { env: old.env, encoding: 'utf8' }).stdout.trim()).toBe(
      PREVIOUS,
    );

    const nats = await NatsServer.start({ jetstream: true });
    await nats.stopProcess();
    const udpPort = await freeUdpPort();
    const config = [
      'node: sense1',
      `udp: {port: ${udpPort}}`,
      `nats: {servers: [${nats.url}]}`,
      `dataDir: ${join(dir, 'upgrade-data')}`,
      'http: {port: 0}',
    ].join('\n');
    const start = (user: string) =>
      `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;${user};AppAccess;/hub/;Start session for user`;
    const users = [
      ...Array.from({ length: 96 }, (_, i) => `user${i}`),
      ...Array.from({ length: 4 }, () => 'mallory'),
    ];
    const outboxRecords = async (sidecar: SidecarProcess) => {
      const ready = sidecar.logs.find((l) => l.msg === 'sense-sidecar ready');
      const text = await (await fetch(`${String(ready?.['http'])}/metrics`)).text();
      return metricValue(text, 'sense_sidecar_outbox_records');
    };
    const storedEvents = async () =>
      (await readStream(nats.url, 'SENSE_EVENTS')).filter((m) => m.subject.includes('.events.'));
    let before: SidecarProcess | undefined;
    let after: SidecarProcess | undefined;
    try {
      // The old version takes the datagrams while NATS is away: they wait in its outbox.
      before = await SidecarProcess.startCommand('run', config, {}, old);
      const installed = before;
      await sendDatagrams(udpPort, users.map(start));
      await waitFor(
        async () => (await outboxRecords(installed)) >= users.length,
        "the 100 events in the old version's outbox",
      );
      expect(await before.stop('SIGTERM')).toBe(0);
      const stopped = before.logs.find((l) => l.msg === 'sense-sidecar stopped');
      expect(Number(stopped?.['unpublished'])).toBeGreaterThanOrEqual(users.length);

      // The executable is replaced: the new version, same dataDir, NATS back.
      await nats.startProcess();
      after = await SidecarProcess.startCommand('run', config, {}, exe);
      const restored = await after.waitForLog(
        (l) => l.msg === 'live state restored from the last snapshot',
        'the state restore',
      );
      expect(Number(restored['sessions'])).toBe(users.length);
      const replacement = after;
      await waitFor(async () => (await storedEvents()).length >= users.length, 'the backlog in SENSE_EVENTS');
      await waitFor(async () => (await outboxRecords(replacement)) === 0, "the new version's outbox drained");
      const all = await storedEvents();
      expect(all).toHaveLength(users.length);
      expect(new Set(all.map((m) => m.body.id)).size).toBe(users.length);
      expect(all.map((m) => m.msgId)).toEqual(all.map((m) => m.body.id));
      expect(all.map((m) => (m.body.data['user'] as { id: string }).id).sort()).toEqual([...users].sort());

      // The restored state counts: the fifth parallel session of one user trips the shipped rule.
      await sendDatagrams(udpPort, [start('mallory')]);
      const alert = await waitFor(async () => {
        const alerts = await readStream(nats.url, 'SENSE_ALERTS');
        return alerts.find((m) => m.body.data['rule'] === 'parallel-session-limit');
      }, 'the parallel-session alert');
      expect(alert.body.data).toMatchObject({ facts: { activeSessions: 5 } });
    } finally {
      await after?.stop();
      await before?.stop();
      await nats.stop();
    }
  }, 120_000);

  it('the Windows archive holds a PE executable with the SEA blob of the same Node.js, and the same files', () => {
    const names = zipNames(readFileSync(ZIP));
    for (const name of ['sense-sidecar.exe', 'LICENSE', 'INSTALL.txt', 'config/sense-sidecar.example.yaml']) {
      expect(names).toContain(`${NAME}/${name}`);
    }
    const built = join(ROOT, 'release', '.build', 'win-x64', NAME, 'sense-sidecar.exe');
    expect(existsSync(built)).toBe(true);
    const pe = readFileSync(built);
    expect(pe.toString('latin1', 0, 2)).toBe('MZ');
    expect(pe.toString('latin1', pe.readUInt32LE(0x3c), pe.readUInt32LE(0x3c) + 4)).toBe('PE\0\0');
    expect(pe.includes(Buffer.from('NODE_SEA_BLOB', 'latin1'))).toBe(true);
    // The fuse --build-sea flips when it injects the blob: ':0' in a plain node.exe.
    expect(pe.toString('latin1')).toMatch(/NODE_SEA_FUSE_[0-9a-f]{32}:1/);
    expect(pe.includes(Buffer.from(`v${NODE_VERSION}`, 'latin1'))).toBe(true);
  });
});
