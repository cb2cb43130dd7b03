import type { AlertRecord } from '../types.js';
import { facts, type Origin, oneLine, title } from './notice-text.js';

/**
 * The e-mail of one notice (RFC 5322 text, CRLF line ends, before SMTP dot-stuffing). Pure: the
 * date and the notice are arguments. The Message-ID is derived from the notice and receiver, so
 * a re-sent copy (after a crash at the wrong moment) has the same id and mail clients show it
 * once; References ties the firing and resolved mails of one alert into one thread.
 */

export interface EmailEnvelope {
  readonly from: string;
  readonly to: readonly string[];
  readonly receiver: string;
}

const DOMAIN = 'sense-aggregator';

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
function headerText(text: string): string {
  const line = oneLine(text);

  if (/^[\u0020-\u007e]*$/.test(line)) return line;
  return `=?UTF-8?B?${Buffer.from(line, 'utf8').toString('base64')}?=`;
}

/** A message-id local part from any text: what RFC 5322 allows in a dot-atom. */
function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '_').replace(/^\.+|\.+$/g, '_');
}

export function emailBodyText(notice: AlertRecord, origin: Origin): string {
  const lines = [title(notice, origin), '', notice.message === '' ? '(no message)' : notice.message, ''];
  for (const [k, v] of facts(notice, origin)) lines.push(`${k}: ${v}`);
  lines.push(
    '',
    `Alert ${oneLine(notice.alertId)}, notice ${oneLine(notice.id)}.`,
    '-- ',
    'Sent by the Sense aggregator.',
  );
  return lines.join('\n');
}

export function emailMessage(
  notice: AlertRecord,
  origin: Origin,
  envelope: EmailEnvelope,
  date: Date,
): string {
  const body = emailBodyText(notice, origin).replace(/\r?\n/g, '\r\n');
  // Plain ASCII with short lines goes as it is; anything else as base64 (no 8BITMIME needed).

  const plain = /^[\u0020-\u007e\r\n]*$/.test(body) && body.split('\r\n').every((l) => l.length <= 998);
  const encoded = plain
    ? body
    : (
        Buffer.from(body, 'utf8')
          .toString('base64')
          .match(/.{1,76}/g) ?? []
      ).join('\r\n');
  const headers = [
    `From: ${envelope.from}`,
    `To: ${envelope.to.join(', ')}`,
    `Subject: ${headerText(title(notice, origin))}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${idPart(notice.id)}.${idPart(envelope.receiver)}@${DOMAIN}>`,
    `References: <${idPart(notice.alertId)}@${DOMAIN}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${plain ? '7bit' : 'base64'}`,
    'Auto-Submitted: auto-generated',
    `X-Sense-Alert-Id: ${headerText(notice.alertId)}`,
    `X-Sense-Alert-Status: ${notice.status}`,
  ];
  return `${headers.join('\r\n')}\r\n\r\n${encoded}\r\n`;
}
