import { describe, expect, test } from 'vitest';
import { XmlScanError, childElements, positionAt, scanXml } from '../../src/appender/xml-scan.js';

function errorOf(text: string): { line: number; column: number; message: string } {
  try {
    scanXml(text);
  } catch (error) {
    if (error instanceof XmlScanError) return { ...error.position, message: error.message };
    throw error;
  }
  throw new Error('expected the text to be refused');
}

describe('scanXml', () => {
  test('children tile the content: every character is in exactly one node', () => {
    const text =
      '<?xml version="1.0"?>\r\n<!-- c -->\n<configuration a=\'1\' b="x &amp; &#x41;">\n  <x/><![CDATA[<raw>]]>text<?pi x?>\n  <y>t</y>\n</configuration>\n';
    const doc = scanXml(text);
    const rebuilt = (nodes: typeof doc.nodes): string =>
      nodes
        .map((n) =>
          n.kind === 'element' && !n.selfClosing
            ? text.slice(n.start, n.startTagEnd) + rebuilt(n.children) + text.slice(n.endTagStart, n.end)
            : text.slice(n.start, n.end),
        )
        .join('');
    expect(rebuilt(doc.nodes)).toBe(text);
    expect(doc.root.attributes.map((a) => [a.name, a.value, a.quote])).toEqual([
      ['a', '1', "'"],
      ['b', 'x & A', '"'],
    ]);
    expect(childElements(doc.root).map((e) => e.name)).toEqual(['x', 'y']);
  });

  test('positions count CRLF, LF and a lone CR as one line break each', () => {
    expect(positionAt('a\r\nb\nc\rd', 7)).toEqual({ line: 4, column: 1 });
    expect(positionAt('a\r\nbc', 4)).toEqual({ line: 2, column: 2 });
  });

  test.each([
    [
      '<configuration>\n  <appender>\n</configuration>',
      3,
      1,
      '</configuration> does not match <appender> opened at 2:3: write </appender>',
    ],
    [
      '<configuration>\n  <a x="1" x="2"/>\n</configuration>',
      2,
      12,
      'attribute x appears twice in <a>: keep one',
    ],
    [
      '<configuration>\n  <!-- a -- b -->\n</configuration>',
      2,
      10,
      '"--" is not allowed inside a comment: change it to "- -"',
    ],
    [
      '<configuration>\n  <a v="R&D"/>\n</configuration>',
      2,
      10,
      '"&" must start an entity such as &amp; (write & as &amp;)',
    ],
    [
      '<configuration>\n  <a v="&nbsp;"/>\n</configuration>',
      2,
      9,
      'unknown entity &nbsp;: use &amp; &lt; &gt; &quot; &apos; or a character reference',
    ],
    [
      '<configuration>\n</configuration>\n<configuration/>',
      3,
      1,
      'a second root element <configuration>: a file has one root; move it inside <configuration>',
    ],
    [
      '\n<?xml version="1.0"?><configuration/>',
      2,
      1,
      'the <?xml ...?> declaration must be the very first thing in the file',
    ],
    ['<configuration>\n  <a v=1/>\n</configuration>', 2, 8, 'the value of v must be in quotes'],
    [
      'hello <configuration/>',
      1,
      1,
      'text before the root element: the file must start with <?xml ...?>, a comment or <configuration>',
    ],
    ['<!-- only a comment -->\n', 1, 1, 'no root element: the file holds no <configuration> element'],
    [
      '<configuration>\n  <a v="<"/>\n</configuration>',
      2,
      9,
      '"<" is not allowed in an attribute value: write &lt;',
    ],
  ])('refuses %j at %i:%i', (text, line, column, message) => {
    expect(errorOf(text)).toEqual({ line, column, message });
  });
});
