/**
 * `sense-sidecar service install|uninstall|status`: the thin shell around src/service/. It
 * loads the config with the project's loader (a bad config is refused with file:line:column
 * before anything is touched), builds the spec, asks the platform's planner for steps and runs
 * them through the injected SystemAccess.
 *
 * The config is loaded with an empty environment: the service will not get the installing
 * shell's environment, so neither does the install.
 */
import { posix, win32 } from 'node:path';
import { parseArgs } from 'node:util';
import type { AggregatorConfig } from '../config/aggregator-schema.js';
import type { SidecarConfig } from '../config/schema.js';
import {
  DEFAULT_LINUX_CONFIG_DIR,
  linuxInstallPlan,
  linuxStatusCommand,
  linuxUninstallPlan,
  sandboxProblems,
  summariseSystemdShow,
  unitPath,
} from '../service/linux-service.js';
import {
  DEFAULT_NAMES,
  type Launch,
  type ServiceProgram,
  type ServiceSpec,
  checkServiceName,
  launchOf,
} from '../service/service-spec.js';
import { type Step, type SystemAccess, describeStep, executePlan } from '../service/steps.js';
import { WINDOWS_BASE_DIR } from '../service/winsw-xml.js';
import {
  WRAPPER_FILE,
  summariseWinswStatus,
  windowsInstallPlan,
  windowsUninstallPlan,
  wrapperFiles,
} from '../service/windows-service.js';
import { type CommandIo, writeLine } from './io.js';
import { EXIT_BAD_CONFIG, loadAggregatorConfigFile, loadConfigFile } from './load-config-file.js';

export const SERVICE_USAGE = `Usage: sense-sidecar service install [--config FILE] [--name NAME] [--aggregator] [--dry-run]
       sense-sidecar service uninstall [--name NAME] [--aggregator] [--dry-run]
       sense-sidecar service status [--name NAME] [--aggregator]

Installs this executable as a service that runs "run --config FILE" (or "aggregate
--config FILE" with --aggregator): a hardened systemd unit on Linux, a WinSW-wrapped
Windows service on Windows. Needs root / an administrator.

  --config FILE   the config the service runs with (checked now; default
                  ${DEFAULT_LINUX_CONFIG_DIR}/sidecar.yaml or aggregator.yaml on Linux,
                  ${WINDOWS_BASE_DIR}\\sidecar.yaml or aggregator.yaml on Windows)
  --name NAME     service (and on Linux, user) name; default sense-sidecar / sense-aggregator
  --aggregator    the aggregator instead of the sidecar
  --dry-run       print the unit or XML and the commands, change nothing
  -h, --help      show this help`;

export interface ServiceContext {
  readonly platform: NodeJS.Platform;
  readonly execPath: string;
  readonly scriptPath: string | undefined;
  readonly isRoot: boolean;
  readonly system: SystemAccess;
}

type Os = 'linux' | 'windows';

interface Options {
  readonly action: 'install' | 'uninstall' | 'status';
  readonly program: ServiceProgram;
  readonly name: string;
  readonly configPath: string | undefined;
  readonly dryRun: boolean;
}

export async function runServiceCommand(
  argv: string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
  context: ServiceContext,
): Promise<number> {
  const parsed = parseOptions(argv, io);
  if (typeof parsed === 'number') return parsed;
  const os: Os | null =
    context.platform === 'linux' ? 'linux' : context.platform === 'win32' ? 'windows' : null;
  if (os === null) {
    writeLine(
      io.stderr,
      `service: ${context.platform} is not supported; install on Linux (systemd) or Windows`,
    );
    return 1;
  }
  if (os === 'linux' && parsed.action !== 'status' && !parsed.dryRun && !context.isRoot) {
    writeLine(
      io.stderr,
      `service ${parsed.action} changes /etc/systemd/system: run it as root (sudo), or add --dry-run to see what it would do`,
    );
    return 1;
  }
  let launch: Launch;
  try {
    launch = launchOf(context.execPath, context.scriptPath);
  } catch (error) {
    writeLine(io.stderr, `service: ${(error as Error).message}`);
    return 1;
  }
  const programDir = programDirectory(launch);
  try {
    switch (parsed.action) {
      case 'install':
        return await install(parsed, os, launch, programDir, io, env, context.system);
      case 'uninstall':
        return await uninstall(parsed, os, programDir, io, context.system);
      case 'status':
        return await status(parsed, os, programDir, io, context.system);
    }
  } catch (error) {
    writeLine(
      io.stderr,
      `service ${parsed.action} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
}

function parseOptions(argv: string[], io: CommandIo): Options | number {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    writeLine(io.stdout, SERVICE_USAGE);
    return 0;
  }
  if (action !== 'install' && action !== 'uninstall' && action !== 'status') {
    writeLine(
      io.stderr,
      `service: unknown action "${action}"; use install, uninstall or status\n\n${SERVICE_USAGE}`,
    );
    return EXIT_BAD_CONFIG;
  }
  let values: { config?: string; name?: string; aggregator?: boolean; 'dry-run'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string', short: 'c' },
        name: { type: 'string' },
        aggregator: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    writeLine(
      io.stderr,
      `service: ${error instanceof Error ? error.message : String(error)}\n\n${SERVICE_USAGE}`,
    );
    return EXIT_BAD_CONFIG;
  }
  if (values.help === true) {
    writeLine(io.stdout, SERVICE_USAGE);
    return 0;
  }
  const program: ServiceProgram = values.aggregator === true ? 'aggregator' : 'sidecar';
  const name = values.name ?? DEFAULT_NAMES[program];
  const nameProblem = checkServiceName(name);
  if (nameProblem !== null) {
    writeLine(io.stderr, `service: ${nameProblem}`);
    return EXIT_BAD_CONFIG;
  }
  if (action !== 'install' && values.config !== undefined) {
    writeLine(io.stderr, `service: --config is for install only; ${action} finds the service by --name`);
    return EXIT_BAD_CONFIG;
  }
  if (action === 'status' && values['dry-run'] === true) {
    writeLine(io.stderr, 'service: status changes nothing; drop --dry-run');
    return EXIT_BAD_CONFIG;
  }
  return { action, program, name, configPath: values.config, dryRun: values['dry-run'] === true };
}

/** Where sense-sidecar.exe lives (and the shipped wrapper beside it); the package root under node. */
function programDirectory(launch: Launch): string {
  const script = launch.prefix[0];
  if (script === undefined) return pathsOf(launch.command).dirname(launch.command);
  const path = pathsOf(script);
  return path.resolve(path.dirname(script), '..', '..');
}

function pathsOf(path: string): typeof posix {
  return /^[a-zA-Z]:[\\/]|^\\\\/.test(path) ? win32 : posix;
}

async function install(
  options: Options,
  os: Os,
  launch: Launch,
  programDir: string,
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
  system: SystemAccess,
): Promise<number> {
  const path = os === 'linux' ? posix : win32;
  const file = options.program === 'sidecar' ? 'sidecar.yaml' : 'aggregator.yaml';
  const given =
    options.configPath ?? path.join(os === 'linux' ? DEFAULT_LINUX_CONFIG_DIR : WINDOWS_BASE_DIR, file);
  const configPath = path.isAbsolute(given) ? given : path.resolve(given);
  if (!(await system.exists(configPath))) {
    writeLine(
      io.stderr,
      `${configPath}: no such config file; write one (see "sense-sidecar config reference") or pass --config FILE`,
    );
    return EXIT_BAD_CONFIG;
  }
  const prefix = options.program === 'sidecar' ? 'SENSE_SIDECAR_' : 'SENSE_AGGREGATOR_';
  const ignored = Object.keys(env).filter((k) => k.startsWith(prefix));
  if (ignored.length > 0) {
    writeLine(
      io.stderr,
      `note: ${ignored.join(', ')} ignored: the service does not get this shell's environment; put the keys in ${configPath}`,
    );
  }
  const loaded =
    options.program === 'sidecar'
      ? await loadConfigFile(configPath, {}, io)
      : await loadAggregatorConfigFile(configPath, {}, io);
  if (loaded === null) return EXIT_BAD_CONFIG;
  const spec = specOf(options, launch, configPath, loaded, path);

  let steps: Step[];
  let rendered: { file: string; content: string };
  if (os === 'linux') {
    const problems = sandboxProblems(spec);
    if (problems.length > 0) {
      for (const problem of problems) writeLine(io.stderr, problem);
      writeLine(io.stderr, `service install refused: ${problems.length} problem(s)`);
      return EXIT_BAD_CONFIG;
    }
    const plan = linuxInstallPlan(spec, await system.exists(unitPath(spec.name)));
    steps = plan.steps;
    rendered = { file: unitPath(spec.name), content: plan.unit };
  } else {
    const wrapper = win32.join(programDir, WRAPPER_FILE);
    if (!(await system.exists(wrapper))) {
      writeLine(
        io.stderr,
        `${wrapper}: the service wrapper is missing; the release archive ships ${WRAPPER_FILE} (WinSW v2.12.0) beside sense-sidecar.exe, put it there`,
      );
      if (!options.dryRun) return 1;
    }
    const files = wrapperFiles(programDir, spec.name);
    const plan = windowsInstallPlan(spec, programDir, await system.exists(files.xml));
    steps = plan.steps;
    rendered = { file: files.xml, content: plan.xml };
  }
  if (options.dryRun) {
    writeLine(io.stdout, `# ${rendered.file}\n${rendered.content}`);
    writeLine(io.stdout, `# commands\n${steps.map(describeStep).join('\n')}`);
    return 0;
  }
  await executePlan(steps, system, (line) => writeLine(io.stdout, `+ ${line}`));
  writeLine(
    io.stdout,
    `${spec.name} installed and started; check it with "sense-sidecar service status${nameFlag(options)}"`,
  );
  return 0;
}

function nameFlag(options: Options): string {
  const flags = options.program === 'aggregator' ? ' --aggregator' : '';
  return options.name === DEFAULT_NAMES[options.program] ? flags : `${flags} --name ${options.name}`;
}

function specOf(
  options: Options,
  launch: Launch,
  configPath: string,
  config: SidecarConfig | AggregatorConfig,
  path: typeof posix,
): ServiceSpec {
  const workingDirectory = path.dirname(configPath);
  const resolve = (p: string): string => path.resolve(workingDirectory, p);
  const low = (port: number): boolean => port > 0 && port < 1024;
  let readPaths = config.rules.paths.map(resolve);
  let privilegedPort = low(config.http.port);
  if ('udp' in config) {
    if (config.privacy.secretFile !== '') readPaths = [...readPaths, resolve(config.privacy.secretFile)];
    privilegedPort = low(config.udp.port) || (config.http.enabled && low(config.http.port));
  }
  return {
    name: options.name,
    program: options.program,
    launch,
    configPath,
    workingDirectory,
    dataDir: resolve(config.dataDir),
    readPaths,
    shutdownTimeoutMs: config.shutdown.timeoutMs,
    privilegedPort,
  };
}

async function uninstall(
  options: Options,
  os: Os,
  programDir: string,
  io: CommandIo,
  system: SystemAccess,
): Promise<number> {
  const marker = os === 'linux' ? unitPath(options.name) : wrapperFiles(programDir, options.name).xml;
  if (!(await system.exists(marker))) {
    writeLine(io.stderr, `${options.name} is not installed (no ${marker}); check --name`);
    return 1;
  }
  const steps =
    os === 'linux' ? linuxUninstallPlan(options.name) : windowsUninstallPlan(programDir, options.name);
  if (options.dryRun) {
    writeLine(io.stdout, `# commands\n${steps.map(describeStep).join('\n')}`);
    return 0;
  }
  await executePlan(steps, system, (line) => writeLine(io.stdout, `+ ${line}`));
  writeLine(
    io.stdout,
    `${options.name} uninstalled; its data directory${os === 'linux' ? ' and user are' : ' is'} kept`,
  );
  return 0;
}

async function status(
  options: Options,
  os: Os,
  programDir: string,
  io: CommandIo,
  system: SystemAccess,
): Promise<number> {
  if (os === 'linux') {
    const { command, args } = linuxStatusCommand(options.name);
    const result = await system.run(command, args);
    if (result.exitCode !== 0)
      throw new Error(`systemctl show exited with ${result.exitCode}: ${result.stderr.trim()}`);
    const summary = summariseSystemdShow(options.name, result.stdout);
    writeLine(io.stdout, summary.text);
    return summary.exitCode;
  }
  const files = wrapperFiles(programDir, options.name);
  if (!(await system.exists(files.exe))) {
    writeLine(io.stdout, `${options.name}: not installed (no ${files.exe})`);
    return 4;
  }
  const result = await system.run(files.exe, ['status']);
  const summary = summariseWinswStatus(options.name, result.stdout);
  writeLine(io.stdout, summary.text);
  return summary.exitCode;
}
