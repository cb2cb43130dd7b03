import { describe, expect, test } from 'vitest';
import { runAppenderXmlCommand } from '../../src/cli/appender-xml-command.js';
import { escapeXmlAttribute, renderAppenderXml } from '../../src/appender/appender-xml.js';
import { captureText as capture } from '../helpers/capture.js';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * A deliberately small, strict XML reader for this one document shape: a declaration, comments,
 * elements with quoted attributes and whitespace between them. It throws on anything else, so
 * "parses" means well-formed for our purposes: balanced tags, one root, quoted and escaped
 * attribute values, no `--` inside comments.
 */
function parseXml(text: string): XmlElement {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${pos}: ${JSON.stringify(text.slice(pos, pos + 40))}`);
  };
  const isNameChar = (c: string): boolean =>
    (c >= 'a' && c <= 'z') ||
    (c >= 'A' && c <= 'Z') ||
    (c >= '0' && c <= '9') ||
    c === '-' ||
    c === '_' ||
    c === '.' ||
    c === ':';
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\r\n'.includes(text.charAt(pos))) pos++;
  };
  const expectText = (s: string): void => {
    if (!text.startsWith(s, pos)) fail(`expected ${s}`);
    pos += s.length;
  };
  const readName = (): string => {
    const start = pos;
    while (pos < text.length && isNameChar(text.charAt(pos))) pos++;
    if (pos === start) fail('expected a name');
    return text.slice(start, pos);
  };
  const readAttributeValue = (): string => {
    const quote = text.charAt(pos);
    if (quote !== '"' && quote !== "'") fail('expected a quoted value');
    pos++;
    let value = '';
    while (text.charAt(pos) !== quote) {
      const c = text.charAt(pos);
      if (pos >= text.length || c === '<') fail('unterminated or invalid attribute value');
      if (c === '&') {
        const end = text.indexOf(';', pos);
        const entity = end === -1 ? undefined : ENTITIES[text.slice(pos + 1, end)];
        if (entity === undefined) return fail('unknown entity');
        value += entity;
        pos = end + 1;
      } else {
        value += c;
        pos++;
      }
    }
    pos++;
    return value;
  };
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', pos)) {
        const end = text.indexOf('-->', pos + 4);
        if (end === -1) fail('unterminated comment');
        if (text.slice(pos + 4, end).includes('--')) fail('-- inside a comment');
        pos = end + 3;
      } else return;
    }
  };
  const readElement = (): XmlElement => {
    expectText('<');
    const name = readName();
    const attributes: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (text.startsWith('/>', pos)) {
        pos += 2;
        return { name, attributes, children: [] };
      }
      if (text.charAt(pos) === '>') {
        pos++;
        break;
      }
      const attribute = readName();
      if (attribute in attributes) fail('duplicate attribute');
      skipSpace();
      expectText('=');
      skipSpace();
      attributes[attribute] = readAttributeValue();
    }
    const children: XmlElement[] = [];
    for (;;) {
      skipMisc();
      if (text.startsWith('</', pos)) {
        pos += 2;
        if (readName() !== name) fail(`mismatched end tag for <${name}>`);
        skipSpace();
        expectText('>');
        return { name, attributes, children };
      }
      if (text.charAt(pos) !== '<') fail('unexpected text');
      children.push(readElement());
    }
  };

  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end === -1) fail('unterminated declaration');
    pos = end + 2;
  }
  skipMisc();
  const root = readElement();
  skipMisc();
  if (pos !== text.length) fail('content after the root element');
  return root;
}

function params(element: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const child of element.children) {
    if (child.name === 'param') out[child.attributes.name ?? ''] = child.attributes.value ?? '';
  }
  return out;
}

const SESSION_PATTERN =
  '/qseow-proxy-session/;%hostname;%property{Command};%property{UserDirectory};%property{UserId};%property{Origin};%property{Context};%message';
const CONNECTION_PATTERN =
  '/qseow-proxy-connection/;%hostname;%property{Command};%property{UserDirectory};%property{UserId};%property{Origin};%property{Context};%message';

describe('the test XML reader', () => {
  test('rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow();
    expect(() => parseXml('<a x="<"/>')).toThrow();
    expect(() => parseXml('<a x="&nope;"/>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(() => parseXml('<!-- a -- b --><a/>')).toThrow();
    expect(parseXml('<a x="&amp;&lt;"><b/></a>')).toEqual({
      name: 'a',
      attributes: { x: '&<' },
      children: [{ name: 'b', attributes: {}, children: [] }],
    });
  });
});

describe('renderAppenderXml', () => {
  const xml = renderAppenderXml({ host: '127.0.0.1', port: 9997 });
  const root = parseXml(xml);
  const appenders = root.children.filter((c) => c.name === 'appender');

  test('is a well-formed configuration with two UDP appenders and the proxy audit logger', () => {
    expect(root.name).toBe('configuration');
    expect(appenders).toHaveLength(2);
    for (const appender of appenders) expect(appender.attributes.type).toBe('log4net.Appender.UdpAppender');
    const logger = root.children.find((c) => c.name === 'logger');
    expect(logger?.attributes.name).toBe('AuditActivity.Proxy');
    expect(logger?.children.map((c) => `${c.name}:${c.attributes.ref ?? ''}`)).toEqual(
      appenders.map((a) => `appender-ref:${a.attributes.name ?? ''}`),
    );
  });

  test('each appender: string filters in order, then DenyAllFilter, then the destination', () => {
    const expectedMatches = [
      ['Start session for user', 'Stop session for user'],
      ['connection Opened for session', 'connection Closed for session'],
    ];
    appenders.forEach((appender, index) => {
      const filters = appender.children.filter((c) => c.name === 'filter');
      expect(filters.map((f) => f.attributes.type)).toEqual([
        'log4net.Filter.StringMatchFilter',
        'log4net.Filter.StringMatchFilter',
        'log4net.Filter.DenyAllFilter',
      ]);
      expect(filters.slice(0, 2).map((f) => params(f).stringToMatch)).toEqual(expectedMatches[index]);
      expect(params(appender)).toEqual({ remoteAddress: '127.0.0.1', remotePort: '9997', encoding: 'utf-8' });
    });
  });

  test('layouts: the hostname converter and the exact conversion patterns', () => {
    const layouts = appenders.map((a) => a.children.find((c) => c.name === 'layout'));
    expect(layouts.map((l) => l?.attributes.type)).toEqual([
      'log4net.Layout.PatternLayout',
      'log4net.Layout.PatternLayout',
    ]);
    expect(layouts.map((l) => (l === undefined ? '' : params(l).conversionPattern))).toEqual([
      SESSION_PATTERN,
      CONNECTION_PATTERN,
    ]);
    for (const layout of layouts) {
      const converter = layout?.children.find((c) => c.name === 'converter');
      expect(converter === undefined ? {} : params(converter)).toEqual({
        name: 'hostname',
        type: 'Qlik.Sense.Logging.log4net.Layout.Pattern.HostNamePatternConverter',
      });
    }
    // The raw text too, as an operator would grep for it.
    expect(xml).toContain(`value="${SESSION_PATTERN}"`);
    expect(xml).toContain(`value="${CONNECTION_PATTERN}"`);
  });

  test('opens with a comment that tells the operator what to do', () => {
    expect(xml.startsWith('<?xml version="1.0"?>\n<!--')).toBe(true);
    const comment = xml.slice(xml.indexOf('<!--'), xml.indexOf('-->'));
    expect(comment).toContain('C:\\ProgramData\\Qlik\\Sense\\Proxy\\LocalLogConfig.xml');
    expect(comment).toContain('Qlik Sense Proxy Service');
    expect(comment).toContain('restart');
    expect(comment).toContain('127.0.0.1');
    expect(comment).toContain('sense-sidecar listens');
  });

  test('escapes the host', () => {
    const host = 'a<b&c"d\'e>f';
    const out = renderAppenderXml({ host, port: 1 });
    expect(out).toContain('value="a&lt;b&amp;c&quot;d&apos;e&gt;f"');
    const parsed = parseXml(out);
    for (const appender of parsed.children.filter((c) => c.name === 'appender')) {
      expect(params(appender).remoteAddress).toBe(host);
    }
    expect(escapeXmlAttribute('&amp;')).toBe('&amp;amp;');
  });

  test('trims the host and passes names and IPv6 through', () => {
    const named = parseXml(renderAppenderXml({ host: '  sidecar.corp.example.com ', port: 9997 }));
    const first = named.children.find((c) => c.name === 'appender');
    expect(first === undefined ? undefined : params(first).remoteAddress).toBe('sidecar.corp.example.com');
    expect(renderAppenderXml({ host: '::1', port: 65535 })).toContain('value="::1"');
  });

  test('validates port and host', () => {
    for (const port of [0, -1, 65536, 1.5, Number.NaN]) {
      expect(() => renderAppenderXml({ host: '127.0.0.1', port })).toThrow(RangeError);
      expect(() => renderAppenderXml({ host: '127.0.0.1', port })).toThrow(
        /port must be an integer from 1 to 65535/,
      );
    }
    expect(() => renderAppenderXml({ host: '', port: 9997 })).toThrow(/host must not be empty/);
    expect(() => renderAppenderXml({ host: '   ', port: 9997 })).toThrow(RangeError);
    expect(() => renderAppenderXml({ host: 'a\nb', port: 9997 })).toThrow(/control characters/);
    expect(() => renderAppenderXml({ host: 'h', port: 1 })).not.toThrow();
  });
});

describe('runAppenderXmlCommand', () => {
  test('defaults to 127.0.0.1:9997', async () => {
    const stdout = capture();
    const stderr = capture();
    expect(await runAppenderXmlCommand([], { stdout, stderr })).toBe(0);
    expect(stdout.text()).toBe(renderAppenderXml({ host: '127.0.0.1', port: 9997 }));
    expect(stderr.text()).toBe('');
  });

  test('takes --host and --port', async () => {
    const stdout = capture();
    expect(
      await runAppenderXmlCommand(['--host', '10.0.0.5', '--port', '9000'], { stdout, stderr: capture() }),
    ).toBe(0);
    expect(stdout.text()).toBe(renderAppenderXml({ host: '10.0.0.5', port: 9000 }));
  });

  test('--help', async () => {
    const stdout = capture();
    expect(await runAppenderXmlCommand(['--help'], { stdout, stderr: capture() })).toBe(0);
    expect(stdout.text()).toMatch(/^Usage: sense-sidecar appender-xml/);
  });

  test.each([
    [['--port', 'abc'], /--port must be an integer from 1 to 65535 \(got "abc"\)/],
    [['--port', '70000'], /--port must be an integer from 1 to 65535/],
    [['--port', '0x10'], /--port must be an integer/],
    [['--host', ''], /--host must not be empty/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /positional/],
  ])('exit 2 for %j', async (argv, message) => {
    const stdout = capture();
    const stderr = capture();
    expect(await runAppenderXmlCommand(argv, { stdout, stderr })).toBe(2);
    expect(stdout.text()).toBe('');
    expect(stderr.text()).toMatch(message);
    expect(stderr.text()).toContain('--help');
  });
});
