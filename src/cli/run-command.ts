import { existsSync } from 'node:fs';
import { KEYS } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import { v8HeapTrimmer } from '../observe/heap-trimmer.js';
import { runtimeNote } from '../core/node-flags.js';
import { inExecutable, shippedDir } from '../core/shipped-files.js';
import { defaultOrShipped } from '../rules/load/shipped-paths.js';
import { createLogger } from '../core/logger.js';
import { Sidecar } from '../pipeline/sidecar.js';
import { type CommandIo, writeLine } from './io.js';
import { EXIT_BAD_CONFIG, loadConfigFile } from './load-config-file.js';
import { parseServiceArgs, runUntilSignalled } from './service-shell.js';

export const RUN_USAGE = `Usage: sense-sidecar run [--config FILE]

Receives Qlik Sense proxy user events over UDP and publishes them on NATS.
Without --config it runs on defaults; every key can also be set from the
environment (SENSE_SIDECAR_UDP_PORT=9997, ...). See the README's configuration reference.`;

/**
 * The composition root of the sidecar process: config, logger, clock, signals. Resolves with
 * the exit code once the sidecar has stopped.
 */
export async function runRunCommand(
  argv: string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
  version: string,
): Promise<number> {
  const args = parseServiceArgs(argv, io, RUN_USAGE);
  if ('exit' in args) return args.exit;
  const config = await loadConfigFile(args.configPath, env, io);
  if (config === null) return EXIT_BAD_CONFIG;

  const log = createLogger(config.log.level, io.stdout);
  const runtime = runtimeNote(process.version, process.execArgv);
  log.info(runtime.fields, runtime.msg);
  const rules = shippedRules(config.rules.paths);
  if (rules.shipped)
    log.info({ paths: rules.paths }, 'rules.paths: using the rules shipped beside the executable');
  const created = await Sidecar.create({
    config: { ...config, rules: { ...config.rules, paths: [...rules.paths] } },
    clock: systemClock,
    log,
    version,
    heapTrimmer: v8HeapTrimmer(),
  });
  if (!created.ok) {
    for (const problem of created.problems) writeLine(io.stderr, problem);
    writeLine(io.stderr, `sense-sidecar refused to start: ${created.problems.length} problem(s) above`);
    return EXIT_BAD_CONFIG;
  }
  const { sidecar } = created;
  try {
    await sidecar.start();
  } catch (error) {
    log.fatal({ err: error }, 'sense-sidecar could not start');
    await sidecar.stop(Date.now() + 1_000);
    return 1;
  }

  return runUntilSignalled({
    log,
    stoppingMessage: 'stopping: intake closed, publishing what is in flight',
    stop: (deadline) => sidecar.stop(deadline),
    shutdownTimeoutMs: config.shutdown.timeoutMs,
    reload: () => void sidecar.reloadRules('SIGHUP'),
  });
}

/**
 * In the release's executable, the default `rules.paths` falls back to the `rules/` beside it
 * when the working directory has none (a service starts in the system's directory). From the
 * source tree the paths are taken as they are.
 */
function shippedRules(paths: readonly string[]): {
  readonly paths: readonly string[];
  readonly shipped: boolean;
} {
  if (!inExecutable()) return { paths, shipped: false };
  return defaultOrShipped(
    paths,
    KEYS.rulesPaths.default({ hostname: '', node: '', timezone: 'UTC' }),
    existsSync,
    shippedDir('rules', new URL('../../rules', import.meta.url)),
  );
}
