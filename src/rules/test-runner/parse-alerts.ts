/**
 * A test's checks on what the rules did: `expect:` and `forbid:` (filters on published alerts)
 * and `dropped:` (events a drop rule dropped). A bare rule id is short for `{rule: id}`; the
 * rule must exist and be of the right action, so a check can never pass by naming nothing.
 */
import type { PathSegment } from '../../config/types.js';
import type { FileReader } from './file-reader.js';
import type { AlertExpectation, AlertFilter, DropExpectation } from './spec.js';
import { DROPPED_FORM, DROPPED_TABLE, FILTER_FORMS, FILTER_TABLE } from './test-keys.js';

/** expect: / forbid: — filters on published alerts. A bare rule id is short for {rule: id}. */
export function readFilters(
  reader: FileReader,
  path: PathSegment[],
  value: unknown,
  section: 'expect' | 'forbid',
): AlertExpectation[] {
  const list = reader.list(path, value, section, '[{rule: leaver-login, status: firing}]');
  const out: AlertExpectation[] = [];
  for (const [index, item] of (list ?? []).entries()) {
    const itemPath = [...path, index];
    if (typeof item === 'string') {
      const rule = reader.ruleId(itemPath, item, 'alert');
      if (rule !== null) out.push({ filter: { rule }, count: null, place: reader.place(itemPath) });
      continue;
    }
    const entry = reader.mapping(itemPath, item, FILTER_FORMS[section]);
    if (entry === null) continue;
    const errorsBefore = reader.log.errorCount;
    const at = (key: string): PathSegment[] => [...itemPath, key];
    let rule: string | null = null;
    if (!entry.has('rule')) {
      reader.errorAt(itemPath, `the ${section} entry has no rule; add the rule id, e.g. rule: leaver-login`);
    } else {
      rule = reader.ruleId(at('rule'), entry.get('rule'), 'alert');
    }
    const { key, host, status, at: atMs, message, count } = reader.keys(itemPath, entry, FILTER_TABLE);
    const filter: AlertFilter = {
      rule: rule ?? '',
      ...(key === undefined ? {} : { key }),
      ...(host === undefined ? {} : { host }),
      ...(status === undefined ? {} : { status }),
      ...(atMs === undefined ? {} : { atMs }),
      ...(message === undefined ? {} : { message }),
    };
    if (reader.log.errorCount === errorsBefore && rule !== null) {
      out.push({ filter, count: count ?? null, place: reader.place(itemPath) });
    }
  }
  return out;
}

export function readDropped(reader: FileReader, path: PathSegment[], value: unknown): DropExpectation[] {
  const list = reader.list(path, value, 'dropped', '[{rule: exclude-service-accounts, count: 3}]');
  const out: DropExpectation[] = [];
  for (const [index, item] of (list ?? []).entries()) {
    const itemPath = [...path, index];
    if (typeof item === 'string') {
      const rule = reader.ruleId(itemPath, item, 'drop');
      if (rule !== null) out.push({ rule, count: null, place: reader.place(itemPath) });
      continue;
    }
    const entry = reader.mapping(itemPath, item, DROPPED_FORM);
    if (entry === null) continue;
    const errorsBefore = reader.log.errorCount;
    let rule: string | null = null;
    if (!entry.has('rule')) {
      reader.errorAt(
        itemPath,
        'the dropped entry has no rule; add the drop rule id, e.g. rule: exclude-service-accounts',
      );
    } else {
      rule = reader.ruleId([...itemPath, 'rule'], entry.get('rule'), 'drop');
    }
    const count = reader.keys(itemPath, entry, DROPPED_TABLE).count ?? null;
    if (reader.log.errorCount === errorsBefore && rule !== null) {
      out.push({ rule, count, place: reader.place(itemPath) });
    }
  }
  return out;
}
