/**
 * Config from environment variables: `SENSE_SIDECAR_` + the path in UPPER_SNAKE case. Lists are
 * comma-separated (an empty string is an empty list); an empty value for any other key counts as
 * not set. Names are matched case-insensitively, as Windows does.
 */
import { ENV_PREFIX, envNameFor } from './env-names.js';
import type { KeySpec } from './key-spec.js';
import { KEY_SPECS } from './schema.js';
import { closest } from './suggest.js';
import type { ConfigIssue } from './types.js';

export interface EnvironmentValues {
  /** Raw values by config path: strings, or string lists for list keys. */
  readonly values: ReadonlyMap<string, string | string[]>;
  readonly issues: readonly ConfigIssue[];
}

function envIssue(path: string, message: string): ConfigIssue {
  return { file: 'env', line: 0, column: 0, path, message };
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `specs` and `prefix` default to the sidecar's; the aggregator passes its own. */
export function readEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  specs: readonly KeySpec<unknown>[] = KEY_SPECS,
  prefix: string = ENV_PREFIX,
): EnvironmentValues {
  const specsByName = new Map<string, KeySpec<unknown>>(
    specs.map((spec) => [envNameFor(spec.path, prefix), spec]),
  );
  const suffixes = [...specsByName.keys()].map((name) => name.slice(prefix.length));
  const values = new Map<string, string | string[]>();
  const setBy = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    const upper = name.toUpperCase();
    if (raw === undefined || !upper.startsWith(prefix)) continue;
    const spec = specsByName.get(upper);
    if (spec === undefined) {
      const match = closest(upper.slice(prefix.length), suffixes);
      const hint =
        match === undefined
          ? '; see the configuration reference for the names'
          : `; did you mean ${prefix}${match}?`;
      issues.push(envIssue(name, `unknown variable${hint}`));
      continue;
    }
    const earlier = setBy.get(spec.path);
    if (earlier !== undefined) {
      issues.push(envIssue(name, `sets ${spec.path} again (already set by ${earlier}); unset one of them`));
      continue;
    }
    setBy.set(spec.path, name);
    if (spec.list) values.set(spec.path, splitList(raw));
    else if (raw.trim() !== '') values.set(spec.path, raw);
  }
  return { values, issues };
}
