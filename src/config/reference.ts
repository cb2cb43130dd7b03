/** The configuration reference: one row per key. The README table is rendered from it. */
import { envNameFor } from './env-names.js';
import { KEY_SPECS } from './schema.js';

export interface ConfigKeyReference {
  readonly path: string;
  readonly env: string;
  readonly default: string;
  readonly description: string;
}

export const CONFIG_KEYS: readonly ConfigKeyReference[] = KEY_SPECS.map((spec) => ({
  path: spec.path,
  env: envNameFor(spec.path),
  default: spec.defaultText,
  description: spec.description,
}));

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** A markdown table of every key, its environment variable, default and meaning. */
export function renderConfigReference(): string {
  const lines = ['| Key | Environment variable | Default | Description |', '| --- | --- | --- | --- |'];
  for (const key of CONFIG_KEYS) {
    lines.push(`| \`${key.path}\` | \`${key.env}\` | \`${cell(key.default)}\` | ${cell(key.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}
