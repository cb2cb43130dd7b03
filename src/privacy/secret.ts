import { createSecretKey, type KeyObject } from 'node:crypto';
import type { SidecarConfig } from '../config/types.js';

/** Shortest key accepted: 16 bytes (128 bits). */
export const MIN_PRIVACY_SECRET_BYTES = 16;

export interface PrivacySecret {
  /** The HMAC key; null when privacy mode is off or there is a problem. */
  readonly key: KeyObject | null;
  /** Every problem, one line each, naming the key and never the secret; empty when all is well. */
  readonly problems: readonly string[];
}

/** Reads a file's bytes (fs/promises readFile, or a fake in tests). */
export type SecretFileReader = (path: string) => Promise<Uint8Array | string> | Uint8Array | string;

/**
 * The privacy key from `privacy.secret` (usually SENSE_SIDECAR_PRIVACY_SECRET) or
 * `privacy.secretFile`, only when `privacy.hashUsers` is on (otherwise nothing is read).
 *
 * - A file's trailing line breaks are removed (`echo key > file` writes one), nothing else: the
 *   same key must give the same bytes on every node, whichever way it is configured.
 * - Problems: hashUsers on without a secret, both secret and secretFile set, an unreadable or
 *   empty file, a key shorter than 16 bytes. The messages give lengths, never the secret.
 * - The key comes back as a KeyObject, which prints no key material if it is ever logged.
 */
export async function loadPrivacySecret(
  privacy: SidecarConfig['privacy'],
  readFile: SecretFileReader,
): Promise<PrivacySecret> {
  if (!privacy.hashUsers) return { key: null, problems: [] };
  const hasSecret = privacy.secret !== '';
  const hasFile = privacy.secretFile !== '';
  if (!hasSecret && !hasFile) {
    return {
      key: null,
      problems: [
        'privacy.hashUsers: is true but no key is set; set privacy.secretFile or SENSE_SIDECAR_PRIVACY_SECRET (the same key on every node)',
      ],
    };
  }
  if (hasSecret && hasFile) {
    return {
      key: null,
      problems: ['privacy.secret: is set and so is privacy.secretFile; set only one of them'],
    };
  }

  let bytes: Buffer;
  let where: string;
  if (hasFile) {
    where = 'privacy.secretFile';
    try {
      bytes = trimLineBreaks(toBuffer(await readFile(privacy.secretFile)));
    } catch (error) {
      return { key: null, problems: [`${where}: cannot read ${privacy.secretFile}: ${reasonOf(error)}`] };
    }
    if (bytes.length === 0) return { key: null, problems: [`${where}: ${privacy.secretFile} is empty`] };
  } else {
    where = 'privacy.secret';
    bytes = Buffer.from(privacy.secret, 'utf8');
  }
  if (bytes.length < MIN_PRIVACY_SECRET_BYTES) {
    return {
      key: null,
      problems: [
        `${where}: the key is ${bytes.length} byte${bytes.length === 1 ? '' : 's'}; at least ${MIN_PRIVACY_SECRET_BYTES} are required (e.g. openssl rand -hex 32)`,
      ],
    };
  }
  return { key: createSecretKey(bytes), problems: [] };
}

function toBuffer(content: Uint8Array | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
}

const CR = 0x0d;
const LF = 0x0a;

function trimLineBreaks(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === LF || bytes[end - 1] === CR)) end--;
  return end === bytes.length ? bytes : bytes.subarray(0, end);
}

/** Node's fs messages give the code and the path (`ENOENT: no such file or directory, open '…'`). */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
