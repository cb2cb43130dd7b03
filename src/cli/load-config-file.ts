import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { formatAggregatorIssue, loadAggregatorConfig } from '../config/aggregator-load.js';
import type { AggregatorConfig } from '../config/aggregator-schema.js';
import { formatIssue, loadConfig } from '../config/load.js';
import type { SidecarConfig } from '../config/schema.js';
import { type CommandIo, writeLine } from './io.js';
import { systemTimezone } from './system-timezone.js';

/** Exit code for a refused configuration (distinct from 1 = runtime failure). */
export const EXIT_BAD_CONFIG = 2;

/** Reads and validates the config; on failure prints every issue and returns null. */
export async function loadConfigFile(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo,
): Promise<SidecarConfig | null> {
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
  const result = loadConfig({ text, fileName: path, env, hostname: hostname(), timezone: systemTimezone() });
  if (result.ok) return result.config;
  for (const issue of result.issues) writeLine(io.stderr, formatIssue(issue));
  writeLine(io.stderr, `configuration refused: ${result.issues.length} problem(s)`);
  return null;
}

/** The same for the aggregator's configuration (`sense-sidecar aggregate`). */
export async function loadAggregatorConfigFile(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo,
): Promise<AggregatorConfig | null> {
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
  const result = loadAggregatorConfig({
    text,
    fileName: path,
    env,
    hostname: hostname(),
    timezone: systemTimezone(),
  });
  if (result.ok) return result.config;
  for (const issue of result.issues) writeLine(io.stderr, formatAggregatorIssue(issue));
  writeLine(io.stderr, `configuration refused: ${result.issues.length} problem(s)`);
  return null;
}
