import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { formatAggregatorIssue, loadAggregatorConfig } from '../config/aggregator-load.js';
import type { AggregatorConfig } from '../config/aggregator-schema.js';
import { type ConfigIssue, formatIssue, loadConfig } from '../config/load.js';
import type { SidecarConfig } from '../config/schema.js';
import { type CommandIo, writeLine } from './io.js';
import { systemTimezone } from './system-timezone.js';

/** Exit code for a refused configuration (distinct from 1 = runtime failure). */
export const EXIT_BAD_CONFIG = 2;

type Loaded<C> =
  { readonly ok: true; readonly config: C } | { readonly ok: false; readonly issues: ConfigIssue[] };

interface LoaderInput {
  readonly text: string | undefined;
  readonly fileName: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
  readonly timezone: string;
}

/** Reads the file (if any), validates it with `load`; on failure prints every issue and returns null. */
async function readAndLoad<C>(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo,
  load: (input: LoaderInput) => Loaded<C>,
  format: (issue: ConfigIssue) => string,
): Promise<C | null> {
  let text: string | undefined;
  if (path !== undefined) {
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      writeLine(io.stderr, `${path}: cannot read the config file (${reason}); check the --config path`);
      return null;
    }
  }
  const result = load({ text, fileName: path, env, hostname: hostname(), timezone: systemTimezone() });
  if (result.ok) return result.config;
  for (const issue of result.issues) writeLine(io.stderr, format(issue));
  writeLine(io.stderr, `configuration refused: ${result.issues.length} problem(s)`);
  return null;
}

/** Reads and validates the sidecar's config; on failure prints every issue and returns null. */
export function loadConfigFile(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo,
): Promise<SidecarConfig | null> {
  return readAndLoad(path, env, io, loadConfig, formatIssue);
}

/** The same for the aggregator's configuration (`sense-sidecar aggregate`). */
export function loadAggregatorConfigFile(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo,
): Promise<AggregatorConfig | null> {
  return readAndLoad(path, env, io, loadAggregatorConfig, formatAggregatorIssue);
}
