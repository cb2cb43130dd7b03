import { hostname } from 'node:os';
import { loadConfig } from '../config/load.js';
import { type CommandIo, writeLine } from './io.js';
import { runRulesCheckCommand } from './rules-check-command.js';
import { runRulesTestCommand } from './rules-test-command.js';
import { systemTimezone } from './system-timezone.js';

const USAGE = `Usage: sense-sidecar rules check [paths...]
       sense-sidecar rules test [paths...]

check  every problem in the rule files as file:line:column: message (exit 1 on errors)
test   runs the tests in <path>/tests/*.yaml against the rules, in virtual time
Paths default to rules.paths of the configuration (SENSE_SIDECAR_RULES_PATHS, default rules).`;

/** `rules check|test`: defaults (paths, timezone) come from the environment's configuration. */
export async function runRulesCommand(
  argv: string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const [sub, ...rest] = argv;
  const timezone = systemTimezone();
  const loaded = loadConfig({ env, hostname: hostname(), timezone });
  const defaults = loaded.ok
    ? { paths: loaded.config.rules.paths, timezone: loaded.config.rules.timezone }
    : { paths: ['rules'], timezone };
  switch (sub) {
    case 'check':
      return runRulesCheckCommand(rest, io, defaults);
    case 'test':
      return runRulesTestCommand(rest, io, defaults);
    case undefined:
    case '--help':
      writeLine(io.stdout, USAGE);
      return 0;
    default:
      writeLine(io.stderr, `unknown rules command "${sub}"\n\n${USAGE}`);
      return 2;
  }
}
