/**
 * Bytes of LocalLogConfig.xml to text and back, so that an edit changes only the bytes it means
 * to. Invariant: `encodeText(decodeBytes(b))` is `b` exactly for every file this accepts: a BOM
 * is kept aside and written back, UTF-8 must be valid (else re-encoding would alter it), and a
 * declared single-byte encoding is read as Latin-1, which maps every byte to one character and
 * back; text inserted into such a file must then fit in one byte a character, which `encodeText`
 * checks (what we insert is ASCII apart from a host name).
 */

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'single-byte';

export interface DecodedText {
  readonly text: string;
  readonly encoding: TextEncodingName;
  readonly bom: boolean;
}

export class EncodingError extends Error {
  override readonly name = 'EncodingError';
}

const SINGLE_BYTE = /^(?:iso-8859-\d+|latin-?1|windows-125\d|cp125\d|us-ascii|ascii)$/i;

function declaredEncoding(head: string): string | undefined {
  const match = /^<\?xml[^?]*?\sencoding\s*=\s*(["'])([^"']*)\1/.exec(head);
  return match?.[2];
}

export function decodeBytes(bytes: Uint8Array): DecodedText {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return utf8(b.subarray(3), true);
  if (b[0] === 0xff && b[1] === 0xfe) {
    return { text: b.subarray(2).toString('utf16le'), encoding: 'utf-16le', bom: true };
  }
  if (b[0] === 0xfe && b[1] === 0xff) {
    const swapped = Buffer.from(b.subarray(2));
    if (swapped.length % 2 !== 0) throw new EncodingError('the file is UTF-16 with an odd number of bytes');
    return { text: swapped.swap16().toString('utf16le'), encoding: 'utf-16be', bom: true };
  }
  if (b[0] === 0x3c && b[1] === 0x00) {
    throw new EncodingError('the file looks like UTF-16 without a byte order mark: save it as UTF-8');
  }
  const declared = declaredEncoding(b.subarray(0, 200).toString('latin1'));
  if (declared !== undefined && SINGLE_BYTE.test(declared)) {
    return { text: b.toString('latin1'), encoding: 'single-byte', bom: false };
  }
  if (declared !== undefined && !/^utf-?8$/i.test(declared)) {
    throw new EncodingError(
      `the file declares encoding "${declared}", which this command does not edit: save it as UTF-8`,
    );
  }
  return utf8(b, false);
}

function utf8(b: Buffer, bom: boolean): DecodedText {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b), encoding: 'utf-8', bom };
  } catch {
    throw new EncodingError(
      'the file is not valid UTF-8: declare its encoding in <?xml ... encoding="..."?> or save it as UTF-8',
    );
  }
}

export function encodeText(text: string, as: Pick<DecodedText, 'encoding' | 'bom'>): Buffer {
  switch (as.encoding) {
    case 'utf-8':
      return Buffer.concat([
        as.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
        Buffer.from(text, 'utf8'),
      ]);
    case 'utf-16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf-16be':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
    case 'single-byte':
      // Latin-1 characters above 0x7f came from the file's own bytes; they round-trip. Anything
      // beyond 0xff cannot be written in this encoding.
      for (const ch of text) {
        if ((ch.codePointAt(0) ?? 0) > 0xff)
          throw new EncodingError(`"${ch}" cannot be written in the file's declared single-byte encoding`);
      }
      return Buffer.from(text, 'latin1');
  }
}
