/**
 * What `rules check` and `rules test` share: their exit code for bad usage, their line writer
 * and how they read their arguments. The writer always appends a newline (unlike io.ts's
 * `writeLine`), so a rule issue whose text ends in one still prints as it always did.
 */
import { parseArgs } from 'node:util';

export const EXIT_USAGE = 2;

export function writeRulesLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`);
}

type BooleanOptions<K extends string> = Readonly<Record<K, { type: 'boolean'; short: string }>>;

/**
 * Strict flags and positionals. A mistake is written to stderr with the usage (exit 2), `--help`
 * writes the usage to stdout (exit 0); both return the exit code instead of the arguments.
 */
export function parseRulesArgs<K extends string>(
  argv: string[],
  options: BooleanOptions<K>,
  usage: string,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): { values: Partial<Record<K | 'help', boolean>>; positionals: string[] } | number {
  let parsed: { values: Partial<Record<K | 'help', boolean>>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    writeRulesLine(io.stderr, `${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help === true) {
    writeRulesLine(io.stdout, usage);
    return 0;
  }
  return parsed;
}
