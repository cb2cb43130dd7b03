import Bowser, { type BrowserDetails, type OSDetails } from 'bowser';
import type { UserAgentInfo } from '../core/events.js';

/**
 * User agent parsing. Bowser costs ~15 µs a string, about ten times a whole decode, while a site
 * has only a few distinct user agents, so parses are memoised in a small LRU. The cache is bounded
 * so that a sender spraying distinct strings costs CPU, never memory.
 */

export const DEFAULT_USER_AGENT_CACHE_SIZE = 512;

export type UserAgentParser = (raw: string) => UserAgentInfo;

function unknownParts(raw: string): UserAgentInfo {
  return Object.freeze({ raw, browser: null, browserVersion: null, os: null, osVersion: null });
}

function orNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/**
 * What bowser can tell from `raw`; unknown parts are null. `raw` is expected to be normalised
 * already (no control characters, capped), which also bounds bowser's regex work.
 * `osVersion` is bowser's `os.version` as it reports it (`NT 10.0` for Windows 10 and 11,
 * `10.15.7` for macOS, `17.2` for iOS), not the marketing name.
 */
export function parseUserAgent(raw: string): UserAgentInfo {
  // Bowser throws for an empty string; that is the only input it documents as throwing.
  if (raw === '') return unknownParts(raw);
  let browser: BrowserDetails;
  let os: OSDetails;
  try {
    // skipParsing: only the browser and OS are parsed; engine and platform detection are not needed.
    const parser = Bowser.getParser(raw, true);
    browser = parser.getBrowser();
    os = parser.getOS();
  } catch {
    // Third-party code on untrusted text: decode must not throw, and an unparseable user agent
    // is still reported (raw kept, parts unknown) rather than failing the whole event.
    return unknownParts(raw);
  }
  // Frozen because a memoised result is shared by every event with the same user agent.
  return Object.freeze({
    raw,
    browser: orNull(browser.name),
    browserVersion: orNull(browser.version),
    os: orNull(os.name),
    osVersion: orNull(os.version),
  });
}

/**
 * `parseUserAgent` behind an LRU of at most `cacheSize` entries (0 disables the memo). A hit
 * returns the very same frozen object as the first parse, so output depends only on input.
 */
export function createUserAgentParser(cacheSize: number = DEFAULT_USER_AGENT_CACHE_SIZE): UserAgentParser {
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    throw new RangeError(`userAgentCacheSize must be a non-negative integer, got ${String(cacheSize)}`);
  }
  if (cacheSize === 0) return parseUserAgent;
  // A Map iterates in insertion order: re-inserting on a hit keeps the least recently used first.
  const cache = new Map<string, UserAgentInfo>();
  // The most recently used entry, always the newest in `cache`. Comparing a fresh string to it is
  // cheaper than hashing it, and one browser usually sends several events in a row.
  let lastRaw: string | null = null;
  let lastInfo: UserAgentInfo | null = null;
  return (raw) => {
    if (raw === lastRaw && lastInfo !== null) return lastInfo;
    let info = cache.get(raw);
    if (info !== undefined) {
      cache.delete(raw);
    } else {
      info = parseUserAgent(raw);
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
    }
    cache.set(raw, info);
    lastRaw = raw;
    lastInfo = info;
    return info;
  };
}
