/**
 * Reading one YAML mapping inside a config value (a receiver, a route) field by field, with
 * every problem recorded at its path inside the value, so the loader can point at the line and
 * column. Unknown fields get a did-you-mean from the fields the mapping may hold.
 */
import { describeValue } from './issues.js';
import { closest } from './suggest.js';
import type { ValueIssue, ValueSchema } from './values.js';

export type InnerPath = readonly (string | number)[];

export class MappingReader {
  private readonly map: ReadonlyMap<string, unknown>;

  private constructor(
    input: ReadonlyMap<string, unknown>,
    readonly path: InnerPath,
    private readonly issues: ValueIssue[],
  ) {
    this.map = input;
  }

  /** A reader over `input`, or null (with an issue) when it is not a mapping. */
  static of(input: unknown, path: InnerPath, issues: ValueIssue[], what: string): MappingReader | null {
    if (input instanceof Map) return new MappingReader(input as Map<string, unknown>, path, issues);
    issues.push({ path, message: `must be a mapping (${what}), got ${describeValue(input)}` });
    return null;
  }

  /** A reader over the mapping in `field` (same issue list), or null (with an issue) when it is not one. */
  child(field: string, what: string): MappingReader | null {
    return MappingReader.of(this.map.get(field), [...this.path, field], this.issues, what);
  }

  has(field: string): boolean {
    const value = this.map.get(field);
    return value !== undefined && value !== null;
  }

  raw(field: string): unknown {
    return this.map.get(field);
  }

  /** Records an issue for every field not in `known`. */
  onlyFields(known: readonly string[]): void {
    for (const field of this.map.keys()) {
      if (known.includes(field)) continue;
      const near = closest(field, known);
      const message =
        near === undefined
          ? `unknown key "${field}"; known keys here: ${known.join(', ')}`
          : `unknown key "${field}"; did you mean "${near}"?`;
      this.issues.push({ path: [...this.path, field], message });
    }
  }

  /** The field's value through `schema`; `fallback` when it is absent (or wrong: the issue is recorded). */
  optional<T>(field: string, schema: ValueSchema<T>, fallback: T): T {
    if (!this.has(field)) return fallback;
    const result = schema.safeParse(this.map.get(field));
    if (result.success) return result.data;
    for (const issue of result.error.issues)
      this.issues.push({ path: [...this.path, field, ...issue.path], message: issue.message });
    return fallback;
  }

  /** Like optional, but an absent field is an issue (`hint` says what to write). */
  required<T>(field: string, schema: ValueSchema<T>, fallback: T, hint: string): T {
    if (!this.has(field)) {
      this.issues.push({ path: this.path, message: `"${field}" is missing; ${hint}` });
      return fallback;
    }
    return this.optional(field, schema, fallback);
  }

  problem(field: string | null, message: string): void {
    this.issues.push({ path: field === null ? this.path : [...this.path, field], message });
  }
}

/** A schema from a function that reads through a MappingReader-style issue list. */
export function schemaOf<T>(read: (input: unknown, issues: ValueIssue[]) => T): ValueSchema<T> {
  return {
    safeParse(input) {
      const issues: ValueIssue[] = [];
      const data = read(input, issues);
      return issues.length === 0 ? { success: true, data } : { success: false, error: { issues } };
    },
  };
}
