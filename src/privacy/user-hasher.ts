import { userKeyOf } from '../core/events.js';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { UserRef } from '../core/events.js';

/**
 * Privacy mode (`privacy.hashUsers`): user directory and id are replaced by a keyed hash before
 * anything leaves the node. Every node configured with the same key gives the same user the
 * same hash, so the cluster aggregate still counts distinct users, sessions per user, and so on,
 * without ever seeing a name. Without the key the hash cannot be reversed by trying names.
 *
 * The hash (the contract; compute it elsewhere with any HMAC-SHA256):
 *
 *     directory → "h:" + first 32 hex digits of HMAC-SHA256(key, "directory:" + lower(DIRECTORY))
 *     id        → "h:" + first 32 hex digits of HMAC-SHA256(key, "user:" + lower(DIRECTORY + "\" + ID))
 *
 * over the UTF-8 bytes, where lower is JavaScript's `toLowerCase()` (Unicode default case
 * mapping, no locale). Qlik user names are case-insensitive, so `CORP\JDoe` and `corp\jdoe`
 * hash alike, exactly as live state already counts them as one user (`userKeyOf`). The id's
 * hash covers the directory too: `CORP\jdoe` and `TEST\jdoe` are different people. The
 * `directory:` and `user:` labels keep the two kinds of hash apart. 32 hex digits are 128 bits:
 * collisions are out of reach for any user population.
 *
 * Example: with the key `0123456789abcdef`, `hashUser({directory: 'CORP', id: 'jdoe'})` is
 * `HMAC-SHA256("0123456789abcdef", "user:corp\jdoe")` cut to 32 digits, behind `h:`.
 */

export const HASH_PREFIX = 'h:';
/** Hex digits of the HMAC kept: 128 bits. */
export const HASH_HEX_DIGITS = 32;
export const DEFAULT_USER_HASH_CACHE_SIZE = 10_000;

export interface UserHasher {
  /** `{ directory: hash of the directory, id: hash of DIRECTORY\id }`; the same object for a repeated user. */
  hashUser(user: UserRef): UserRef;
  /** The directory part of hashUser alone. */
  hashDirectory(directory: string): string;
  /**
   * 32 hex digits (no prefix) of HMAC-SHA256(key, `<domain>:<value>`), for other identifiers that
   * must be replaced consistently (e.g. an alert id derived from a user name). Not memoised.
   */
  hashToken(domain: string, value: string): string;
}

export interface UserHasherOptions {
  /** Users whose hashes are memoised, least recently used evicted first (default 10,000). */
  readonly cacheSize?: number;
}

/**
 * A hasher keyed by `secret` (the bytes of a string are its UTF-8 encoding). The key is held
 * as a KeyObject inside the closure: it is never part of what the hasher prints or serialises.
 */
export function createUserHasher(
  secret: string | Uint8Array | KeyObject,
  options: UserHasherOptions = {},
): UserHasher {
  const key = keyOf(secret);
  const cacheSize = options.cacheSize ?? DEFAULT_USER_HASH_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new RangeError(`user hash cache size must be a non-negative integer, got ${String(cacheSize)}`);
  }
  const cache = new Map<string, UserRef>();
  const mac = (text: string): string => createHmac('sha256', key).update(text, 'utf8').digest('hex');
  const hashDirectory = (directory: string): string =>
    HASH_PREFIX + mac(`directory:${directory.toLowerCase()}`).slice(0, HASH_HEX_DIGITS);

  return {
    hashUser(user) {
      const userKey = userKeyOf(user);
      const cached = cache.get(userKey);
      if (cached !== undefined) {
        // Refresh: a Map iterates in insertion order, so the first key is the least recently used.
        cache.delete(userKey);
        cache.set(userKey, cached);
        return cached;
      }
      const hashed: UserRef = Object.freeze({
        directory: hashDirectory(user.directory),
        id: HASH_PREFIX + mac(`user:${userKey}`).slice(0, HASH_HEX_DIGITS),
      });
      if (cacheSize > 0) {
        if (cache.size >= cacheSize) {
          const oldest = cache.keys().next();
          if (oldest.done !== true) cache.delete(oldest.value);
        }
        cache.set(userKey, hashed);
      }
      return hashed;
    },
    hashDirectory,
    hashToken(domain, value) {
      return mac(`${domain}:${value}`).slice(0, HASH_HEX_DIGITS);
    },
  };
}

function keyOf(secret: string | Uint8Array | KeyObject): KeyObject {
  if (typeof secret === 'string' || secret instanceof Uint8Array) {
    const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
    if (bytes.length === 0) throw new RangeError('the privacy key is empty');
    return createSecretKey(bytes);
  }
  if (secret.type !== 'secret') throw new TypeError('the privacy key must be a secret key');
  return secret;
}
