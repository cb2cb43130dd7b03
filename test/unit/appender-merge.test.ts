import { describe, expect, test } from 'vitest';
import { renderAppenderXml } from '../../src/appender/appender-xml.js';
import { editConfigBytes } from '../../src/appender/edit-config.js';
import { EncodingError } from '../../src/appender/text-encoding.js';
import { XmlScanError, attributeOf, childElements, scanXml } from '../../src/appender/xml-scan.js';
import { decodeBytes } from '../../src/appender/text-encoding.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Qlik's documented LocalLogConfig.xml shape: a rolling file appender on a proxy logger. */
const QLIK_DEFAULT = `<?xml version="1.0"?>
<configuration>
  <!-- Appender for writing audit events to a file -->
  <appender name="AuditFileAppender" type="log4net.Appender.RollingFileAppender">
    <param name="File" value="C:\\ProgramData\\Qlik\\Sense\\Log\\Proxy\\Audit\\custom_audit.txt" />
    <param name="AppendToFile" value="true" />
    <param name="MaxSizeRollBackups" value="5" />
    <param name="MaximumFileSize" value="10MB" />
    <layout type="log4net.Layout.PatternLayout">
      <param name="ConversionPattern" value="%date;%level;%property{UserId};%message%newline" />
    </layout>
  </appender>
  <logger name="Audit.Proxy">
    <level value="INFO" />
    <appender-ref ref="AuditFileAppender" />
  </logger>
</configuration>
`;

/** Another collector already listens on the same logger: tabs, single quotes, its own UDP appender. */
const OTHER_COLLECTOR = `<?xml version='1.0' encoding='utf-8'?>
<configuration>
\t<appender name='ButlerSosSessions' type='log4net.Appender.UdpAppender'>
\t\t<filter type='log4net.Filter.StringMatchFilter'>
\t\t\t<param name='stringToMatch' value='Start session for user' />
\t\t</filter>
\t\t<filter type='log4net.Filter.DenyAllFilter' />
\t\t<param name='remoteAddress' value='10.1.1.20' />
\t\t<param name='remotePort' value='9997' />
\t\t<param name='encoding' value='utf-8' />
\t\t<layout type='log4net.Layout.PatternLayout'>
\t\t\t<param name='conversionPattern' value='/proxy-session/;%property{Command};%message' />
\t\t</layout>
\t</appender>
\t<logger name='AuditActivity.Proxy'>
\t\t<appender-ref ref='ButlerSosSessions' />
\t</logger>
</configuration>`;

/** CRLF line endings and a UTF-8 byte order mark, as Notepad saves it, non-ASCII in a comment. */
const CRLF_BOM = Buffer.concat([
  BOM,
  Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\r\n<configuration>\r\n    <!-- Geändert von Jürgen -->\r\n    <appender name="Trace" type="log4net.Appender.TraceAppender" />\r\n</configuration>\r\n',
    'utf8',
  ),
]);

/** Comments around and inside everything, a CDATA section and a processing instruction. */
const COMMENTED = `<?xml version="1.0"?>
<!-- Local logging for the proxy service.
     Keep a copy before editing. -->
<?qlik-editor keep?>
<configuration>
  <!-- no appenders yet; loggers below -->
  <logger name="AuditActivity.Proxy" additivity="false">
    <!-- sessions go to the security team's collector -->
    <appender-ref ref="SecurityCollector" />
    <!-- end of refs -->
  </logger>
  <appender name="SecurityCollector" type="log4net.Appender.UdpAppender">
    <param name="remoteAddress" value="siem.corp.example.com" />
    <param name="remotePort" value="514" />
    <layout type="log4net.Layout.PatternLayout">
      <conversionPattern><![CDATA[%date <%level> %message]]></conversionPattern>
    </layout>
  </appender>
  <!-- trailing comment -->
</configuration>
<!-- after the root -->
`;

/** `appender-xml --port 9000` saved as the file: our appenders already there, another port. */
const OURS_OTHER_PORT = renderAppenderXml({ host: '127.0.0.1', port: 9000 });

const FIXTURES: Record<string, Buffer> = {
  'Qlik default with a file appender': Buffer.from(QLIK_DEFAULT),
  "another collector's UDP appender and logger": Buffer.from(OTHER_COLLECTOR),
  'CRLF and BOM': CRLF_BOM,
  'comments around and inside': Buffer.from(COMMENTED),
  'our appenders already present with another port': Buffer.from(OURS_OTHER_PORT),
};

const OPTIONS = { host: '127.0.0.1', port: 9997 };
const install = (bytes: Buffer, options = OPTIONS): Buffer =>
  editConfigBytes(bytes, { action: 'install', options }).bytes;
const remove = (bytes: Buffer): Buffer => editConfigBytes(bytes, { action: 'remove' }).bytes;

/**
 * Cuts what install inserts, found by our names with regular expressions (not with the code
 * under test): what is left must be the original bytes.
 */
function withoutOurInsertions(text: string): string {
  return text
    .replace(
      /\r?\n[ \t]*<logger name="AuditActivity\.Proxy">(?:\s*<appender-ref ref="SenseSidecar\w+" \/>)+\s*<\/logger>/g,
      '',
    )
    .replace(/\r?\n[ \t]*<appender name="SenseSidecar(?:Sessions|Connections)"[\s\S]*?<\/appender>/g, '')
    .replace(/\r?\n[ \t]*<appender-ref ref="SenseSidecar(?:Sessions|Connections)" \/>/g, '');
}

describe.each(Object.entries(FIXTURES))('install and remove on %s', (name, original) => {
  const fresh = name !== 'our appenders already present with another port';

  test('bytes outside our insertion are identical', () => {
    const installed = install(original);
    expect(installed.equals(original)).toBe(false);
    if (fresh) {
      const bomLength = original.subarray(0, 3).equals(BOM) ? 3 : 0;
      expect(installed.subarray(0, bomLength).equals(original.subarray(0, bomLength))).toBe(true);
      const text = installed.subarray(bomLength).toString('utf8');
      expect(withoutOurInsertions(text)).toBe(original.subarray(bomLength).toString('utf8'));
    } else {
      // Only the two port values differ: same length, and every differing byte is in "9000"→"9997".
      const before = original.toString('utf8');
      const after = installed.toString('utf8');
      expect(after.replaceAll('value="9997"', 'value="9000"')).toBe(before);
      expect(after.match(/value="9997"/g)).toHaveLength(2);
    }
  });

  test('install twice is install once', () => {
    const once = install(original);
    const twice = editConfigBytes(once, { action: 'install', options: OPTIONS });
    expect(twice.changes).toEqual([]);
    expect(twice.bytes.equals(once)).toBe(true);
  });

  test('install then remove gives back the original bytes', () => {
    if (fresh) expect(remove(install(original)).equals(original)).toBe(true);
    else expect(remove(install(original)).equals(remove(original))).toBe(true);
  });

  test('the result is what log4net needs: our appenders, and our refs on the one proxy logger', () => {
    const doc = scanXml(decodeBytes(install(original, { host: '10.0.0.5', port: 9001 })).text);
    const children = childElements(doc.root);
    for (const appender of ['SenseSidecarSessions', 'SenseSidecarConnections']) {
      const found = children.filter(
        (e) => e.name === 'appender' && attributeOf(e, 'name')?.value === appender,
      );
      expect(found).toHaveLength(1);
      const params = found.flatMap((e) => childElements(e)).filter((e) => e.name === 'param');
      const value = (p: string) =>
        params.filter((e) => attributeOf(e, 'name')?.value === p).map((e) => attributeOf(e, 'value')?.value);
      expect([value('remoteAddress'), value('remotePort')]).toEqual([['10.0.0.5'], ['9001']]);
    }
    const loggers = children.filter(
      (e) => e.name === 'logger' && attributeOf(e, 'name')?.value === 'AuditActivity.Proxy',
    );
    expect(loggers).toHaveLength(1);
    const refs = loggers.flatMap((e) => childElements(e)).map((e) => attributeOf(e, 'ref')?.value);
    expect(refs).toContain('SenseSidecarSessions');
    expect(refs).toContain('SenseSidecarConnections');
  });

  test('malformed: a root left open is refused with the line and column of its start tag', () => {
    const text = decodeBytes(original).text;
    const broken = text.replace('</configuration>', '');
    const before = text.slice(0, text.indexOf('<configuration>')).split(/\r\n|\n/);
    let error: unknown;
    try {
      editConfigBytes(Buffer.from(broken), { action: 'install', options: OPTIONS });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(XmlScanError);
    expect((error as XmlScanError).position).toEqual({ line: before.length, column: 1 });
    expect((error as Error).message).toBe('<configuration> is never closed: add </configuration>');
  });
});

describe('install', () => {
  test("adds our refs to another collector's logger instead of a second logger of the same name", () => {
    const out = install(Buffer.from(OTHER_COLLECTOR)).toString('utf8');
    expect(out.match(/<logger /g)).toHaveLength(1);
    expect(out).toContain(
      '\t\t<appender-ref ref=\'ButlerSosSessions\' />\n\t\t<appender-ref ref="SenseSidecarSessions" />\n\t\t<appender-ref ref="SenseSidecarConnections" />\n\t</logger>',
    );
    // Tabs, as the file indents, and the file's missing final newline stays missing.
    expect(out).toContain('\n\t<appender name="SenseSidecarSessions"');
    expect(out.endsWith('</configuration>')).toBe(true);
  });

  test('keeps CRLF in what it inserts', () => {
    const out = install(CRLF_BOM).toString('utf8');
    expect(out.replaceAll('\r\n', '')).not.toContain('\n');
  });

  test('with another host or port updates the values in place and says so', () => {
    const once = install(Buffer.from(QLIK_DEFAULT));
    const edit = editConfigBytes(once, { action: 'install', options: { host: 'sidecar.corp', port: 9000 } });
    expect(edit.changes).toEqual([
      'set remoteAddress of appender SenseSidecarSessions to sidecar.corp (was 127.0.0.1)',
      'set remotePort of appender SenseSidecarSessions to 9000 (was 9997)',
      'set remoteAddress of appender SenseSidecarConnections to sidecar.corp (was 127.0.0.1)',
      'set remotePort of appender SenseSidecarConnections to 9000 (was 9997)',
    ]);
    expect(edit.bytes.length).toBe(once.length + 2 * ('sidecar.corp'.length - '127.0.0.1'.length));
  });

  test('rewrites our appender when it differs beyond host and port, and leaves its neighbours', () => {
    const old = install(Buffer.from(QLIK_DEFAULT))
      .toString('utf8')
      .replace('Stop session for user', 'Stop sess');
    const edit = editConfigBytes(Buffer.from(old), { action: 'install', options: OPTIONS });
    expect(edit.changes).toEqual([expect.stringMatching(/^rewrote appender SenseSidecarSessions at 13:3/)]);
    expect(edit.bytes.toString('utf8')).toBe(install(Buffer.from(QLIK_DEFAULT)).toString('utf8'));
  });

  test('keeps a Latin-1 file byte for byte and UTF-16 with its BOM', () => {
    const latin = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?>\n<configuration>\n  <!-- '),
      Buffer.from([0xe9, 0xfc]),
      Buffer.from(' -->\n</configuration>\n'),
    ]);
    expect(remove(install(latin)).equals(latin)).toBe(true);
    expect(install(latin).includes(Buffer.from([0x20, 0xe9, 0xfc, 0x20]))).toBe(true);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(QLIK_DEFAULT, 'utf16le')]);
    const installed = install(utf16);
    expect(installed.subarray(0, 2).equals(Buffer.from([0xff, 0xfe]))).toBe(true);
    expect(installed.subarray(2).toString('utf16le')).toBe(
      install(Buffer.from(QLIK_DEFAULT)).toString('utf8'),
    );
    expect(remove(installed).equals(utf16)).toBe(true);
  });

  test('refuses what it cannot edit safely, saying what to change', () => {
    const refuse = (text: string | Buffer) => () =>
      editConfigBytes(Buffer.from(text), { action: 'install', options: OPTIONS });
    expect(refuse('<?xml version="1.0"?>\n<log4net>\n</log4net>\n')).toThrow(
      /root element is <log4net>, not <configuration>/,
    );
    expect(refuse(Buffer.from([0x3c, 0x63, 0xff, 0xfe, 0x3e]))).toThrow(EncodingError);
    expect(refuse('<configuration>\n  <appender name="a" type=x />\n</configuration>')).toThrow(
      /the value of type must be in quotes/,
    );
    const twice = `<configuration>\n${'  <logger name="AuditActivity.Proxy"></logger>\n'.repeat(2)}</configuration>`;
    try {
      refuse(twice)();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(XmlScanError);
      expect((error as XmlScanError).position).toEqual({ line: 3, column: 3 });
      expect((error as Error).message).toMatch(/appears twice \(also at 2:3\)/);
    }
    expect(() =>
      editConfigBytes(Buffer.from(QLIK_DEFAULT), { action: 'install', options: { host: '', port: 1 } }),
    ).toThrow(RangeError);
  });
});

describe('remove', () => {
  test('is a no-op when nothing of ours is there', () => {
    const edit = editConfigBytes(Buffer.from(QLIK_DEFAULT), { action: 'remove' });
    expect(edit.changes).toEqual([]);
    expect(edit.bytes.equals(Buffer.from(QLIK_DEFAULT))).toBe(true);
  });

  test('takes a whole appender-xml file down to its header and an empty configuration', () => {
    const out = remove(Buffer.from(OURS_OTHER_PORT)).toString('utf8');
    expect(out).not.toMatch(/<appender|<logger/);
    expect(out.endsWith('<configuration>\n</configuration>\n')).toBe(true);
  });

  test("leaves another collector's refs and the logger's other attributes", () => {
    const out = remove(install(Buffer.from(COMMENTED))).toString('utf8');
    expect(out).toBe(COMMENTED);
    expect(out).toContain('<logger name="AuditActivity.Proxy" additivity="false">');
  });

  test('an empty self-closing proxy logger is opened by install and taken out by remove', () => {
    const file = '<configuration>\n  <logger name="AuditActivity.Proxy" />\n</configuration>\n';
    const installed = install(Buffer.from(file)).toString('utf8');
    expect(installed).toContain(
      '  <logger name="AuditActivity.Proxy" >\n    <appender-ref ref="SenseSidecarSessions" />\n    <appender-ref ref="SenseSidecarConnections" />\n  </logger>',
    );
    expect(remove(Buffer.from(installed)).toString('utf8')).not.toContain('<logger');
  });
});
