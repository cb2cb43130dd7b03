/**
 * The one reader of mappings in rule files and rule-test files, driven by tables the way the
 * config is by its KeySpec list: a mapping's form (what it is called, an example, its keys and
 * hints for keys people write instead) and, per key, how its value is checked. Every key is
 * checked even after a first problem, so one run lists everything wrong; messages are phrased
 * here once, so rule files and test files word the same mistake the same way.
 */
import type { PathSegment } from '../../config/types.js';
import { type Checked, describeValue, suggestion } from './checks.js';
import { type IssueLog, type RuleFile, keyAt, valueAt } from './source.js';

/** How a mapping is named in messages and which keys it may hold. */
export interface MappingForm {
  /** `a window`, `an entry of expect`: as in "unknown key "x" in a window". */
  readonly what: string;
  /** Shown when the value is not a mapping: `... must be a mapping such as <example>`. */
  readonly example: string;
  readonly keys: readonly string[];
  /** Key → what to write instead, for keys that are never a typo distance from the right one. */
  readonly hints?: Readonly<Record<string, string>>;
  /** Keys this mapping never takes, with the reason: "<key> is not a key of <what>: <reason>". */
  readonly refused?: Readonly<Record<string, string>>;
  /** The whole "not a mapping" message before ", got ...", when `what` and `example` do not say it. */
  readonly mustBe?: string;
  /** `rule key`: unknown keys read "unknown rule key "x"" instead of "unknown key "x" in <what>". */
  readonly keyNoun?: string;
}

/** The mapping at `path` with its keys checked against `form`, or null (and an issue) when it is not one. */
export function readMapping(
  file: RuleFile,
  log: IssueLog,
  path: readonly PathSegment[],
  value: unknown,
  form: MappingForm,
): Map<string, unknown> | null {
  if (!(value instanceof Map)) {
    log.error(
      file,
      valueAt(file, path),
      `${form.mustBe ?? `${form.what} must be a mapping such as ${form.example}`}, got ${describeValue(value)}`,
    );
    return null;
  }
  const entry = value as Map<string, unknown>;
  for (const key of entry.keys()) {
    const refused = form.refused?.[key];
    if (refused !== undefined) {
      log.error(file, keyAt(file, [...path, key]), `${key} is not a key of ${form.what}: ${refused}`);
      continue;
    }
    if (form.keys.includes(key)) continue;
    const hint = form.hints?.[key];
    const unknown =
      form.keyNoun === undefined
        ? `unknown key "${key}" in ${form.what}`
        : `unknown ${form.keyNoun} "${key}"`;
    log.error(
      file,
      keyAt(file, [...path, key]),
      `${unknown}${hint === undefined ? suggestion(key, form.keys) : `; ${hint}`}`,
    );
  }
  return entry;
}

/** How one key's value is checked; a problem is reported at the value. */
export type KeyCheck<T> = (written: unknown) => Checked<T>;

/** Key → check: the keys of a mapping whose values are read independently of each other. */
export type KeyTable<R> = { readonly [K in keyof R]: KeyCheck<R[K]> };

/**
 * The accepted value of each key of `table` written in `entry`; a key that is absent, or whose
 * value was refused (an issue at the value), is left out.
 */
export function readKeys<R>(
  file: RuleFile,
  log: IssueLog,
  path: readonly PathSegment[],
  entry: ReadonlyMap<string, unknown>,
  table: KeyTable<R>,
): Partial<R> {
  const values: Partial<R> = {};
  for (const key of Object.keys(table) as (keyof R & string)[]) {
    if (!entry.has(key)) continue;
    const checked = table[key](entry.get(key));
    if ('value' in checked) values[key] = checked.value;
    else log.error(file, valueAt(file, [...path, key]), checked.problem);
  }
  return values;
}
