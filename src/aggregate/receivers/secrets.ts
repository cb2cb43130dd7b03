import { readFile as fsReadFile } from 'node:fs/promises';
import { httpUrlProblem, type SecretSource } from '../../config/alerting-schema.js';
import { type ReadFile, readProblem } from '../../publish/nats-connection.js';

/**
 * Reading the receivers' secrets at start (files, environment variables), so a wrong path or
 * a missing variable stops the start with a problem naming the key, never the value. Every
 * value read is remembered in a Redactor, which scrubs it from any text before it is logged
 * or shown (a server's reply quoting the URL, an error naming a header).
 */

export class Redactor {
  private readonly secrets = new Set<string>();

  add(value: string): void {
    // Very short values would scrub ordinary words; they are refused as secrets anyway.
    if (value.length >= 4) this.secrets.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out;
  }
}

export interface SecretReader {
  readonly readFile?: ReadFile | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly redactor: Redactor;
}

export type SecretResult =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: string };

/**
 * The value of `source`; `where` names the key in problems (`alerting.receivers[0].url`).
 * Text from a file loses its trailing line break (editors add one). `secret`: whether to
 * remember the value for redaction (a plain URL in the config file is not a secret).
 */
export async function readSecret(
  source: SecretSource,
  where: string,
  reader: SecretReader,
  check?: (value: string) => string | null,
): Promise<SecretResult> {
  let value: string;
  if (source.from === 'text') value = source.value;
  else if (source.from === 'file') {
    try {
      const bytes = await (reader.readFile ?? fsReadFile)(source.path);
      value =
        source.prefix +
        Buffer.from(bytes)
          .toString('utf8')
          .replace(/\r?\n$/, '');
    } catch (error) {
      return { ok: false, problem: `${where}: file ${source.path}: ${readProblem(error)}` };
    }
  } else {
    const raw = reader.env[source.name];
    if (raw === undefined || raw.trim() === '')
      return { ok: false, problem: `${where}: the environment variable ${source.name} is not set or empty` };
    value = source.prefix + raw.trim();
  }
  if (source.from !== 'text') {
    reader.redactor.add(value);
    reader.redactor.add(value.slice(source.prefix.length));
    if (value.slice(source.prefix.length) === '')
      return {
        ok: false,
        problem: `${where}: ${source.from === 'file' ? `file ${source.path}` : source.name} is empty`,
      };
  }
  if (/[\r\n]/.test(value))
    return { ok: false, problem: `${where}: must be one line (the value read has a line break)` };
  const problem = check?.(value) ?? null;
  if (problem !== null) return { ok: false, problem: `${where}: ${problem.replace(value, '***')}` };
  return { ok: true, value };
}

export const checkHttpUrl = httpUrlProblem;
