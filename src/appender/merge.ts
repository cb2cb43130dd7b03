/**
 * Install and remove our two UDP appenders and our logger's appender-refs in an existing
 * LocalLogConfig.xml, as text edits: nothing outside what we add, change or take out moves.
 *
 * Invariants:
 * - Our elements are found by name (our appender names, the AuditActivity.Proxy logger, appender-refs
 *   to our names), only as children of the root <configuration>, never by position.
 * - An existing AuditActivity.Proxy logger (another collector's) gets our appender-refs added to
 *   it: a second <logger> of the same name would not do, because log4net removes a logger's
 *   appenders each time it configures that logger, so only the last element's refs would count.
 * - install is idempotent (a second run makes no edit) and remove undoes install byte for byte.
 *   One exception, by necessity: an empty self-closing AuditActivity.Proxy logger that install
 *   had to open is taken out whole by remove (it did nothing either way).
 * - Problems in the file are XmlScanErrors with the offset of the element to change.
 */
import {
  APPENDERS,
  type AppenderSpec,
  type AppenderXmlOptions,
  LOGGER_NAME,
  appenderElementLines,
  checkAppenderOptions,
  escapeXmlAttribute,
} from './appender-xml.js';
import {
  type TextEdit,
  applyEdits,
  childIndentOf,
  indentBefore,
  indentUnitOf,
  lineEndingOf,
  linesToInsert,
  removalOf,
} from './text-edits.js';
import {
  type XmlDocument,
  type XmlElement,
  XmlScanError,
  attributeOf,
  childElements,
  positionAt,
  scanXml,
} from './xml-scan.js';

export interface MergeResult {
  readonly text: string;
  /** What changed, one sentence each; empty when the file already was as asked. */
  readonly changes: readonly string[];
}

const MANAGED_COMMENT = (spec: AppenderSpec): string =>
  `<!-- sense-sidecar: ${spec.comment} Managed by "sense-sidecar appender install|remove". -->`;

function located(doc: XmlDocument, offset: number, message: string): XmlScanError {
  return new XmlScanError(message, offset, positionAt(doc.text, offset));
}

function where(doc: XmlDocument, offset: number): string {
  const at = positionAt(doc.text, offset);
  return `${at.line}:${at.column}`;
}

function configurationRoot(doc: XmlDocument): XmlElement {
  const { root } = doc;
  if (root.name !== 'configuration') {
    throw located(
      doc,
      root.start,
      `the root element is <${root.name}>, not <configuration>: this is not a log4net LocalLogConfig.xml (give the right --file)`,
    );
  }
  if (root.selfClosing) {
    throw located(
      doc,
      root.start,
      'the root is an empty <configuration/>: write it as <configuration></configuration>',
    );
  }
  return root;
}

function named(parent: XmlElement, element: string, attribute: string, value: string): XmlElement[] {
  return childElements(parent).filter(
    (e) => e.name === element && attributeOf(e, attribute)?.value === value,
  );
}

function single(doc: XmlDocument, found: XmlElement[], what: string, why: string): XmlElement | undefined {
  const [first, second] = found;
  if (first !== undefined && second !== undefined) {
    throw located(doc, second.start, `${what} appears twice (also at ${where(doc, first.start)}): ${why}`);
  }
  return first;
}

/** What an element means to log4net: names, attributes and content, without comments or layout. */
function shapeOf(text: string, element: XmlElement): string {
  const walk = (e: XmlElement): unknown => [
    e.name,
    [...e.attributes].map((a) => [a.name, a.value]).sort(([a], [b]) => String(a).localeCompare(String(b))),
    e.children.flatMap((n) => {
      if (n.kind === 'element') return [walk(n)];
      if (n.kind === 'text' || n.kind === 'cdata') {
        const raw = text.slice(n.start, n.end).trim();
        return raw === '' ? [] : [raw];
      }
      return [];
    }),
  ];
  return JSON.stringify(walk(element));
}

function canonicalShape(spec: AppenderSpec, host: string, port: number): string {
  const text = appenderElementLines(spec, escapeXmlAttribute(host), port, []).join('\n');
  return shapeOf(text, scanXml(text).root);
}

function param(element: XmlElement, name: string): XmlElement | undefined {
  return childElements(element).find((e) => e.name === 'param' && attributeOf(e, 'name')?.value === name);
}

/** Adds our appenders and appender-refs, or brings them to `options`; see the file header. */
export function installAppenders(doc: XmlDocument, options: AppenderXmlOptions): MergeResult {
  const { host, port } = checkAppenderOptions(options);
  const { text } = doc;
  const root = configurationRoot(doc);
  const nl = lineEndingOf(text);
  const unit = indentUnitOf(text, root);
  const rootChildIndent = childIndentOf(text, root, unit);
  const edits: TextEdit[] = [];
  const changes: string[] = [];

  const appenders = childElements(root).filter((e) => e.name === 'appender');
  const appenderAnchor = appenders.at(-1)?.end ?? root.startTagEnd;
  for (const spec of APPENDERS) {
    const found = single(
      doc,
      named(root, 'appender', 'name', spec.name),
      `appender "${spec.name}"`,
      'keep one (log4net would use only one of them)',
    );
    const lines = appenderElementLines(spec, escapeXmlAttribute(host), port, [MANAGED_COMMENT(spec)]);
    if (found === undefined) {
      edits.push({ at: appenderAnchor, remove: 0, insert: linesToInsert(lines, nl, rootChildIndent, unit) });
      changes.push(`added appender ${spec.name} (UDP to ${host}:${port})`);
      continue;
    }
    const shape = shapeOf(text, found);
    if (shape === canonicalShape(spec, host, port)) continue;
    const address = attributeOf(param(found, 'remoteAddress') ?? found, 'value');
    const portValue = attributeOf(param(found, 'remotePort') ?? found, 'value');
    const sameButAddress =
      address !== undefined &&
      portValue !== undefined &&
      /^\d{1,5}$/.test(portValue.value) &&
      shape === canonicalShape(spec, address.value, Number(portValue.value));
    if (sameButAddress) {
      for (const [attr, value, what] of [
        [address, host, 'remoteAddress'],
        [portValue, String(port), 'remotePort'],
      ] as const) {
        if (attr.value === value) continue;
        edits.push({
          at: attr.valueStart,
          remove: attr.valueEnd - attr.valueStart,
          insert: escapeXmlAttribute(value),
        });
        changes.push(`set ${what} of appender ${spec.name} to ${value} (was ${attr.value})`);
      }
    } else {
      // Ours by name but not as this version writes it (filters, layout): rewrite the element.
      const indent = indentBefore(text, found.start) ?? '';
      const replacement = linesToInsert(lines, nl, indent, unit).slice(nl.length + indent.length);
      edits.push({ at: found.start, remove: found.end - found.start, insert: replacement });
      changes.push(
        `rewrote appender ${spec.name} at ${where(doc, found.start)}: it differed from this version's in more than host and port`,
      );
    }
  }

  const logger = single(
    doc,
    named(root, 'logger', 'name', LOGGER_NAME),
    `logger "${LOGGER_NAME}"`,
    'log4net keeps only the appenders of the last one: move their appender-refs into one',
  );
  const refLine = (spec: AppenderSpec): string => `<appender-ref ref="${spec.name}" />`;
  if (logger === undefined) {
    const loggers = childElements(root).filter((e) => e.name === 'logger');
    const anchor = loggers.at(-1)?.end ?? childElements(root).at(-1)?.end ?? root.startTagEnd;
    const lines = [`<logger name="${LOGGER_NAME}">`, ...APPENDERS.map((s) => `  ${refLine(s)}`), '</logger>'];
    edits.push({ at: anchor, remove: 0, insert: linesToInsert(lines, nl, rootChildIndent, unit) });
    changes.push(`added logger ${LOGGER_NAME} with appender-refs ${APPENDERS.map((s) => s.name).join(', ')}`);
  } else {
    const missing = APPENDERS.filter((s) => named(logger, 'appender-ref', 'ref', s.name).length === 0);
    if (missing.length > 0) {
      const refs = missing.map(refLine);
      const loggerIndent = indentBefore(text, logger.start) ?? '';
      if (logger.selfClosing) {
        const close = text.lastIndexOf('/>', logger.end);
        const inner = linesToInsert(refs, nl, loggerIndent + unit, unit);
        edits.push({ at: close, remove: 2, insert: `>${inner}${nl}${loggerIndent}</logger>` });
      } else {
        const children = childElements(logger);
        const lastRef = children.filter((e) => e.name === 'appender-ref').at(-1);
        const anchor = lastRef?.end ?? children.at(-1)?.end ?? logger.startTagEnd;
        edits.push({
          at: anchor,
          remove: 0,
          insert: linesToInsert(refs, nl, childIndentOf(text, logger, unit), unit),
        });
      }
      changes.push(
        `added appender-refs ${missing.map((s) => s.name).join(', ')} to the existing logger ${LOGGER_NAME} at ${where(doc, logger.start)}`,
      );
    }
  }
  return { text: applyEdits(text, edits), changes };
}

/** Takes out what install adds (see the file header) and nothing else. */
export function removeAppenders(doc: XmlDocument): MergeResult {
  const { text } = doc;
  const root = configurationRoot(doc);
  const ours = new Set(APPENDERS.map((s) => s.name));
  const edits: TextEdit[] = [];
  const changes: string[] = [];

  root.children.forEach((node, i) => {
    if (node.kind !== 'element') return;
    const name = attributeOf(node, 'name')?.value ?? '';
    if (node.name === 'appender' && ours.has(name)) {
      edits.push(removalOf(text, node));
      changes.push(`removed appender ${name} at ${where(doc, node.start)}`);
      // The comment `appender-xml` writes before each appender goes with it.
      const spec = APPENDERS.find((s) => s.name === name);
      const before = root.children
        .slice(0, i)
        .filter((n) => n.kind !== 'text' || text.slice(n.start, n.end).trim() !== '');
      const comment = before.at(-1);
      if (
        comment?.kind === 'comment' &&
        spec !== undefined &&
        text.slice(comment.start, comment.end) === `<!-- ${spec.comment} -->`
      ) {
        edits.push(removalOf(text, comment));
      }
      return;
    }
    if (node.name !== 'logger' && node.name !== 'root') return;
    const refs = childElements(node).filter(
      (e) => e.name === 'appender-ref' && ours.has(attributeOf(e, 'ref')?.value ?? ''),
    );
    if (refs.length === 0) return;
    const others = node.children.filter(
      (n) =>
        !refs.includes(n as XmlElement) && (n.kind !== 'text' || text.slice(n.start, n.end).trim() !== ''),
    );
    const label = node.name === 'root' ? '<root>' : `logger ${name}`;
    if (
      node.name === 'logger' &&
      name === LOGGER_NAME &&
      others.length === 0 &&
      node.attributes.length === 1
    ) {
      edits.push(removalOf(text, node));
      changes.push(`removed ${label} at ${where(doc, node.start)} (it held only our appender-refs)`);
      return;
    }
    for (const ref of refs) edits.push(removalOf(text, ref));
    changes.push(
      `removed appender-refs ${refs.map((r) => attributeOf(r, 'ref')?.value ?? '').join(', ')} from ${label} at ${where(doc, node.start)}`,
    );
  });
  return { text: applyEdits(text, edits), changes };
}
