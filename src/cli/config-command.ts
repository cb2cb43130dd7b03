import { parseArgs } from 'node:util';
import { renderAggregatorConfigReference } from '../config/aggregator-load.js';
import { renderConfigReference } from '../config/reference.js';
import { type CommandIo, writeLine } from './io.js';
import { EXIT_BAD_CONFIG, loadAggregatorConfigFile, loadConfigFile } from './load-config-file.js';

const USAGE = `Usage: sense-sidecar config reference [--aggregator]
       sense-sidecar config check [--aggregator] [--config FILE]

reference  prints every key with its default and environment variable (markdown)
check      validates a config file plus the environment; prints the result as JSON
--aggregator  the keys of "sense-sidecar aggregate" instead of "sense-sidecar run"`;

const SECRET_KEYS = /^(token|password|secret)$/i;
const REDACTED = '<redacted>';

/**
 * `config check` prints the config as understood, which an operator pastes into tickets: a
 * secret written in the file itself (nats.token, privacy.secret, a receiver's URL or header given
 * as text) is shown as set, never as its value. Paths of secret files and variable names stay.
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (typeof value === 'string' && value !== '' && SECRET_KEYS.test(key)) return REDACTED;
  if (typeof value === 'object' && value !== null && (value as { from?: unknown }).from === 'text')
    return { ...value, value: REDACTED };
  return value;
}

export async function runConfigCommand(
  argv: string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const [sub, ...rest] = argv;
  let values: { config?: string | undefined; aggregator?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { config: { type: 'string', short: 'c' }, aggregator: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    writeLine(io.stderr, `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT_BAD_CONFIG;
  }
  const aggregator = values.aggregator === true;
  if (sub === 'reference') {
    writeLine(io.stdout, aggregator ? renderAggregatorConfigReference() : renderConfigReference());
    return 0;
  }
  if (sub === 'check') {
    if (!aggregator) {
      const config = await loadConfigFile(values.config, env, io);
      if (config === null) return EXIT_BAD_CONFIG;
      writeLine(io.stdout, JSON.stringify(config, redactSecrets, 2));
      return 0;
    }
    const config = await loadAggregatorConfigFile(values.config, env, io);
    if (config === null) return EXIT_BAD_CONFIG;
    writeLine(io.stdout, JSON.stringify(config, redactSecrets, 2));
    return 0;
  }
  writeLine(sub === undefined || sub === '--help' ? io.stdout : io.stderr, USAGE);
  return sub === undefined || sub === '--help' ? 0 : EXIT_BAD_CONFIG;
}
