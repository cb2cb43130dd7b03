/**
 * YAML text → plain values plus the position of every node, so that any problem found later can
 * point at the line and column the operator has to change. Mappings become `Map`s (no prototype
 * games with keys like `__proto__`), lists arrays, scalars their value.
 */
import {
  type Document,
  type ErrorCode,
  LineCounter,
  type Node,
  type YAMLError,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
} from 'yaml';
import { formatPath } from './issues.js';
import { findExcessiveNesting } from './nesting-guard.js';
import type { ConfigIssue, PathSegment, Position } from './types.js';

/** A config is a few KiB; anything near this is not a config. */
export const MAX_TEXT_CHARS = 256 * 1024;
/** The config nests three levels; YAML nested deeper than this is refused. */
export const MAX_DEPTH = 32;
/** The token-level pre-check refuses estimates above this (see nesting-guard.ts). */
const NESTING_ESTIMATE_LIMIT = 4 * MAX_DEPTH;
/** Alias expansions allowed in one document (a "billion laughs" needs many more). */
export const MAX_ALIASES = 50;

export interface YamlSource {
  /** The document's value; undefined when it is empty or could not be read (see issues). */
  readonly root: unknown;
  /** Syntax errors and refused constructs. When any is fatal, `root` is undefined. */
  readonly issues: readonly ConfigIssue[];
  /** Where the value at `path` is written; the nearest enclosing node when it is not. */
  valueAt(path: readonly PathSegment[]): Position;
  /** Where the key of the mapping entry at `path` is written. */
  keyAt(path: readonly PathSegment[]): Position;
}

const START: Position = { line: 1, column: 1 };

/** A source with nothing in it: what applies when there is no config file. */
export function emptyYamlSource(): YamlSource {
  return { root: undefined, issues: [], valueAt: () => START, keyAt: () => START };
}

/** yaml's messages are written for programmers; these say what to change. */
const FRIENDLY: Partial<Record<ErrorCode, (text: string) => string>> = {
  MULTIPLE_DOCS: () => 'the file holds more than one YAML document (a second "---"); keep one',
  DUPLICATE_KEY: () => 'this key appears twice in the same mapping; keep one',
  RESOURCE_EXHAUSTION: () => `the document is nested too deeply (more than ${MAX_DEPTH} levels)`,
  TAG_RESOLVE_FAILED: (text) => `${text.replace(/^Unresolved tag/, 'unknown YAML tag')}; remove it`,
  TAB_AS_INDENT: () => 'YAML indentation must use spaces, not tabs',
};

function syntaxMessage(error: YAMLError): string {
  const text = error.message.replace(/\s+/g, ' ').trim();
  return FRIENDLY[error.code]?.(text) ?? `YAML syntax error: ${text}`;
}

class Stop extends Error {}

export function readYamlSource(fileText: string, file: string): YamlSource {
  // Editors on Windows like to start files with a byte order mark; it is not a column.
  const text = fileText.startsWith('\uFEFF') ? fileText.slice(1) : fileText;
  const values = new Map<string, Position>();
  const keys = new Map<string, Position>();
  const issues: ConfigIssue[] = [];
  const pathKey = (path: readonly PathSegment[]): string => JSON.stringify(path);
  const valueAt = (path: readonly PathSegment[]): Position => {
    for (let n = path.length; n >= 0; n--) {
      const position = values.get(pathKey(path.slice(0, n)));
      if (position !== undefined) return position;
    }
    return START;
  };
  const keyAt = (path: readonly PathSegment[]): Position => keys.get(pathKey(path)) ?? valueAt(path);
  const source = (root: unknown): YamlSource => ({ root, issues, valueAt, keyAt });
  const fail = (position: Position, path: readonly PathSegment[], message: string): void => {
    issues.push({ file, line: position.line, column: position.column, path: formatPath(path), message });
  };

  if (text.length > MAX_TEXT_CHARS) {
    fail(START, [], `the file is larger than ${MAX_TEXT_CHARS / 1024} KiB; a sidecar config is a few KiB`);
    return source(undefined);
  }

  const tooDeep = findExcessiveNesting(text, NESTING_ESTIMATE_LIMIT);
  if (tooDeep >= 0) {
    const before = text.slice(0, tooDeep);
    const line = before.split('\n').length;
    const column = tooDeep - before.lastIndexOf('\n');
    fail({ line, column }, [], `the document is nested too deeply (more than ${MAX_DEPTH} levels)`);
    return source(undefined);
  }

  const lineCounter = new LineCounter();
  let document: Document.Parsed;
  try {
    document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    fail(START, [], `the YAML parser gave up: ${error instanceof Error ? error.message : String(error)}`);
    return source(undefined);
  }
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line, column: col };
  };
  const nodeAt = (node: Node, fallback: Position): Position => (node.range ? at(node.range[0]) : fallback);

  const seen = new Set<string>();
  for (const error of [...document.errors, ...document.warnings]) {
    const position = at(error.pos[0]);
    const message = syntaxMessage(error);
    // One report per position, and one for a resource limit however often the parser hit it.
    const id =
      error.code === 'RESOURCE_EXHAUSTION' ? error.code : `${position.line}:${position.column}:${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    fail(position, [], message);
  }
  if (document.errors.length > 0) return source(undefined);

  const anchors = new Map<string, Node>();
  let aliasCount = 0;

  const walk = (
    node: Node | null,
    path: PathSegment[],
    depth: number,
    expanding: boolean,
    parent: Position,
  ): unknown => {
    if (node === null) return null;
    const position = nodeAt(node, parent);
    values.set(pathKey(path), position);
    if (isAlias(node)) {
      aliasCount += 1;
      if (aliasCount > MAX_ALIASES) {
        fail(
          position,
          path,
          `more than ${MAX_ALIASES} alias expansions (*${node.source}); write the values out instead`,
        );
        throw new Stop();
      }
      const target = anchors.get(node.source);
      if (target === undefined) {
        fail(position, path, `alias *${node.source} refers to no anchor &${node.source} written before it`);
        throw new Stop();
      }
      const value = walk(target, path, depth, true, position);
      values.set(pathKey(path), position);
      return value;
    }
    if (!expanding && node.anchor !== undefined) anchors.set(node.anchor, node);
    if (isScalar(node)) return node.value;
    if (depth >= MAX_DEPTH) {
      fail(position, [], `the document is nested too deeply (more than ${MAX_DEPTH} levels)`);
      throw new Stop();
    }
    if (isSeq(node)) {
      return node.items.map((item, index) =>
        walk(item as Node | null, [...path, index], depth + 1, expanding, position),
      );
    }
    if (isMap(node)) {
      const map = new Map<string, unknown>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        if (keyNode !== null && !isScalar(keyNode)) {
          fail(nodeAt(keyNode, position), path, 'keys must be plain names, not lists, mappings or aliases');
          continue;
        }
        const name = keyNode === null ? '' : String(keyNode.value);
        const entryPath = [...path, name];
        const keyPosition = keyNode === null ? position : nodeAt(keyNode, position);
        if (map.has(name)) {
          fail(keyPosition, entryPath, `key "${name}" appears twice in this mapping; keep one`);
          continue;
        }
        keys.set(pathKey(entryPath), keyPosition);
        map.set(name, walk(pair.value as Node | null, entryPath, depth + 1, expanding, keyPosition));
      }
      return map;
    }
    return null;
  };

  try {
    const root = walk(document.contents, [], 0, false, START);
    return source(root);
  } catch (error) {
    if (error instanceof Stop) return source(undefined);
    throw error;
  }
}
