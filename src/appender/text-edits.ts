/**
 * Splicing lines into an XML text the way its author laid it out: the file's own line ending,
 * indentation copied from neighbours. Invariant that makes `remove` the exact inverse of
 * `install`: every insertion is `<line ending><indent><line>` per line placed right after an
 * existing node, and every removal of a node takes the node and the line ending and indentation
 * before it (when only indentation stands between them), which is exactly what was inserted.
 */
import type { XmlElement, XmlNode } from './xml-scan.js';

export interface TextEdit {
  readonly at: number;
  readonly remove: number;
  readonly insert: string;
}

/** The file's line ending: that of its first line; CRLF when it has none (Windows' own). */
export function lineEndingOf(text: string): string {
  const lf = text.indexOf('\n');
  if (lf === -1) return '\r\n';
  return lf > 0 && text.charAt(lf - 1) === '\r' ? '\r\n' : '\n';
}

/** The spaces and tabs before `offset` when they start a line, else undefined. */
export function indentBefore(text: string, offset: number): string | undefined {
  let i = offset;
  while (i > 0 && (text.charAt(i - 1) === ' ' || text.charAt(i - 1) === '\t')) i--;
  if (i === 0 || text.charAt(i - 1) === '\n' || text.charAt(i - 1) === '\r') return text.slice(i, offset);
  return undefined;
}

/** One level of indentation: how far the root's first child sits in from the root; two spaces if unknown. */
export function indentUnitOf(text: string, root: XmlElement): string {
  const first = root.children.find((n) => n.kind !== 'text');
  const rootIndent = indentBefore(text, root.start) ?? '';
  const childIndent = first === undefined ? undefined : indentBefore(text, first.start);
  if (childIndent?.startsWith(rootIndent) === true && childIndent.length > rootIndent.length) {
    return childIndent.slice(rootIndent.length);
  }
  return '  ';
}

/** Indentation for a new child of `parent`: that of its last element child, else one level in. */
export function childIndentOf(text: string, parent: XmlElement, unit: string): string {
  const elements = parent.children.filter((n) => n.kind === 'element');
  const last = elements.at(-1);
  const fromSibling = last === undefined ? undefined : indentBefore(text, last.start);
  return fromSibling ?? (indentBefore(text, parent.start) ?? '') + unit;
}

/**
 * Lines indented two spaces a level (as the renderers write them) re-indented with `unit`, each
 * preceded by the line ending and `indent`: ready to insert right after a node.
 */
export function linesToInsert(lines: readonly string[], nl: string, indent: string, unit: string): string {
  return lines
    .map((line) => {
      const lead = /^ */.exec(line)?.[0].length ?? 0;
      return `${nl}${indent}${unit.repeat(Math.floor(lead / 2))}${line.slice(lead)}`;
    })
    .join('');
}

/** The edit that removes `node` with the line ending and indentation before it. */
export function removalOf(text: string, node: XmlNode): TextEdit {
  let start = node.start;
  const indent = indentBefore(text, node.start);
  if (indent !== undefined) {
    start -= indent.length;
    if (text.charAt(start - 1) === '\n') start--;
    if (text.charAt(start - 1) === '\r') start--;
  }
  return { at: start, remove: node.end - start, insert: '' };
}

/** Applies edits given against the original text; edits at one offset keep their order. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const ordered = edits.map((edit, i) => ({ edit, i })).sort((a, b) => a.edit.at - b.edit.at || a.i - b.i);
  let out = '';
  let pos = 0;
  for (const { edit } of ordered) {
    if (edit.at < pos) throw new Error(`overlapping edits at offset ${edit.at}`);
    out += text.slice(pos, edit.at) + edit.insert;
    pos = edit.at + edit.remove;
  }
  return out + text.slice(pos);
}
