/** Building and printing config issues. */
import { ENV_PREFIX, envNameFor, hasEnvPrefix } from './env-names.js';
import type { ConfigIssue, PathSegment } from './types.js';

/** `['nats', 'servers', 1]` → `nats.servers[1]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

/**
 * One line an operator can act on:
 * - `sidecar.yaml:3:9: udp.port: must be an integer between 1 and 65535, got "99999"`
 * - `env SENSE_SIDECAR_UDP_PORT: udp.port: must be an integer ...`
 * - `env SENSE_SIDECAR_UDP_PROT: unknown variable; did you mean SENSE_SIDECAR_UDP_PORT?`
 * Issues about the whole document (path '') leave the path out.
 */
export function formatIssue(issue: ConfigIssue): string {
  return formatIssueWithPrefix(issue, ENV_PREFIX);
}

/** formatIssue for a program with another environment prefix (the aggregator's). */
export function formatIssueWithPrefix(issue: ConfigIssue, envPrefix: string): string {
  if (issue.file === 'env' && issue.line === 0) {
    if (hasEnvPrefix(issue.path, envPrefix)) return `env ${issue.path}: ${issue.message}`;
    const variable = envNameFor(issue.path.replace(/\[\d+\]/g, ''), envPrefix);
    return `env ${variable}: ${issue.path}: ${issue.message}`;
  }
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

const MAX_SHOWN = 60;

/**
 * What the operator wrote, for `got ...`: scalars in quotes as text (`"99999"`, `"true"`),
 * collections by kind.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Map || typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `"${String(value)}"`;
  }
  return `a ${typeof value}`;
}
