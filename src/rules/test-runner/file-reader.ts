/**
 * The checks of one test file, sharing its file, its issue log and the rules under test, so the
 * parts of the parser only say where to look. Mappings go through rules/load/key-table.ts, the
 * reader of rule files; a check that fails reports at the value and returns null, so callers
 * read on and one run lists every problem.
 */
import type { PathSegment, Position } from '../../config/types.js';
import { type Checked, describeValue, suggestion } from '../load/checks.js';
import { type KeyTable, type MappingForm, readKeys, readMapping } from '../load/key-table.js';
import { type IssueLog, type RuleFile, placeText, valueAt } from '../load/source.js';
import type { Rule, RuleSet } from '../types.js';
import { nonEmptyText, offset, wholeNumber } from './test-keys.js';

export type Entry = Map<string, unknown>;

export class FileReader {
  /** Rule id → rule; null when the rules did not load (ids are then not checked). */
  readonly rules: ReadonlyMap<string, Rule> | null;

  constructor(
    readonly file: RuleFile,
    readonly log: IssueLog,
    /** The rules under test; null when they did not load (names are then not checked). */
    readonly ruleSet: RuleSet | null,
  ) {
    this.rules = ruleSet === null ? null : new Map(ruleSet.rules.map((rule) => [rule.id, rule]));
  }

  error(at: Position, message: string): void {
    this.log.error(this.file, at, message);
  }

  errorAt(path: readonly PathSegment[], message: string): void {
    this.error(valueAt(this.file, path), message);
  }

  place(path: readonly PathSegment[]): string {
    return placeText(this.file, valueAt(this.file, path));
  }

  /** The mapping at `path` with its keys checked, or null (and an issue) when it is not one. */
  mapping(path: readonly PathSegment[], value: unknown, form: MappingForm): Entry | null {
    return readMapping(this.file, this.log, path, value, form);
  }

  /** The keys of `table` in `entry` (at `path`), each checked by the table. */
  keys<R>(path: readonly PathSegment[], entry: Entry, table: KeyTable<R>): Partial<R> {
    return readKeys(this.file, this.log, path, entry, table);
  }

  /** The list at `path`, or null (and an issue) when it is not one. */
  list(path: readonly PathSegment[], value: unknown, what: string, example: string): unknown[] | null {
    if (Array.isArray(value)) return value as unknown[];
    this.errorAt(path, `${what} must be a list, e.g. ${example}, got ${describeValue(value)}`);
    return null;
  }

  /** The accepted value, or null and the problem at `path`. */
  checked<T>(path: readonly PathSegment[], checked: Checked<T>): T | null {
    if ('value' in checked) return checked.value;
    this.errorAt(path, checked.problem);
    return null;
  }

  text(path: readonly PathSegment[], value: unknown, what: string): string | null {
    return this.checked(path, nonEmptyText(what)(value));
  }

  offset(path: readonly PathSegment[], value: unknown, what: string): number | null {
    return this.checked(path, offset(what)(value));
  }

  integer(
    path: readonly PathSegment[],
    value: unknown,
    what: string,
    min: number,
    max: number,
  ): number | null {
    return this.checked(path, wholeNumber(what, min, max)(value));
  }

  /** An alert rule id for expect/forbid, a drop rule id for dropped. */
  ruleId(path: readonly PathSegment[], value: unknown, action: Rule['action']): string | null {
    const id = this.text(path, value, 'rule');
    if (id === null || this.rules === null) return id;
    const rule = this.rules.get(id);
    if (rule === undefined) {
      const ids = [...this.rules.values()].filter((r) => r.action === action).map((r) => r.id);
      this.errorAt(path, `no ${action} rule "${id}" in the rules under test${suggestion(id, ids)}`);
      return null;
    }
    if (rule.action !== action) {
      this.errorAt(
        path,
        action === 'alert'
          ? `"${id}" is a drop rule: it publishes no alerts; check what it drops with dropped: [{rule: ${id}}]`
          : `"${id}" is an alert rule: it drops nothing; check its alerts with expect: or forbid:`,
      );
      return null;
    }
    if (!rule.enabled) {
      this.log.warn(
        this.file,
        valueAt(this.file, path),
        `rule "${id}" is disabled (enabled: false at ${rule.origin}), so it never runs in this test`,
      );
    }
    return id;
  }
}
