/**
 * The Windows side of `service install|uninstall|status` as plans (pure), through WinSW v2.
 *
 * WinSW v2 reads the XML named like its own exe, so each service gets its own copy of the
 * shipped wrapper, `<name>-service.exe` with `<name>-service.xml` beside it, in the program's
 * directory (Program Files: writable by administrators only, unlike ProgramData).
 *
 * Invariants: Windows paths are handled with path.win32 whatever the host; the data and log
 * directories are made writable for LocalService by SID (S-1-5-19), which no locale renames.
 */
import { win32 } from 'node:path';
import type { ServiceSpec } from './service-spec.js';
import type { Step } from './steps.js';
import { WINDOWS_LOG_DIR, renderWinswXml } from './winsw-xml.js';

/** The file the release archive ships beside sense-sidecar.exe: WinSW v2.12.0, x64 build, MIT. */
export const WRAPPER_FILE = 'WinSW-x64.exe';
const LOCAL_SERVICE_MODIFY = '*S-1-5-19:(OI)(CI)M';

export interface WrapperFiles {
  readonly exe: string;
  readonly xml: string;
}

/** `programDir`: the directory of sense-sidecar.exe (and of the shipped wrapper). */
export function wrapperFiles(programDir: string, name: string): WrapperFiles {
  return {
    exe: win32.join(programDir, `${name}-service.exe`),
    xml: win32.join(programDir, `${name}-service.xml`),
  };
}

export interface WindowsInstallPlan {
  readonly xml: string;
  readonly steps: Step[];
}

/** `alreadyInstalled`: the service's XML exists, so it is stopped, rewritten and refreshed. */
export function windowsInstallPlan(
  spec: ServiceSpec,
  programDir: string,
  alreadyInstalled: boolean,
): WindowsInstallPlan {
  const xml = renderWinswXml(spec);
  const files = wrapperFiles(programDir, spec.name);
  const grant = (dir: string): Step => ({
    kind: 'run',
    command: 'icacls',
    args: [dir, '/grant', LOCAL_SERVICE_MODIFY],
  });
  const steps: Step[] = [
    { kind: 'mkdir', path: spec.dataDir },
    grant(spec.dataDir),
    { kind: 'mkdir', path: WINDOWS_LOG_DIR },
    grant(WINDOWS_LOG_DIR),
  ];
  if (alreadyInstalled) steps.push({ kind: 'run', command: files.exe, args: ['stop'], mayFail: true });
  steps.push(
    { kind: 'copy', from: win32.join(programDir, WRAPPER_FILE), to: files.exe },
    { kind: 'write', path: files.xml, content: xml },
    { kind: 'run', command: files.exe, args: [alreadyInstalled ? 'refresh' : 'install'] },
    { kind: 'run', command: files.exe, args: ['start'] },
  );
  return { xml, steps };
}

export function windowsUninstallPlan(programDir: string, name: string): Step[] {
  const files = wrapperFiles(programDir, name);
  return [
    { kind: 'run', command: files.exe, args: ['stop'], mayFail: true },
    { kind: 'run', command: files.exe, args: ['uninstall'] },
    { kind: 'remove', path: files.xml },
    { kind: 'remove', path: files.exe },
  ];
}

/** WinSW v2's `status` prints Started, Stopped or NonExistent. */
export function summariseWinswStatus(name: string, output: string): { exitCode: 0 | 3 | 4; text: string } {
  const word = output.trim().split(/\s+/).pop() ?? '';
  const logs = `  logs: ${win32.join(WINDOWS_LOG_DIR, `${name}-service.out.log`)}`;
  if (word === 'Started') return { exitCode: 0, text: `${name}: running\n${logs}` };
  if (word === 'Stopped') return { exitCode: 3, text: `${name}: stopped\n${logs}` };
  return {
    exitCode: 4,
    text: `${name}: not installed${word === 'NonExistent' ? '' : ` (wrapper said "${output.trim()}")`}`,
  };
}
