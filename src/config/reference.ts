/** The configuration reference: one row per key. The README table is rendered from it. */
import { ENV_PREFIX, envNameFor } from './env-names.js';
import type { KeySpec } from './key-spec.js';
import { KEY_SPECS } from './schema.js';

export interface ConfigKeyReference {
  readonly path: string;
  readonly env: string;
  readonly default: string;
  readonly description: string;
}

export function keyReferences(
  specs: readonly KeySpec<unknown>[],
  envPrefix: string,
): readonly ConfigKeyReference[] {
  return specs.map((spec) => ({
    path: spec.path,
    env: envNameFor(spec.path, envPrefix),
    default: spec.defaultText,
    description: spec.description,
  }));
}

export const CONFIG_KEYS: readonly ConfigKeyReference[] = keyReferences(KEY_SPECS, ENV_PREFIX);

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** A markdown table of every key, its environment variable, default and meaning. */
export function renderConfigReference(keys: readonly ConfigKeyReference[] = CONFIG_KEYS): string {
  const lines = ['| Key | Environment variable | Default | Description |', '| --- | --- | --- | --- |'];
  for (const key of keys) {
    lines.push(`| \`${key.path}\` | \`${key.env}\` | \`${cell(key.default)}\` | ${cell(key.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}
