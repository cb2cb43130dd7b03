import { parseArgs } from 'node:util';
import type { Logger } from '../core/logger.js';
import { type CommandIo, writeLine } from './io.js';
import { EXIT_BAD_CONFIG } from './load-config-file.js';

/** `[--config FILE] [--help]`, the options of both long-running commands. */
export type ServiceArgs = { readonly configPath: string | undefined } | { readonly exit: number };

export function parseServiceArgs(argv: string[], io: CommandIo, usage: string): ServiceArgs {
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    writeLine(io.stderr, `${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return { exit: EXIT_BAD_CONFIG };
  }
  if (values.help === true) {
    writeLine(io.stdout, usage);
    return { exit: 0 };
  }
  return { configPath: values.config };
}

export interface ServiceRun {
  readonly log: Logger;
  /** Logged when the first SIGINT/SIGTERM arrives. */
  readonly stoppingMessage: string;
  /** Logged once stopped (nothing when undefined). */
  readonly stoppedMessage?: string;
  readonly stop: (deadline: number) => Promise<void>;
  readonly shutdownTimeoutMs: number;
  /** SIGHUP. */
  readonly reload: () => void;
}

/**
 * Runs until SIGINT/SIGTERM: the first stops within the shutdown timeout (exit 0, or 1 if
 * stopping failed), a second exits at once (130). SIGHUP reloads. Resolves with the exit code.
 */
export function runUntilSignalled(run: ServiceRun): Promise<number> {
  const { log } = run;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        resolve(130);
        return;
      }
      stopping = true;
      log.info({ signal }, run.stoppingMessage);
      run.stop(Date.now() + run.shutdownTimeoutMs).then(
        () => {
          if (run.stoppedMessage !== undefined) log.info(run.stoppedMessage);
          resolve(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', run.reload);
  });
}
