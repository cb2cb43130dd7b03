/**
 * The shape of the document: only known keys, sections are mappings. Unknown keys get a
 * did-you-mean from the keys that belong where they were written, or from the whole tree when
 * a key was written in the wrong place (`port` at the top is `udp.port`).
 */
import { describeValue, formatPath } from './issues.js';
import type { KeySpec } from './key-spec.js';
import { KEY_SPECS, keyTree } from './schema.js';
import { closestByEdits, closestByPrefix } from './suggest.js';
import type { ConfigIssue } from './types.js';
import type { YamlSource } from './yaml-source.js';

function normalize(word: string): string {
  return word.toLowerCase().replace(/[\s_-]/g, '');
}

/** A key written somewhere else than where it belongs, by its exact (normalized) leaf name. */
function elsewhere(
  specs: readonly KeySpec<unknown>[],
  name: string,
  except: string | null,
): string | undefined {
  const wanted = normalize(name);
  for (const { path } of specs) {
    if (except !== null && path.startsWith(`${except}.`)) continue;
    const leaf = path.slice(path.lastIndexOf('.') + 1);
    if (normalize(leaf) === wanted || normalize(path) === wanted) return path;
  }
  return undefined;
}

function unknownKeyMessage(
  specs: readonly KeySpec<unknown>[],
  name: string,
  known: readonly string[],
  section: string | null,
): string {
  if (name === '<<') return 'merge keys (<<) are not supported; write the keys out';
  const dotted = specs.find(({ path }) => path.includes('.') && normalize(path) === normalize(name));
  if (section === null && dotted !== undefined) {
    const [top, leaf] = dotted.path.split('.');
    return `unknown key "${name}"; dotted keys are not expanded: write "${leaf ?? ''}" nested under "${top ?? ''}:"`;
  }
  const near = closestByEdits(name, known) ?? elsewhere(specs, name, section) ?? closestByPrefix(name, known);
  if (near !== undefined) return `unknown key "${name}"; did you mean "${near}"?`;
  return `unknown key "${name}"; known keys${section === null ? '' : ` in ${section}`}: ${known.join(', ')}`;
}

/** `specs` defaults to the sidecar's keys; the aggregator passes its own. */
export function checkLayout(
  source: YamlSource,
  file: string,
  specs: readonly KeySpec<unknown>[] = KEY_SPECS,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { root } = source;
  if (root === undefined || root === null) return issues;
  if (!(root instanceof Map)) {
    issues.push({
      file,
      line: 1,
      column: 1,
      path: '',
      message: `the config must be a mapping of keys such as "udp:" and "nats:", got ${describeValue(root)}`,
    });
    return issues;
  }
  const tree = keyTree(specs);
  const topNames = [...tree.keys()];
  for (const [name, value] of root as Map<string, unknown>) {
    const at = source.keyAt([name]);
    if (!tree.has(name)) {
      issues.push({ file, ...at, path: name, message: unknownKeyMessage(specs, name, topNames, null) });
      continue;
    }
    const leaves = tree.get(name);
    if (leaves === null || leaves === undefined || value === null) continue;
    if (!(value instanceof Map)) {
      const where = source.valueAt([name]);
      issues.push({
        file,
        ...where,
        path: name,
        message: `must be a mapping with the keys ${leaves.join(', ')}, got ${describeValue(value)}`,
      });
      continue;
    }
    for (const leaf of (value as Map<string, unknown>).keys()) {
      if (leaves.includes(leaf)) continue;
      const path = [name, leaf];
      issues.push({
        file,
        ...source.keyAt(path),
        path: formatPath(path),
        message: unknownKeyMessage(specs, leaf, leaves, name),
      });
    }
  }
  return issues;
}
