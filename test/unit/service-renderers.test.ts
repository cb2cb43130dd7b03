import { describe, expect, test } from 'vitest';
import { type ServiceSpec, launchOf, serviceArgs } from '../../src/service/service-spec.js';
import { quoteExecArg, renderSystemdUnit } from '../../src/service/systemd-unit.js';
import { quoteWindowsArg, renderWinswXml } from '../../src/service/winsw-xml.js';
import { childText, parseXmlTree } from '../helpers/xml-tree.js';

const LINUX: ServiceSpec = {
  name: 'sense-sidecar',
  program: 'sidecar',
  launch: { command: '/opt/sense-sidecar/sense-sidecar', prefix: [] },
  configPath: '/etc/sense-sidecar/sidecar.yaml',
  workingDirectory: '/etc/sense-sidecar',
  dataDir: '/var/lib/sense-sidecar',
  readPaths: [],
  shutdownTimeoutMs: 20_000,
  privilegedPort: false,
};

const WINDOWS: ServiceSpec = {
  ...LINUX,
  launch: { command: 'C:\\Program Files\\sense-sidecar\\sense-sidecar.exe', prefix: [] },
  configPath: 'C:\\ProgramData\\sense-sidecar\\R&D sidecar.yaml',
  workingDirectory: 'C:\\ProgramData\\sense-sidecar',
  dataDir: 'C:\\ProgramData\\sense-sidecar\\data',
};

/** `Key=value` lines of one section, in order. */
function section(unit: string, name: string): [string, string][] {
  const body = unit.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
  return body
    .split('\n')
    .slice(1)
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

describe('systemd unit', () => {
  const service = new Map(section(renderSystemdUnit(LINUX), 'Service'));

  test('runs the executable with run --config as its own user, restarted on failure', () => {
    expect(service.get('ExecStart')).toBe(
      '/opt/sense-sidecar/sense-sidecar run --config /etc/sense-sidecar/sidecar.yaml',
    );
    expect(service.get('User')).toBe('sense-sidecar');
    expect(service.get('WorkingDirectory')).toBe('/etc/sense-sidecar');
    expect(service.get('Restart')).toBe('on-failure');
    expect(service.get('KillSignal')).toBe('SIGTERM');
  });

  test('gives the process its shutdown timeout plus 5 s before systemd kills it', () => {
    expect(service.get('TimeoutStopSec')).toBe('25s');
    expect(
      new Map(section(renderSystemdUnit({ ...LINUX, shutdownTimeoutMs: 0 }), 'Service')).get(
        'TimeoutStopSec',
      ),
    ).toBe('5s');
  });

  test('is hardened: read-only system, only dataDir writable, no capabilities, native syscalls', () => {
    expect(Object.fromEntries(service)).toMatchObject({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ReadWritePaths: '/var/lib/sense-sidecar',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      SystemCallArchitectures: 'native',
      CapabilityBoundingSet: '',
      AmbientCapabilities: '',
    });
    // V8's JIT needs writable+executable pages; /proc/net/udp must stay readable.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    expect(service.has('ProcSubset')).toBe(false);
    expect(service.has('DynamicUser')).toBe(false);
  });

  test('keeps one capability, to bind a port below 1024, only when the config asks for one', () => {
    const low = new Map(section(renderSystemdUnit({ ...LINUX, privilegedPort: true }), 'Service'));
    expect(low.get('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(low.get('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
  });

  test('the aggregator runs "aggregate", and node + script when not the single executable', () => {
    const unit = renderSystemdUnit({
      ...LINUX,
      program: 'aggregator',
      name: 'sense-aggregator',
      launch: launchOf('/usr/bin/node', '/opt/sense sidecar/dist/cli/main.js'),
    });
    expect(new Map(section(unit, 'Service')).get('ExecStart')).toBe(
      '/usr/bin/node --no-memory-reducer --expose-gc "/opt/sense sidecar/dist/cli/main.js" aggregate --config /etc/sense-sidecar/sidecar.yaml',
    );
    expect(unit).toContain('Description=sense-aggregator:');
  });

  test('quotes ExecStart words so systemd expands no specifier or variable', () => {
    expect(quoteExecArg('/etc/a%b$c.yaml')).toBe('/etc/a%%b$$c.yaml');
    expect(quoteExecArg('a "b"\\c')).toBe('"a \\"b\\"\\\\c"');
    expect(() => quoteExecArg('a\nb')).toThrow(/line break/);
  });

  test('refuses a dataDir it cannot list in ReadWritePaths, saying what to change', () => {
    expect(() => renderSystemdUnit({ ...LINUX, dataDir: '/var/lib/my data' })).toThrow(
      /choose another dataDir/,
    );
  });
});

describe('WinSW XML', () => {
  const xml = renderWinswXml(WINDOWS);
  const root = parseXmlTree(xml);

  test('parses, and names the service, the executable and its arguments', () => {
    expect(root.name).toBe('service');
    expect(childText(root, 'id')).toBe('sense-sidecar');
    expect(childText(root, 'name')).toBe('sense-sidecar');
    expect(childText(root, 'description')).toContain('NATS');
    expect(childText(root, 'executable')).toBe('C:\\Program Files\\sense-sidecar\\sense-sidecar.exe');
    expect(childText(root, 'arguments')).toBe(
      'run --config "C:\\ProgramData\\sense-sidecar\\R&D sidecar.yaml"',
    );
    expect(childText(root, 'workingdirectory')).toBe('C:\\ProgramData\\sense-sidecar');
    expect(childText(root, 'startmode')).toBe('Automatic');
    expect(xml).toContain('R&amp;D');
  });

  test('restarts on failure with growing delays and stops within the shutdown timeout plus 5 s', () => {
    const failures = root.children.filter((c) => c.name === 'onfailure');
    expect(failures.map((f) => f.attributes)).toEqual([
      { action: 'restart', delay: '10 sec' },
      { action: 'restart', delay: '30 sec' },
      { action: 'restart', delay: '60 sec' },
    ]);
    expect(childText(root, 'resetfailure')).toBe('1 hour');
    expect(childText(root, 'stoptimeout')).toBe('25 sec');
  });

  test('logs under ProgramData, rolled by size, and runs as LocalService', () => {
    expect(childText(root, 'logpath')).toBe('C:\\ProgramData\\sense-sidecar\\logs');
    const log = root.children.find((c) => c.name === 'log');
    expect(log?.attributes.mode).toBe('roll-by-size');
    expect(log && childText(log, 'sizeThreshold')).toBe('10240');
    expect(log && childText(log, 'keepFiles')).toBe('8');
    const account = root.children.find((c) => c.name === 'serviceaccount');
    expect(account && [childText(account, 'domain'), childText(account, 'user')]).toEqual([
      'NT AUTHORITY',
      'LocalService',
    ]);
  });

  test('quotes arguments the way CommandLineToArgvW reads them', () => {
    expect(quoteWindowsArg('plain')).toBe('plain');
    expect(quoteWindowsArg('C:\\a b\\')).toBe('"C:\\a b\\\\"');
    expect(quoteWindowsArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteWindowsArg('')).toBe('""');
  });
});

describe('launch', () => {
  test('the single executable runs itself (its flags are in it); node runs the script with the flags', () => {
    expect(launchOf('C:\\Program Files\\sense-sidecar\\sense-sidecar.exe', 'whatever')).toEqual({
      command: 'C:\\Program Files\\sense-sidecar\\sense-sidecar.exe',
      prefix: [],
    });
    expect(launchOf('/opt/sense-sidecar/sense-sidecar', undefined).prefix).toEqual([]);
    expect(launchOf('/usr/bin/node', '/opt/s/dist/cli/main.js')).toEqual({
      command: '/usr/bin/node',
      prefix: ['/opt/s/dist/cli/main.js'],
      nodeFlags: ['--no-memory-reducer', '--expose-gc'],
    });
    expect(() => launchOf('/usr/bin/node', undefined)).toThrow(/dist\/cli\/main.js/);
    expect(serviceArgs({ ...LINUX, program: 'aggregator' })).toEqual([
      'aggregate',
      '--config',
      '/etc/sense-sidecar/sidecar.yaml',
    ]);
  });
});
