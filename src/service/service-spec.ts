/**
 * What a service runs, independent of the OS that runs it: the one description both renderers
 * (systemd unit, WinSW XML) read. Built once from a loaded config, so a bad config never gets
 * this far.
 *
 * Invariants: `launch.command` and every path are absolute; `args` end with the command and
 * `--config <absolute file>`, so the service never depends on the shell it was installed from.
 */

import { NODE_FLAGS } from '../core/node-flags.js';

export type ServiceProgram = 'sidecar' | 'aggregator';

export interface Launch {
  /** The executable the service starts: sense-sidecar(.exe), or the node binary. */
  readonly command: string;
  /** Arguments before the command: the script when `command` is node, else none. */
  readonly prefix: readonly string[];
  /** Flags for node before the script (NODE_FLAGS); the single executable carries its own. */
  readonly nodeFlags?: readonly string[];
}

export interface ServiceSpec {
  readonly name: string;
  readonly program: ServiceProgram;
  readonly launch: Launch;
  /** Absolute path of the config file the service is started with. */
  readonly configPath: string;
  /** The service's working directory: the config file's directory, so relative paths in it mean the same. */
  readonly workingDirectory: string;
  /** Absolute: the one directory the service may write. */
  readonly dataDir: string;
  /** Other files or directories the service must be able to read (rules, secret file). */
  readonly readPaths: readonly string[];
  readonly shutdownTimeoutMs: number;
  /** True when a configured port is below 1024 (needs CAP_NET_BIND_SERVICE on Linux). */
  readonly privilegedPort: boolean;
}

export const DEFAULT_NAMES: Record<ServiceProgram, string> = {
  sidecar: 'sense-sidecar',
  aggregator: 'sense-aggregator',
};

export const DESCRIPTIONS: Record<ServiceProgram, string> = {
  sidecar: 'sense-sidecar: Qlik Sense user events (UDP) to NATS',
  aggregator: 'sense-aggregator: cluster view, history and HTTP API of every sense-sidecar',
};

/** The subcommand the service runs: `run` for the sidecar, `aggregate` for the aggregator. */
export function programCommand(program: ServiceProgram): string {
  return program === 'sidecar' ? 'run' : 'aggregate';
}

/** The full argument list after `launch.command`. */
export function serviceArgs(spec: ServiceSpec): string[] {
  return [
    ...(spec.launch.nodeFlags ?? []),
    ...spec.launch.prefix,
    programCommand(spec.program),
    '--config',
    spec.configPath,
  ];
}

/**
 * The executable that runs this command, as the service must start it: the single executable
 * itself, or (run as `node dist/cli/main.js`) the node binary and that script.
 */
export function launchOf(execPath: string, scriptPath: string | undefined): Launch {
  const base = execPath.replace(/^.*[\\/]/, '').toLowerCase();
  if (base === 'sense-sidecar' || base === 'sense-sidecar.exe') return { command: execPath, prefix: [] };
  if (scriptPath === undefined || scriptPath === '') {
    throw new Error(
      `cannot tell which script ${execPath} runs; start it as "node dist/cli/main.js service ..."`,
    );
  }
  return { command: execPath, prefix: [scriptPath], nodeFlags: NODE_FLAGS };
}

/** Service names are also user names (Linux) and file names: keep them to a portable alphabet. */
export function checkServiceName(name: string): string | null {
  if (/^[a-z][a-z0-9-]{0,31}$/.test(name)) return null;
  return `--name must be 1 to 32 characters: a lower-case letter first, then a-z, 0-9 or "-" (got "${name}")`;
}

/** Shutdown timeout plus a margin: the process's own deadline passes before the manager kills it. */
export const STOP_MARGIN_MS = 5_000;

export function stopTimeoutSeconds(spec: ServiceSpec): number {
  return Math.ceil((spec.shutdownTimeoutMs + STOP_MARGIN_MS) / 1000);
}
