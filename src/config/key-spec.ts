/**
 * What a config key is (its spec) and the units key bounds are written in. Every program's key
 * list is built from these, so the reader, the environment names, the layout check and the
 * reference table treat all keys alike whichever program they belong to.
 */
import type { ValueSchema } from './values.js';

/** What computed defaults may depend on. */
export interface DefaultContext {
  readonly hostname: string;
  /** The node name once known (the host name while `node` itself is being read). */
  readonly node: string;
  /** The system's IANA time zone. */
  readonly timezone: string;
}

export interface KeySpec<T> {
  /** Dotted path, exactly as operators write it: `udp.receiveBufferBytes`. */
  readonly path: string;
  /** One line for the reference table and the example file. */
  readonly description: string;
  /** The default as the reference shows it (in the syntax the key accepts). */
  readonly defaultText: string;
  readonly default: (context: DefaultContext) => T;
  readonly schema: ValueSchema<T>;
  /** The value is a list; from the environment it is comma-separated. */
  readonly list: boolean;
  /** For lists: an empty list means the default rather than "none". */
  readonly emptyMeansDefault: boolean;
}

/** A spec with the list flags defaulted off, so plain keys need not spell them out. */
export function key<T>(
  spec: Omit<KeySpec<T>, 'list' | 'emptyMeansDefault'> & Partial<KeySpec<T>>,
): KeySpec<T> {
  return { list: false, emptyMeansDefault: false, ...spec };
}

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
