import { parseArgs } from 'node:util';
import { renderConfigReference } from '../config/reference.js';
import { type CommandIo, writeLine } from './io.js';
import { EXIT_BAD_CONFIG, loadConfigFile } from './load-config-file.js';

const USAGE = `Usage: sense-sidecar config reference
       sense-sidecar config check [--config FILE]

reference  prints every key with its default and environment variable (markdown)
check      validates a config file plus the environment; prints the result as JSON`;

export async function runConfigCommand(
  argv: string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'reference') {
    writeLine(io.stdout, renderConfigReference());
    return 0;
  }
  if (sub === 'check') {
    let values: { config?: string | undefined };
    try {
      ({ values } = parseArgs({
        args: rest,
        options: { config: { type: 'string', short: 'c' } },
        strict: true,
      }));
    } catch (error) {
      writeLine(io.stderr, `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
      return EXIT_BAD_CONFIG;
    }
    const config = await loadConfigFile(values.config, env, io);
    if (config === null) return EXIT_BAD_CONFIG;
    writeLine(io.stdout, JSON.stringify(config, null, 2));
    return 0;
  }
  writeLine(sub === undefined || sub === '--help' ? io.stdout : io.stderr, USAGE);
  return sub === undefined || sub === '--help' ? 0 : EXIT_BAD_CONFIG;
}
