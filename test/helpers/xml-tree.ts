/**
 * A small strict XML reader for the documents our renderers write: a declaration, comments,
 * elements with quoted attributes, text or child elements. It throws on anything malformed
 * (unbalanced tags, bare `&` or `<` in text, unquoted attributes), so "parses" means well-formed.
 */
export interface XmlNode {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlNode[];
  readonly text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, at: number): string {
  if (raw.includes('<')) throw new Error(`"<" in text or attribute near offset ${at}`);
  return raw.replace(/&([a-z]+);|&/g, (match, name: string | undefined) => {
    const value = name === undefined ? undefined : ENTITIES[name];
    if (value === undefined) throw new Error(`bad entity ${match} near offset ${at}`);
    return value;
  });
}

export function parseXmlTree(xml: string): XmlNode {
  let pos = 0;
  const skip = (): void => {
    for (;;) {
      const before = pos;
      while (/\s/.test(xml.charAt(pos))) pos++;
      if (xml.startsWith('<?', pos)) pos = xml.indexOf('?>', pos) + 2;
      if (xml.startsWith('<!--', pos)) {
        const end = xml.indexOf('-->', pos);
        if (end < 0 || xml.slice(pos + 4, end).includes('--')) throw new Error(`bad comment at ${pos}`);
        pos = end + 3;
      }
      if (pos === before) return;
    }
  };
  const element = (): XmlNode => {
    const open = /^<([A-Za-z_][\w.-]*)/.exec(xml.slice(pos));
    if (open?.[1] === undefined) throw new Error(`expected an element at ${pos}`);
    const name = open[1];
    pos += open[0].length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const attr = /^\s+([A-Za-z_][\w.-]*)="([^"]*)"/.exec(xml.slice(pos));
      if (attr?.[1] === undefined || attr[2] === undefined) break;
      attributes[attr[1]] = decode(attr[2], pos);
      pos += attr[0].length;
    }
    while (/\s/.test(xml.charAt(pos))) pos++;
    if (xml.startsWith('/>', pos)) {
      pos += 2;
      return { name, attributes, children: [], text: '' };
    }
    if (xml.charAt(pos) !== '>') throw new Error(`bad start tag <${name} at ${pos}`);
    pos++;
    const children: XmlNode[] = [];
    let text = '';
    for (;;) {
      const next = xml.indexOf('<', pos);
      if (next < 0) throw new Error(`<${name}> is never closed`);
      text += decode(xml.slice(pos, next), pos);
      pos = next;
      if (xml.startsWith(`</${name}>`, pos)) {
        pos += name.length + 3;
        return { name, attributes, children, text: children.length > 0 ? text.trim() : text };
      }
      if (xml.startsWith('<!--', pos)) skip();
      else children.push(element());
    }
  };
  skip();
  const root = element();
  skip();
  if (pos !== xml.length) throw new Error(`content after the root element at ${pos}`);
  return root;
}

/** The text of the one child called `name`; throws when there is none or more than one. */
export function childText(node: XmlNode, name: string): string {
  const found = node.children.filter((c) => c.name === name);
  if (found.length !== 1 || found[0] === undefined)
    throw new Error(`<${node.name}> has ${found.length} <${name}>`);
  return found[0].text;
}
