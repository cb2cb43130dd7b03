import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type ServiceContext, runServiceCommand } from '../../src/cli/service-command.js';
import type { RunResult, SystemAccess } from '../../src/service/steps.js';
import { captureText } from '../helpers/capture.js';
import { serviceScratch } from '../helpers/service-scratch.js';

// The sandbox checks refuse configs under /tmp and /home, so they live where a service could see them.
const dir = serviceScratch('service-test');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Records every call; `files` are the paths that exist; `answers` maps a command line to its result. */
function fakeSystem(files: string[] = [], answers: Record<string, Partial<RunResult>> = {}) {
  const calls: string[] = [];
  const present = new Set(files);
  const system: SystemAccess = {
    run: (command, args) => {
      const line = [command, ...args].join(' ');
      calls.push(`run ${line}`);
      return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', ...answers[line] });
    },
    // The config files are real; everything else the fake decides.
    exists: (path) => Promise.resolve(present.has(path) || (path.startsWith(dir) && existsSync(path))),
    writeFile: (path, content) => {
      calls.push(`write ${path} (${content.split('\n')[0] ?? ''})`);
      return Promise.resolve();
    },
    copyFile: (from, to) => {
      calls.push(`copy ${from} ${to}`);
      return Promise.resolve();
    },
    mkdir: (path) => {
      calls.push(`mkdir ${path}`);
      return Promise.resolve();
    },
    remove: (path) => {
      calls.push(`remove ${path}`);
      return Promise.resolve();
    },
  };
  return { system, calls };
}

const NODE_LINUX = { execPath: '/opt/node/bin/node', scriptPath: '/opt/sense-sidecar/dist/cli/main.js' };
const EXE_WINDOWS = {
  execPath: 'C:\\Program Files\\sense-sidecar\\sense-sidecar.exe',
  scriptPath: undefined,
};

async function run(argv: string[], context: Partial<ServiceContext> & { system: SystemAccess }, env = {}) {
  const stdout = captureText();
  const stderr = captureText();
  const code = await runServiceCommand(argv, { stdout, stderr }, env, {
    platform: 'linux',
    isRoot: true,
    ...NODE_LINUX,
    ...context,
  });
  return { code, out: stdout.text(), err: stderr.text() };
}

const GOOD = config('sidecar.yaml', 'dataDir: state\nshutdown:\n  timeout: 20s\n');

describe('service install on Linux', () => {
  test('creates the user and dataDir, writes the unit, reloads and enables it, in that order', async () => {
    const { system, calls } = fakeSystem();
    const result = await run(['install', '--config', GOOD], { system });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(calls).toEqual([
      'run id -u sense-sidecar',
      // the fake says `id` succeeded, so no useradd
      `run install -d -m 0750 -o sense-sidecar -g sense-sidecar ${dir}/state`,
      `run chown -R sense-sidecar:sense-sidecar ${dir}/state`,
      'write /etc/systemd/system/sense-sidecar.service (# Written by "sense-sidecar service install"; install again to change it, do not edit.)',
      'run systemctl daemon-reload',
      'run systemctl enable --now sense-sidecar.service',
    ]);
  });

  test('adds the system user when it is missing, and restarts a unit that was already there', async () => {
    const { system, calls } = fakeSystem(['/etc/systemd/system/sense-aggregator.service'], {
      'id -u sense-aggregator': { exitCode: 1 },
    });
    const agg = config('aggregator.yaml', 'dataDir: /var/lib/sense-aggregator\n');
    const result = await run(['install', '--aggregator', '--config', agg], { system });
    expect(result.code).toBe(0);
    expect(calls.slice(0, 2)).toEqual([
      'run id -u sense-aggregator',
      'run useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sense-aggregator',
    ]);
    expect(calls.slice(-2)).toEqual([
      'run systemctl enable --now sense-aggregator.service',
      'run systemctl restart sense-aggregator.service',
    ]);
  });

  test('--dry-run prints the unit and the commands and touches nothing, even without root', async () => {
    const { system, calls } = fakeSystem();
    const result = await run(['install', '--config', GOOD, '--name', 'edge-sidecar', '--dry-run'], {
      system,
      isRoot: false,
    });
    expect(result.code).toBe(0);
    expect(calls).toEqual([]);
    expect(result.out).toContain('# /etc/systemd/system/edge-sidecar.service\n');
    expect(result.out).toContain(
      `ExecStart=/opt/node/bin/node --no-memory-reducer --expose-gc /opt/sense-sidecar/dist/cli/main.js run --config ${GOOD}\n`,
    );
    expect(result.out).toContain(`ReadWritePaths=${dir}/state\n`);
    expect(result.out).toContain('TimeoutStopSec=25s\n');
    expect(result.out).toContain('id -u edge-sidecar || useradd --system');
    expect(result.out).toContain('systemctl enable --now edge-sidecar.service');
  });

  test('a bad config is refused with file:line:column before anything runs', async () => {
    const { system, calls } = fakeSystem();
    const bad = config('bad.yaml', 'shutdown:\n  timeout: 20 s\n');
    const result = await run(['install', '--config', bad], { system });
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${bad}:2:12: shutdown.timeout`);
    expect(calls).toEqual([]);
  });

  test('the installing shell environment is not the service environment: ignored, and said so', async () => {
    const { system } = fakeSystem();
    const result = await run(
      ['install', '--config', GOOD, '--dry-run'],
      { system },
      { SENSE_SIDECAR_DATA_DIR: '/elsewhere' },
    );
    expect(result.err).toContain('SENSE_SIDECAR_DATA_DIR ignored');
    expect(result.out).toContain(`ReadWritePaths=${dir}/state\n`);
  });

  test('refuses paths the sandbox would hide, and a missing config, saying what to change', async () => {
    const { system, calls } = fakeSystem();
    const hidden = config('hidden.yaml', 'dataDir: /home/qlik/data\nrules:\n  paths: [/tmp/rules]\n');
    const result = await run(['install', '--config', hidden], { system });
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      'dataDir /home/qlik/data is under /home, which the service cannot see (ProtectHome=yes)',
    );
    expect(result.err).toContain('/tmp/rules is under /tmp, which the service cannot see (PrivateTmp=yes)');
    const missing = await run(['install'], { system });
    expect(missing.err).toContain('/etc/sense-sidecar/sidecar.yaml: no such config file');
    expect(calls).toEqual([]);
  });

  test('needs root to change anything', async () => {
    const { system, calls } = fakeSystem();
    const result = await run(['install', '--config', GOOD], { system, isRoot: false });
    expect(result.code).toBe(1);
    expect(result.err).toContain('run it as root');
    expect(calls).toEqual([]);
  });

  test('stops at the first failing command and says which and why', async () => {
    const { system, calls } = fakeSystem([], {
      'systemctl daemon-reload': { exitCode: 1, stderr: 'Failed to connect to bus' },
    });
    const result = await run(['install', '--config', GOOD], { system });
    expect(result.code).toBe(1);
    expect(result.err).toContain('systemctl daemon-reload exited with 1: Failed to connect to bus');
    expect(calls.at(-1)).toBe('run systemctl daemon-reload');
  });

  test('bad arguments are usage errors', async () => {
    const { system } = fakeSystem();
    expect((await run(['restart'], { system })).err).toContain('unknown action "restart"');
    expect((await run(['install', '--name', 'Bad Name'], { system })).err).toContain('--name must be');
    expect((await run(['status', '--config', GOOD], { system })).code).toBe(2);
  });
});

describe('service uninstall and status on Linux', () => {
  test('uninstall: stop, disable, remove the unit, daemon-reload', async () => {
    const { system, calls } = fakeSystem(['/etc/systemd/system/sense-sidecar.service']);
    const result = await run(['uninstall'], { system });
    expect(result.code).toBe(0);
    expect(calls).toEqual([
      'run systemctl stop sense-sidecar.service',
      'run systemctl disable sense-sidecar.service',
      'remove /etc/systemd/system/sense-sidecar.service',
      'run systemctl daemon-reload',
    ]);
    expect(result.out).toContain('data directory and user are kept');
  });

  test('uninstall of something not installed changes nothing', async () => {
    const { system, calls } = fakeSystem();
    const result = await run(['uninstall', '--name', 'other'], { system });
    expect(result.code).toBe(1);
    expect(result.err).toContain('other is not installed (no /etc/systemd/system/other.service)');
    expect(calls).toEqual([]);
  });

  test('status summarises systemctl show and exits like systemctl is-active', async () => {
    const show =
      'systemctl show sense-sidecar.service --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,ExecMainStartTimestamp,NRestarts,Result';
    const running = fakeSystem([], {
      [show]: {
        stdout:
          'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=4242\nExecMainStartTimestamp=Mon 2026-12-07 08:00:00 UTC\nNRestarts=2\nResult=success\n',
      },
    });
    const up = await run(['status'], { system: running.system });
    expect(running.calls).toEqual([`run ${show}`]);
    expect(up.code).toBe(0);
    expect(up.out).toContain('sense-sidecar: active (running), enabled at boot');
    expect(up.out).toContain('pid 4242 since Mon 2026-12-07 08:00:00 UTC');
    expect(up.out).toContain('restarted 2 time(s)');

    const failed = fakeSystem([], {
      [show]: {
        stdout:
          'LoadState=loaded\nActiveState=failed\nSubState=failed\nUnitFileState=enabled\nResult=exit-code\n',
      },
    });
    const down = await run(['status'], { system: failed.system });
    expect(down.code).toBe(3);
    expect(down.out).toContain('last result: exit-code');

    const none = fakeSystem([], { [show]: { stdout: 'LoadState=not-found\nActiveState=inactive\n' } });
    expect((await run(['status'], { system: none.system })).code).toBe(4);
  });
});

describe('service on Windows (WinSW)', () => {
  const PROGRAM = 'C:\\Program Files\\sense-sidecar';
  const WRAPPER = `${PROGRAM}\\WinSW-x64.exe`;
  const EXE = `${PROGRAM}\\sense-sidecar-service.exe`;
  const XML = `${PROGRAM}\\sense-sidecar-service.xml`;
  const DATA = 'C:\\ProgramData\\sense-sidecar\\data';
  const LOGS = 'C:\\ProgramData\\sense-sidecar\\logs';
  // The loader reads a real file; a Windows-style path to it is what the service would get.
  const windows = { platform: 'win32' as const, isRoot: false, ...EXE_WINDOWS };

  test('install: writable data and logs for LocalService, the wrapper copy and its XML, install, start', async () => {
    const cfg = config('win.yaml', 'dataDir: C:\\ProgramData\\sense-sidecar\\data\n');
    const { system, calls } = fakeSystem([WRAPPER, cfg]);
    const result = await run(['install', '--config', cfg], { ...windows, system });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(calls).toEqual([
      `mkdir ${DATA}`,
      `run icacls ${DATA} /grant *S-1-5-19:(OI)(CI)M`,
      `mkdir ${LOGS}`,
      `run icacls ${LOGS} /grant *S-1-5-19:(OI)(CI)M`,
      `copy ${WRAPPER} ${EXE}`,
      `write ${XML} (<?xml version="1.0" encoding="UTF-8"?>\r)`,
      `run ${EXE} install`,
      `run ${EXE} start`,
    ]);
  });

  test('installing again stops, rewrites and refreshes instead of installing twice', async () => {
    const cfg = config('win2.yaml', 'dataDir: C:\\ProgramData\\sense-sidecar\\data\n');
    const { system, calls } = fakeSystem([WRAPPER, XML, cfg]);
    expect((await run(['install', '--config', cfg], { ...windows, system })).code).toBe(0);
    expect(calls.slice(4)).toEqual([
      `run ${EXE} stop`,
      `copy ${WRAPPER} ${EXE}`,
      `write ${XML} (<?xml version="1.0" encoding="UTF-8"?>\r)`,
      `run ${EXE} refresh`,
      `run ${EXE} start`,
    ]);
  });

  test('a missing wrapper is refused with what to ship', async () => {
    const cfg = config('win3.yaml', 'dataDir: C:\\ProgramData\\sense-sidecar\\data\n');
    const { system, calls } = fakeSystem([cfg]);
    const result = await run(['install', '--config', cfg], { ...windows, system });
    expect(result.code).toBe(1);
    expect(result.err).toContain('WinSW-x64.exe (WinSW v2.12.0) beside sense-sidecar.exe');
    expect(calls).toEqual([]);
  });

  test('uninstall: stop, uninstall, remove the XML and the wrapper copy', async () => {
    const { system, calls } = fakeSystem([XML, EXE]);
    expect((await run(['uninstall'], { ...windows, system })).code).toBe(0);
    expect(calls).toEqual([`run ${EXE} stop`, `run ${EXE} uninstall`, `remove ${XML}`, `remove ${EXE}`]);
  });

  test('status reads the wrapper', async () => {
    const { system } = fakeSystem([EXE], { [`${EXE} status`]: { stdout: 'Started\n' } });
    const result = await run(['status'], { ...windows, system });
    expect(result.code).toBe(0);
    expect(result.out).toContain('sense-sidecar: running');
    expect(result.out).toContain('C:\\ProgramData\\sense-sidecar\\logs\\sense-sidecar-service.out.log');
    const none = fakeSystem();
    expect((await run(['status'], { ...windows, system: none.system })).code).toBe(4);
  });
});
