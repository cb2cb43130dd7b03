/**
 * Alert message templates: text with `{{name}}` placeholders, e.g.
 * `{{user}} holds {{facts.activeSessions}} sessions on {{host}}`.
 *
 * A template is data, never code: a placeholder holds one name, either an event field
 * (TEMPLATE_FIELDS) or `facts.<fact>` (a value the rule's conditions resolved). Everything is
 * decided when the template is compiled — unknown names, `__proto__`/`constructor`/`prototype`,
 * an unclosed `{{` — so a template that compiled can only render. Rendering looks values up
 * through own data properties of plain objects only (no prototype chain, no getters), shows a
 * missing value as '', and caps each value so one odd field cannot flood an alert.
 */
import { closest } from '../config/suggest.js';
import { EVENT_FIELD_FACTS } from './engine/context.js';
import { FACT_NAMES } from './load/catalog.js';

/** Names a template may use directly: the event's fields and the alert's own. */
export const TEMPLATE_FIELDS = [...EVENT_FIELD_FACTS, 'rule', 'key', 'severity'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/**
 * What `render` looks names up in: the vocabulary's fields (primitives) and `facts`, fact name →
 * resolved value. Typed loosely because each vocabulary has its own fields; the compiler has
 * already refused every name outside the vocabulary.
 */
export type TemplateValues = Readonly<Record<string, unknown>> & {
  readonly facts?: Readonly<Record<string, unknown>>;
};

export interface CompiledTemplate {
  render(values: TemplateValues): string;
  /** Every distinct name used, in order of first use: `user`, `facts.activeSessions`. */
  readonly names: readonly string[];
}

export type CompileTemplateResult =
  | { readonly ok: true; readonly template: CompiledTemplate }
  | {
      readonly ok: false;
      readonly message: string;
      /** UTF-16 offset into the template text of what is wrong. */
      readonly offset: number;
    };

/** Each rendered value is cut to this many characters (an ellipsis included). */
export const MAX_VALUE_CHARS = 200;

/** Segments that reach into JavaScript's object machinery rather than into data. */
const REFUSED_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

type Part = string | readonly string[];

function problem(message: string, offset: number): CompileTemplateResult {
  return { ok: false, message, offset };
}

/**
 * What a template may name: the fields of what a rule is evaluated on and the facts of its
 * catalog. The sidecar's (an event's fields, the sidecar facts) is the default; cluster rules
 * pass their own (see load/cluster-catalog.ts).
 */
export interface TemplateVocabulary {
  /** How the fields are called in messages: `an event field`. */
  readonly fieldsAre: string;
  readonly fields: readonly string[];
  readonly facts: readonly string[];
}

export const SIDECAR_TEMPLATE_VOCABULARY: TemplateVocabulary = {
  fieldsAre: 'an event field',
  fields: TEMPLATE_FIELDS,
  facts: FACT_NAMES,
};

/** Why `segments` (at `offset` in the text) is not a name a template may use, or null. */
function checkName(
  segments: readonly string[],
  offsets: readonly number[],
  vocabulary: TemplateVocabulary,
): CompileTemplateResult | null {
  const { fields, facts } = vocabulary;
  const shown = segments.join('.');
  for (const [index, segment] of segments.entries()) {
    if (REFUSED_SEGMENTS.has(segment)) {
      return problem(
        `"${segment}" is refused in {{${shown}}}: templates only look up event fields and facts`,
        offsets[index] ?? 0,
      );
    }
  }
  const [root = '', second, third] = segments;
  const at = (index: number): number => offsets[index] ?? 0;
  if (root === 'facts') {
    if (second === undefined) {
      return problem('{{facts}} needs a fact name, e.g. {{facts.activeSessions}}', at(0));
    }
    if (!facts.includes(second)) {
      const near = closest(second, facts);
      const hint =
        near === undefined ? `; known facts: ${facts.join(', ')}` : `; did you mean {{facts.${near}}}?`;
      return problem(`unknown fact "${second}" in {{${shown}}}${hint}`, at(1));
    }
    if (third !== undefined) {
      return problem(`facts.${second} is a single value; write {{facts.${second}}}`, at(2));
    }
    return null;
  }
  if (fields.includes(root)) {
    if (second === undefined) return null;
    return problem(`${root} is a single value; write {{${root}}}`, at(1));
  }
  if (facts.includes(root)) {
    return problem(`${root} is a fact; write {{facts.${root}}}`, at(0));
  }
  const allNames = [...fields, ...facts.map((fact) => `facts.${fact}`)];
  const near = closest(shown, allNames) ?? closest(root, allNames);
  const hint =
    near === undefined
      ? `; use ${vocabulary.fieldsAre} (${fields.join(', ')}) or facts.<fact>`
      : `; did you mean {{${near}}}?`;
  return problem(`unknown name {{${shown}}}${hint}`, at(0));
}

export function compileTemplate(
  text: string,
  vocabulary: TemplateVocabulary = SIDECAR_TEMPLATE_VOCABULARY,
): CompileTemplateResult {
  const parts: Part[] = [];
  const names: string[] = [];
  let position = 0;
  while (position < text.length) {
    const open = text.indexOf('{{', position);
    if (open < 0) break;
    if (open > position) parts.push(text.slice(position, open));
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      return problem('"{{" is not closed; write {{name}}, e.g. {{user}}', open);
    }
    const inner = text.slice(open + 2, close);
    const start = open + 2 + (inner.length - inner.trimStart().length);
    const name = inner.trim();
    if (name === '') return problem('empty placeholder {{}}; write a name, e.g. {{user}}', open);
    if (!NAME.test(name)) {
      return problem(
        `{{${name}}} is not a name; a placeholder holds one name such as {{user}} or {{facts.activeSessions}}, nothing else`,
        start,
      );
    }
    const segments = name.split('.');
    const offsets: number[] = [];
    let offset = start;
    for (const segment of segments) {
      offsets.push(offset);
      offset += segment.length + 1;
    }
    const refused = checkName(segments, offsets, vocabulary);
    if (refused !== null) return refused;
    parts.push(segments);
    if (!names.includes(name)) names.push(name);
    position = close + 2;
  }
  if (position < text.length) parts.push(text.slice(position));
  const template: CompiledTemplate = {
    names,
    render: (values) =>
      parts.map((part) => (typeof part === 'string' ? part : show(lookup(values, part)))).join(''),
  };
  return { ok: true, template };
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Walks own data properties of plain objects only; anything else is "missing". */
function lookup(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const segment of path) {
    if (!isPlainObject(value)) return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(value, segment);
    if (descriptor === undefined || !('value' in descriptor)) return undefined;
    value = descriptor.value;
  }
  return value;
}

function show(value: unknown): string {
  let text: string;
  switch (typeof value) {
    case 'string':
      text = value;
      break;
    case 'number':
    case 'boolean':
    case 'bigint':
      text = String(value);
      break;
    case 'object':
      text = value === null ? '' : json(value);
      break;
    case 'undefined':
    case 'symbol':
    case 'function':
      text = '';
      break;
  }
  return cap(text);
}

function json(value: object): string {
  try {
    // Typed as string, but undefined when a toJSON answers undefined.
    const text = JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'bigint' ? String(inner) : inner,
    ) as string | undefined;
    return text ?? '';
  } catch {
    // A cycle: nothing sensible to show.
    return '';
  }
}

function cap(text: string): string {
  if (text.length <= MAX_VALUE_CHARS) return text;
  let end = MAX_VALUE_CHARS - 1;
  // Do not leave half of a surrogate pair before the ellipsis.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
