/**
 * The whole pure path from a file's bytes to its new bytes: decode, scan, merge, encode back in
 * the file's own encoding and byte order mark. Throws XmlScanError, EncodingError or RangeError
 * (bad host or port) before anything could be written.
 */
import type { AppenderXmlOptions } from './appender-xml.js';
import { type MergeResult, installAppenders, removeAppenders } from './merge.js';
import { decodeBytes, encodeText } from './text-encoding.js';
import { scanXml } from './xml-scan.js';

export interface ConfigEdit extends MergeResult {
  /** The text before the edit (decoded, without a BOM), for a diff. */
  readonly before: string;
  readonly bytes: Buffer;
}

export type AppenderAction = { action: 'install'; options: AppenderXmlOptions } | { action: 'remove' };

export function editConfigBytes(bytes: Uint8Array, what: AppenderAction): ConfigEdit {
  const decoded = decodeBytes(bytes);
  const doc = scanXml(decoded.text);
  const result = what.action === 'install' ? installAppenders(doc, what.options) : removeAppenders(doc);
  return { ...result, before: decoded.text, bytes: encodeText(result.text, decoded) };
}
