/**
 * One rule file as the validator sees it: its plain values (mappings are `Map`s) plus where
 * every node is written, read with the config loader's YAML reader so both share the syntax
 * messages, the alias-bomb and nesting guards and the size limit. JSON files go through the
 * same reader: JSON is YAML flow syntax, and that way JSON errors get positions too.
 *
 * Also the issue log the whole load writes to: issues are kept with the index of their file so
 * the output follows the order files were given in, then line and column.
 */
import type { PathSegment, Position } from '../../config/types.js';
import { readYamlSource, type YamlSource } from '../../config/yaml-source.js';
import type { RuleIssue } from '../types.js';

export interface RuleFile {
  /** As given by the caller; printed in issues. */
  readonly name: string;
  /** Position in the list of sources, for ordering issues. */
  readonly index: number;
  /** The text positions count in (a byte order mark removed, as the YAML reader does). */
  readonly text: string;
  readonly yaml: YamlSource;
  /** Offsets where each line starts, built on first use (only template issues need them). */
  lineStarts?: number[];
}

/** A double-quoted `"ACME\mallory"` is the usual way to hit this in a rule file. */
const ESCAPE_HINT =
  '; in double quotes a backslash starts an escape: write DIRECTORY\\user patterns in single quotes, ' +
  "e.g. 'ACME\\mallory'";

export function readRuleFile(name: string, text: string, index: number, log: IssueLog): RuleFile {
  const yaml = readYamlSource(text, name);
  const file: RuleFile = { name, index, text: text.startsWith('\uFEFF') ? text.slice(1) : text, yaml };
  for (const issue of yaml.issues) {
    const message = /invalid escape sequence/i.test(issue.message)
      ? `${issue.message}${ESCAPE_HINT}`
      : issue.message;
    log.error(file, issue, message);
  }
  return file;
}

/** The plain value at `path`, or undefined. */
export function valueIn(file: RuleFile, path: readonly PathSegment[]): unknown {
  let value = file.yaml.root;
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(value)) return undefined;
      value = (value as unknown[])[segment];
    } else {
      if (!(value instanceof Map)) return undefined;
      value = (value as Map<string, unknown>).get(segment);
    }
  }
  return value;
}

/**
 * Where to point for a problem with the value at `path`: the value itself, or its key when the
 * value is empty (an empty value has no text of its own; the reader places it at the line end).
 */
export function valueAt(file: RuleFile, path: readonly PathSegment[]): Position {
  const value = valueIn(file, path);
  if ((value === null || value === undefined) && typeof path[path.length - 1] === 'string') {
    return file.yaml.keyAt(path);
  }
  return file.yaml.valueAt(path);
}

export function keyAt(file: RuleFile, path: readonly PathSegment[]): Position {
  return file.yaml.keyAt(path);
}

/** `rules/a.yaml:3:5`, for messages that point at another place. */
export function placeText(file: RuleFile, position: Position): string {
  return `${file.name}:${position.line}:${position.column}`;
}

function lineStarts(file: RuleFile): number[] {
  if (file.lineStarts === undefined) {
    const starts = [0];
    for (let i = 0; i < file.text.length; i++) if (file.text[i] === '\n') starts.push(i + 1);
    file.lineStarts = starts;
  }
  return file.lineStarts;
}

function offsetOf(file: RuleFile, position: Position): number {
  return (lineStarts(file)[position.line - 1] ?? 0) + position.column - 1;
}

function positionOf(file: RuleFile, offset: number): Position {
  const starts = lineStarts(file);
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((starts[middle] ?? 0) <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
}

/**
 * Where `offset` inside the string value at `path` is written. The value is not the source text
 * (quotes, escapes, folded lines), so the placeholder around the offset is looked for in the
 * source after the value's start; when quoting changed it beyond recognition, the value's start.
 */
export function positionInString(file: RuleFile, path: readonly PathSegment[], offset: number): Position {
  const start = file.yaml.valueAt(path);
  const value = valueIn(file, path);
  if (typeof value !== 'string') return start;
  const open = Math.max(0, value.lastIndexOf('{{', offset));
  const close = value.indexOf('}}', open);
  let snippet = value.slice(open, close < 0 ? value.length : close + 2);
  const newline = snippet.indexOf('\n');
  if (newline >= 0) snippet = snippet.slice(0, newline);
  if (snippet === '' || offset - open > snippet.length) return start;
  const found = file.text.indexOf(snippet, offsetOf(file, start));
  return found < 0 ? start : positionOf(file, found + offset - open);
}

interface Entry {
  readonly issue: RuleIssue;
  readonly fileIndex: number;
  readonly sequence: number;
}

/** Every issue of one load, errors and warnings, in file order then position. */
export class IssueLog {
  private readonly entries: Entry[] = [];
  private errors = 0;

  error(file: RuleFile, at: Position, message: string): void {
    this.add(file, at, 'error', message);
  }

  warn(file: RuleFile, at: Position, message: string): void {
    this.add(file, at, 'warning', message);
  }

  /** An issue from outside any parsed file (the file system), placed before all file issues. */
  addExternal(issue: RuleIssue): void {
    this.entries.push({ issue, fileIndex: -1, sequence: this.entries.length });
    if (issue.severity === 'error') this.errors += 1;
  }

  get hasErrors(): boolean {
    return this.errors > 0;
  }

  /** Errors so far; compare before and after a check to learn whether it found any. */
  get errorCount(): number {
    return this.errors;
  }

  sorted(): RuleIssue[] {
    return [...this.entries]
      .sort(
        (a, b) =>
          a.fileIndex - b.fileIndex ||
          a.issue.line - b.issue.line ||
          a.issue.column - b.issue.column ||
          a.sequence - b.sequence,
      )
      .map((entry) => entry.issue);
  }

  private add(file: RuleFile, at: Position, severity: RuleIssue['severity'], message: string): void {
    const issue: RuleIssue = { file: file.name, line: at.line, column: at.column, severity, message };
    this.entries.push({ issue, fileIndex: file.index, sequence: this.entries.length });
    if (severity === 'error') this.errors += 1;
  }
}
