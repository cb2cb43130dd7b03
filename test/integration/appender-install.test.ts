import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { defaultConfigPath, runAppenderCommand } from '../../src/cli/appender-command.js';
import { captureText } from '../helpers/capture.js';
import { CLI } from '../helpers/sidecar-process.js';

const ORIGINAL = Buffer.from(
  '\ufeff<?xml version="1.0" encoding="UTF-8"?>\r\n<configuration>\r\n  <appender name="AuditFile" type="log4net.Appender.RollingFileAppender">\r\n    <param name="File" value="C:\\Temp\\audit.txt" />\r\n  </appender>\r\n  <logger name="Audit.Proxy">\r\n    <appender-ref ref="AuditFile" />\r\n  </logger>\r\n</configuration>\r\n',
);

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('sense-sidecar appender (built CLI, real files)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'appender-'));
    file = join(dir, 'LocalLogConfig.xml');
    writeFileSync(file, ORIGINAL);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('dry-run prints a diff and writes nothing', () => {
    const run = cli('appender', 'install', '--file', file, '--dry-run', '--port', '9100');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`--- ${file}\n`);
    expect(run.stdout).toContain(
      '\n+  <appender name="SenseSidecarSessions" type="log4net.Appender.UdpAppender">\n',
    );
    expect(run.stdout).toContain('\n+    <param name="remotePort" value="9100" />\n');
    expect(run.stdout).toContain('--dry-run: nothing written');
    expect(readFileSync(file).equals(ORIGINAL)).toBe(true);
    expect(readdirSync(dir)).toEqual(['LocalLogConfig.xml']);
  });

  test('install backs up and writes; a second install changes nothing; remove gives back the original', () => {
    const first = cli('appender', 'install', '--file', file);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const backups = readdirSync(dir).filter((name) => name !== 'LocalLogConfig.xml');
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(/^LocalLogConfig\.xml\.\d{8}T\d{6}Z\.bak$/);
    expect(readFileSync(join(dir, backups[0] ?? '')).equals(ORIGINAL)).toBe(true);
    const installed = readFileSync(file);
    expect(installed.subarray(0, 3).equals(ORIGINAL.subarray(0, 3))).toBe(true);
    expect(installed.toString('utf8')).toContain('\r\n  <logger name="AuditActivity.Proxy">\r\n');
    expect(first.stdout).toContain('restart the Qlik Sense Proxy Service');

    const second = cli('appender', 'install', '--file', file);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already installed');
    expect(readFileSync(file).equals(installed)).toBe(true);
    expect(readdirSync(dir)).toHaveLength(2);

    const removed = cli('appender', 'remove', '--file', file);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(readFileSync(file).equals(ORIGINAL)).toBe(true);
    // No temporary file is left, and every write kept a backup.
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.endsWith('.bak'))).toHaveLength(2);

    const again = cli('appender', 'remove', '--file', file);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('not installed, nothing to remove');
  });

  test('malformed XML is refused with file:line:column, exit 2, the file untouched', () => {
    const broken = Buffer.from('<configuration>\n  <logger name="x">\n</configuration>\n');
    writeFileSync(file, broken);
    const run = cli('appender', 'install', '--file', file);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${file}:3:1: </configuration> does not match <logger> opened at 2:3: write </logger>; the file was not changed`,
    );
    expect(readFileSync(file).equals(broken)).toBe(true);
    expect(readdirSync(dir)).toEqual(['LocalLogConfig.xml']);
  });

  test('bad usage exits 2 saying what to change; appender-xml still prints the whole file', () => {
    const noFile = cli('appender', 'install');
    if (process.platform !== 'win32') {
      expect(noFile.code).toBe(2);
      expect(noFile.stderr).toContain('--file is required when not on Windows');
    }
    const badPort = cli('appender', 'install', '--file', file, '--port', '70000');
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port must be an integer from 1 to 65535 (got "70000")');
    expect(cli('appender', 'frobnicate').code).toBe(2);
    const xml = cli('appender-xml', '--port', '9100');
    expect(xml.code).toBe(0);
    expect(xml.stdout).toMatch(/^<\?xml version="1.0"\?>\n/);
    expect(cli('appender', 'xml', '--port', '9100').stdout).toBe(xml.stdout);
  });

  test('a missing file is created on install (no backup) and is a no-op for remove', () => {
    rmSync(file);
    const removed = cli('appender', 'remove', '--file', file);
    expect(removed.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    const installed = cli('appender', 'install', '--file', file);
    expect(installed.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['LocalLogConfig.xml']);
    expect(readFileSync(file, 'utf8')).toContain('<appender name="SenseSidecarConnections"');
  });

  test('the backup name comes from the injected clock, and a second backup in one second gets -2', async () => {
    const context = {
      platform: 'linux' as const,
      env: {},
      now: () => new Date('2026-12-06T09:30:15.250Z'),
      pid: 1,
    };
    const io = { stdout: captureText(), stderr: captureText() };
    expect(await runAppenderCommand(['install', '--file', file], io, context)).toBe(0);
    expect(await runAppenderCommand(['remove', '--file', file], io, context)).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'LocalLogConfig.xml',
      'LocalLogConfig.xml.20261206T093015Z-2.bak',
      'LocalLogConfig.xml.20261206T093015Z.bak',
    ]);
    expect(io.stderr.text()).toBe('');
  });

  test('the default file on Windows is under %ProgramData%; elsewhere there is none', () => {
    expect(defaultConfigPath('win32', { ProgramData: 'D:\\ProgramData' })).toBe(
      'D:\\ProgramData\\Qlik\\Sense\\Proxy\\LocalLogConfig.xml',
    );
    expect(defaultConfigPath('win32', {})).toBe('C:\\ProgramData\\Qlik\\Sense\\Proxy\\LocalLogConfig.xml');
    expect(defaultConfigPath('linux', { ProgramData: 'D:\\ProgramData' })).toBeUndefined();
  });
});
