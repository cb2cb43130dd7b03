/**
 * The part of config loading every program shares: YAML (optional) + environment → typed values
 * key by key, with every problem recorded at its file:line:column (or its variable). The
 * sidecar's and the aggregator's loaders are thin entry points over loadKeys: each names its key
 * catalog and how its config is assembled. Keys are read in reference order, which is also the
 * order issues from the environment (all at line 0) keep after sorting.
 */
import { readEnvironment } from './env.js';
import { formatPath } from './issues.js';
import { checkLayout } from './layout.js';
import type { DefaultContext, KeySpec } from './key-spec.js';
import type { ConfigIssue, PathSegment } from './types.js';
import { emptyYamlSource, readYamlSource } from './yaml-source.js';

export interface KeyCatalog {
  /** Every key the program knows, in reference order. */
  readonly specs: readonly KeySpec<unknown>[];
  /** Environment variable prefix, e.g. `SENSE_SIDECAR_`. */
  readonly envPrefix: string;
}

export interface KeyReaderInput {
  /** The config file's text; undefined when there is no file (defaults and environment apply). */
  readonly text?: string | undefined;
  /** Shown in issues; defaults to `<config>`. */
  readonly fileName?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface KeyReader {
  readonly file: string;
  /** Every problem found so far (layout, environment, and each read). */
  readonly issues: ConfigIssue[];
  /** The key's value, or its default when it is not set or wrong (the issue is recorded). */
  readonly read: <T>(spec: KeySpec<T>, context: DefaultContext) => T;
  /** Whether the file or the environment sets the key. */
  readonly isSet: (spec: KeySpec<unknown>) => boolean;
}

/** The value at a path of plain YAML values, or undefined when a step is missing or not a mapping. */
function valueIn(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const segment of path) {
    if (!(value instanceof Map)) return undefined;
    value = (value as Map<string, unknown>).get(segment);
  }
  return value;
}

export function createKeyReader(input: KeyReaderInput, catalog: KeyCatalog): KeyReader {
  const file = input.fileName ?? '<config>';
  const source = input.text === undefined ? emptyYamlSource() : readYamlSource(input.text, file);
  const environment = readEnvironment(input.env, catalog.specs, catalog.envPrefix);
  const issues: ConfigIssue[] = [
    ...source.issues,
    ...checkLayout(source, file, catalog.specs),
    ...environment.issues,
  ];

  /** Where a key's value comes from: the environment wins over the file; null in the file means "default". */
  const rawValue = (spec: KeySpec<unknown>): { from: 'env' | 'file'; value: unknown } | undefined => {
    const fromEnv = environment.values.get(spec.path);
    if (fromEnv !== undefined) return { from: 'env', value: fromEnv };
    const fromFile = valueIn(source.root, spec.path.split('.'));
    return fromFile === undefined || fromFile === null ? undefined : { from: 'file', value: fromFile };
  };

  const read = <T>(spec: KeySpec<T>, context: DefaultContext): T => {
    const raw = rawValue(spec);
    if (raw === undefined) return spec.default(context);
    const result = spec.schema.safeParse(raw.value);
    if (!result.success) {
      for (const problem of result.error.issues) {
        const path: PathSegment[] = [...spec.path.split('.'), ...problem.path];
        if (raw.from === 'env') {
          issues.push({ file: 'env', line: 0, column: 0, path: formatPath(path), message: problem.message });
        } else {
          issues.push({ file, ...source.valueAt(path), path: formatPath(path), message: problem.message });
        }
      }
      return spec.default(context);
    }
    const value = result.data;
    if (spec.emptyMeansDefault && Array.isArray(value) && value.length === 0) return spec.default(context);
    return value;
  };

  return { file, issues, read, isSet: (spec) => rawValue(spec) !== undefined };
}

/** Environment issues last, file issues in document order. */
export function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  const aEnv = a.line === 0 ? 1 : 0;
  const bEnv = b.line === 0 ? 1 : 0;
  return aEnv - bEnv || a.line - b.line || a.column - b.column;
}

export type LoadResult<C> =
  { readonly ok: true; readonly config: C } | { readonly ok: false; readonly issues: ConfigIssue[] };

/** Reads a program's config with `build`, then fails with every issue, sorted, if there is any. */
export function loadKeys<C>(
  input: KeyReaderInput,
  catalog: KeyCatalog,
  build: (reader: KeyReader) => C,
): LoadResult<C> {
  const reader = createKeyReader(input, catalog);
  const config = build(reader);
  if (reader.issues.length > 0) return { ok: false, issues: reader.issues.sort(byPosition) };
  return { ok: true, config };
}
