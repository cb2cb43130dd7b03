/**
 * A small, strict XML scanner for log4net configuration files, made for editing text in place:
 * every node keeps its offsets into the scanned string, so a caller can cut or insert at exact
 * positions and leave every other byte as it was. It does not build a DOM that is written back.
 *
 * Invariants: offsets are UTF-16 indexes into the string given to `scanXml`; `end` is exclusive;
 * the children of an element tile its content exactly (text nodes included), so nothing between
 * `startTagEnd` and `endTagStart` is lost. Anything that is not well-formed XML 1.0 for our
 * purposes (unbalanced tags, unquoted or duplicate attributes, unknown entities, `--` inside a
 * comment, markup after the root) throws an XmlScanError with a line and column.
 * Not supported, and refused with a message: a DOCTYPE with an internal subset.
 */

export interface XmlAttribute {
  readonly name: string;
  /** The value with entity and character references decoded. */
  readonly value: string;
  /** Offsets of the raw value between its quotes. */
  readonly valueStart: number;
  readonly valueEnd: number;
  readonly quote: '"' | "'";
}

export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly start: number;
  /** Offset just after the `>` of the start tag (or of `/>`). */
  readonly startTagEnd: number;
  readonly attributes: readonly XmlAttribute[];
  readonly selfClosing: boolean;
  readonly children: readonly XmlNode[];
  /** Offset of `</` of the end tag; equals `startTagEnd` when self-closing. */
  readonly endTagStart: number;
  readonly end: number;
}

export interface XmlLeaf {
  readonly kind: 'text' | 'comment' | 'cdata' | 'pi' | 'doctype';
  readonly start: number;
  readonly end: number;
}

export type XmlNode = XmlElement | XmlLeaf;

export interface XmlDocument {
  readonly text: string;
  /** Top-level nodes: declaration, comments, whitespace, the root element. */
  readonly nodes: readonly XmlNode[];
  readonly root: XmlElement;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

export class XmlScanError extends Error {
  override readonly name = 'XmlScanError';
  constructor(
    message: string,
    readonly offset: number,
    readonly position: Position,
  ) {
    super(message);
  }
}

/** 1-based line and column of an offset; CRLF, LF and a lone CR each end a line. */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export function attributeOf(element: XmlElement, name: string): XmlAttribute | undefined {
  return element.attributes.find((a) => a.name === name);
}

export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((n): n is XmlElement => n.kind === 'element');
}

const NAME_START = /[A-Za-z_:\u00c0-\ufffd]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00b7\u00c0-\ufffd]/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

interface OpenElement {
  name: string;
  start: number;
  startTagEnd: number;
  attributes: XmlAttribute[];
  children: XmlNode[];
}

/** Scans `text` (already decoded, without a byte order mark) into nodes with offsets. */
export function scanXml(text: string): XmlDocument {
  let pos = 0;
  // Annotated so that control flow knows a call never returns.
  const fail: (message: string, at?: number) => never = (message, at = pos) => {
    throw new XmlScanError(message, at, positionAt(text, at));
  };
  const top: XmlNode[] = [];
  const stack: OpenElement[] = [];
  let root: XmlElement | undefined;
  const siblings = (): XmlNode[] => stack.at(-1)?.children ?? top;

  const readName = (what: string): string => {
    const start = pos;
    if (!NAME_START.test(text.charAt(pos))) fail(`expected ${what}`);
    pos++;
    while (pos < text.length && NAME_CHAR.test(text.charAt(pos))) pos++;
    return text.slice(start, pos);
  };
  const skipSpace = (): boolean => {
    const start = pos;
    while (pos < text.length && ' \t\r\n'.includes(text.charAt(pos))) pos++;
    return pos > start;
  };
  /** Decodes references in [from, to); `&` must start a known entity or a character reference. */
  const decode = (from: number, to: number): string => {
    // Searches stay inside the slice: indexOf over the whole text would make a large file quadratic.
    const raw = text.slice(from, to);
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const amp = raw.indexOf('&', i);
      if (amp === -1) {
        out += raw.slice(i);
        break;
      }
      out += raw.slice(i, amp);
      const semi = raw.indexOf(';', amp);
      if (semi === -1) fail('"&" must start an entity such as &amp; (write & as &amp;)', from + amp);
      const ref = raw.slice(amp + 1, semi);
      const numeric = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
      if (numeric !== null) {
        const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
        if (code > 0x10ffff || code === 0)
          fail(`character reference &${ref}; is not a valid character`, from + amp);
        out += String.fromCodePoint(code);
      } else {
        const entity = PREDEFINED[ref];
        if (entity === undefined)
          fail(
            `unknown entity &${ref};: use &amp; &lt; &gt; &quot; &apos; or a character reference`,
            from + amp,
          );
        out += entity;
      }
      i = semi + 1;
    }
    return out;
  };

  const readStartTag = (): void => {
    const start = pos;
    pos++; // <
    const name = readName('an element name after "<"');
    const attributes: XmlAttribute[] = [];
    for (;;) {
      const spaced = skipSpace();
      const c = text.charAt(pos);
      if (c === '>' || c === '/') break;
      if (pos >= text.length) fail(`start tag <${name}> is not closed: add ">"`, start);
      if (!spaced) fail(`expected a space, ">" or "/>" in <${name}>`);
      const nameAt = pos;
      const attrName = readName(`an attribute name or ">" in <${name}>`);
      skipSpace();
      if (text.charAt(pos) !== '=') fail(`attribute ${attrName} needs a value: write ${attrName}="..."`);
      pos++;
      skipSpace();
      const quote = text.charAt(pos);
      if (quote !== '"' && quote !== "'") fail(`the value of ${attrName} must be in quotes`);
      const valueStart = pos + 1;
      const valueEnd = text.indexOf(quote, valueStart);
      if (valueEnd === -1) fail(`the value of ${attrName} is never closed: add ${quote}`, pos);
      const lt = text.indexOf('<', valueStart);
      if (lt !== -1 && lt < valueEnd) fail(`"<" is not allowed in an attribute value: write &lt;`, lt);
      if (attributes.some((a) => a.name === attrName))
        fail(`attribute ${attrName} appears twice in <${name}>: keep one`, nameAt);
      attributes.push({
        name: attrName,
        value: decode(valueStart, valueEnd),
        valueStart,
        valueEnd,
        quote,
      });
      pos = valueEnd + 1;
    }
    const selfClosing = text.charAt(pos) === '/';
    if (selfClosing) {
      if (text.charAt(pos + 1) !== '>') fail(`expected "/>" to end <${name}>`);
      pos += 2;
    } else {
      pos++;
    }
    if (stack.length === 0 && root !== undefined)
      fail(`a second root element <${name}>: a file has one root; move it inside <${root.name}>`, start);
    if (selfClosing) {
      const element: XmlElement = {
        kind: 'element',
        name,
        start,
        startTagEnd: pos,
        attributes,
        selfClosing,
        children: [],
        endTagStart: pos,
        end: pos,
      };
      siblings().push(element);
      if (stack.length === 0) root = element;
    } else {
      stack.push({ name, start, startTagEnd: pos, attributes, children: [] });
    }
  };

  const readEndTag = (): void => {
    const start = pos;
    pos += 2;
    const name = readName('an element name after "</"');
    skipSpace();
    if (text.charAt(pos) !== '>') fail(`expected ">" to end </${name}`);
    pos++;
    const open = stack.pop();
    if (open === undefined) return fail(`</${name}> closes nothing: remove it`, start);
    if (open.name !== name) {
      const at = positionAt(text, open.start);
      fail(
        `</${name}> does not match <${open.name}> opened at ${at.line}:${at.column}: write </${open.name}>`,
        start,
      );
    }
    const element: XmlElement = {
      kind: 'element',
      name,
      start: open.start,
      startTagEnd: open.startTagEnd,
      attributes: open.attributes,
      selfClosing: false,
      children: open.children,
      endTagStart: start,
      end: pos,
    };
    siblings().push(element);
    if (stack.length === 0) root = element;
  };

  const readUntil = (close: string, kind: XmlLeaf['kind'], what: string): void => {
    const start = pos;
    const end = text.indexOf(close, pos);
    if (end === -1) fail(`${what} is never closed: add "${close}"`, start);
    pos = end + close.length;
    siblings().push({ kind, start, end: pos });
  };

  while (pos < text.length) {
    const c = text.charAt(pos);
    if (c !== '<') {
      const start = pos;
      const lt = text.indexOf('<', pos);
      pos = lt === -1 ? text.length : lt;
      const raw = text.slice(start, pos);
      if (stack.length === 0 && raw.trim() !== '') {
        fail(
          root === undefined
            ? 'text before the root element: the file must start with <?xml ...?>, a comment or <configuration>'
            : `text after </${root.name}>: remove it`,
          start + (raw.length - raw.trimStart().length),
        );
      }
      const gtgt = raw.indexOf(']]>');
      if (gtgt !== -1) fail('"]]>" is not allowed in text: write ]]&gt;', start + gtgt);
      decode(start, pos);
      siblings().push({ kind: 'text', start, end: pos });
    } else if (text.startsWith('<!--', pos)) {
      const start = pos;
      const end = text.indexOf('-->', pos + 4);
      if (end === -1) fail('comment is never closed: add "-->"', start);
      const dashes = text.slice(pos + 4, end).indexOf('--') + pos + 4;
      if (dashes >= pos + 4) fail('"--" is not allowed inside a comment: change it to "- -"', dashes);
      if (text.charAt(end - 1) === '-') fail('a comment must not end with "--->": remove a "-"', end - 1);
      pos = end + 3;
      siblings().push({ kind: 'comment', start, end: pos });
    } else if (text.startsWith('<![CDATA[', pos)) {
      if (stack.length === 0) fail('CDATA is only allowed inside an element');
      readUntil(']]>', 'cdata', 'CDATA section');
    } else if (text.startsWith('<!DOCTYPE', pos)) {
      const start = pos;
      if (stack.length > 0 || root !== undefined) fail('DOCTYPE must come before the root element');
      const gt = text.indexOf('>', pos);
      const bracket = text.indexOf('[', pos);
      if (bracket !== -1 && (gt === -1 || bracket < gt))
        fail('a DOCTYPE with an internal subset is not supported: remove the [...] part', bracket);
      if (gt === -1) fail('DOCTYPE is never closed: add ">"', start);
      pos = gt + 1;
      siblings().push({ kind: 'doctype', start, end: pos });
    } else if (text.startsWith('<?', pos)) {
      const start = pos;
      pos += 2;
      const target = readName('a processing instruction name after "<?"');
      if (target.toLowerCase() === 'xml' && start !== 0)
        fail('the <?xml ...?> declaration must be the very first thing in the file', start);
      pos = start;
      readUntil('?>', 'pi', `<?${target}`);
    } else if (text.startsWith('</', pos)) {
      readEndTag();
    } else if (text.startsWith('<!', pos)) {
      fail('unknown markup "<!": expected a comment <!-- -->');
    } else {
      readStartTag();
    }
  }
  const open = stack.at(-1);
  if (open !== undefined) fail(`<${open.name}> is never closed: add </${open.name}>`, open.start);
  if (root === undefined) fail('no root element: the file holds no <configuration> element', 0);
  return { text, nodes: top, root };
}
