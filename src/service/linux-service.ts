/**
 * The systemd side of `service install|uninstall|status` as plans (pure): which user, files and
 * systemctl calls, in which order, and how `systemctl show` reads back as a summary.
 *
 * Invariants: every path the service reads or writes is checked against what the sandbox hides
 * (ProtectHome, PrivateTmp) before anything is planned, so an install never produces a service
 * that cannot see its own files; uninstall keeps the user and the data directory.
 */
import { posix } from 'node:path';
import { renderSystemdUnit } from './systemd-unit.js';
import type { ServiceSpec } from './service-spec.js';
import type { Step } from './steps.js';

export const UNIT_DIR = '/etc/systemd/system';
export const DEFAULT_LINUX_CONFIG_DIR = '/etc/sense-sidecar';

export function unitPath(name: string): string {
  return `${UNIT_DIR}/${name}.service`;
}

const HIDDEN = [
  { prefix: '/home', by: 'ProtectHome=yes' },
  { prefix: '/root', by: 'ProtectHome=yes' },
  { prefix: '/run/user', by: 'ProtectHome=yes' },
  { prefix: '/tmp', by: 'PrivateTmp=yes' },
  { prefix: '/var/tmp', by: 'PrivateTmp=yes' },
];

/** The sandbox setting that hides `path` from the service, if one does. */
export function hiddenBy(path: string): { prefix: string; by: string } | undefined {
  return HIDDEN.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
}

/** Problems with the paths a sandboxed service would use; empty when it can see them all. */
export function sandboxProblems(spec: ServiceSpec): string[] {
  const named: [string, string][] = [
    ['the executable', spec.launch.command],
    ...spec.launch.prefix.map((p): [string, string] => ['the script', p]),
    ['the config file', spec.configPath],
    ['dataDir', spec.dataDir],
    ...spec.readPaths.map((p): [string, string] => ['a configured path', p]),
  ];
  const problems: string[] = [];
  for (const [what, path] of named) {
    if (!posix.isAbsolute(path)) {
      problems.push(`${what} ${path} is not an absolute path`);
      continue;
    }
    const hidden = hiddenBy(path);
    if (hidden !== undefined) {
      problems.push(
        `${what} ${path} is under ${hidden.prefix}, which the service cannot see (${hidden.by}); move it, e.g. the program to /opt/sense-sidecar/ and configs to ${DEFAULT_LINUX_CONFIG_DIR}/`,
      );
    }
  }
  return problems;
}

export interface LinuxInstallPlan {
  readonly unit: string;
  readonly steps: Step[];
}

/** `alreadyInstalled`: the unit file exists, so the new one is applied with a restart. */
export function linuxInstallPlan(spec: ServiceSpec, alreadyInstalled: boolean): LinuxInstallPlan {
  const unit = renderSystemdUnit(spec);
  const user = spec.name;
  const service = `${spec.name}.service`;
  const steps: Step[] = [
    {
      kind: 'run',
      command: 'useradd',
      args: [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        user,
      ],
      unless: { command: 'id', args: ['-u', user] },
    },
    { kind: 'run', command: 'install', args: ['-d', '-m', '0750', '-o', user, '-g', user, spec.dataDir] },
    // Files left by a run by hand (as root) must become the service user's.
    { kind: 'run', command: 'chown', args: ['-R', `${user}:${user}`, spec.dataDir] },
    { kind: 'write', path: unitPath(spec.name), content: unit },
    { kind: 'run', command: 'systemctl', args: ['daemon-reload'] },
    { kind: 'run', command: 'systemctl', args: ['enable', '--now', service] },
  ];
  if (alreadyInstalled) steps.push({ kind: 'run', command: 'systemctl', args: ['restart', service] });
  return { unit, steps };
}

export function linuxUninstallPlan(name: string): Step[] {
  const service = `${name}.service`;
  return [
    { kind: 'run', command: 'systemctl', args: ['stop', service], mayFail: true },
    { kind: 'run', command: 'systemctl', args: ['disable', service], mayFail: true },
    { kind: 'remove', path: unitPath(name) },
    { kind: 'run', command: 'systemctl', args: ['daemon-reload'] },
  ];
}

export const STATUS_PROPERTIES = [
  'LoadState',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'MainPID',
  'ExecMainStartTimestamp',
  'NRestarts',
  'Result',
] as const;

export function linuxStatusCommand(name: string): { command: string; args: string[] } {
  return {
    command: 'systemctl',
    args: ['show', `${name}.service`, `--property=${STATUS_PROPERTIES.join(',')}`],
  };
}

export interface StatusSummary {
  /** 0 running, 3 not running, 4 not installed (systemctl is-active / LSB status codes). */
  readonly exitCode: 0 | 3 | 4;
  readonly text: string;
}

/** `systemctl show` output (Key=Value lines) as one summary. */
export function summariseSystemdShow(name: string, output: string): StatusSummary {
  const props = new Map<string, string>();
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const get = (key: string): string => props.get(key) ?? '';
  if (get('LoadState') === 'not-found' || get('LoadState') === '') {
    return { exitCode: 4, text: `${name}: not installed (no ${unitPath(name)})` };
  }
  const active = get('ActiveState');
  const lines = [`${name}: ${active} (${get('SubState')}), ${get('UnitFileState') || 'unknown'} at boot`];
  if (active === 'active') lines.push(`  pid ${get('MainPID')} since ${get('ExecMainStartTimestamp')}`);
  const restarts = get('NRestarts');
  if (restarts !== '' && restarts !== '0') lines.push(`  restarted ${restarts} time(s) after failures`);
  if (get('Result') !== '' && get('Result') !== 'success') lines.push(`  last result: ${get('Result')}`);
  lines.push(`  logs: journalctl -u ${name}.service`);
  return { exitCode: active === 'active' ? 0 : 3, text: lines.join('\n') };
}
