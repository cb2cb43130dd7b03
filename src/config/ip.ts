/**
 * IP addresses and CIDRs as 128-bit numbers (four unsigned 32-bit words, most significant first).
 * IPv4 is stored IPv4-mapped (`::ffff:a.b.c.d`), so one comparison covers IPv4, IPv6 and mapped
 * addresses alike, and an IPv4 prefix /n is the mapped prefix /96+n. Parsing is ours (not
 * node:net) because it validates config values with our own messages and refuses forms like
 * `01.2.3.4`; matching senders against the parsed ranges is net.BlockList's (address-filter.ts).
 */

export type Words = readonly [number, number, number, number];

export interface Cidr {
  /** The network with host bits cleared. */
  readonly network: Words;
  /** Prefix length in the 128-bit space (an IPv4 /8 is 104). */
  readonly prefix: number;
  /** The text had bits set after the prefix (`10.0.0.1/8`); `network` has them cleared. */
  readonly hostBitsSet: boolean;
  /** The text as it should have been written: `10.0.0.0/8`. */
  readonly canonical: string;
}

const OCTET = /^(?:0|[1-9]\d{0,2})$/;
const HEXTET = /^[0-9a-f]{1,4}$/i;

function parseIpv4Word(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let word = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    word = word * 256 + octet;
  }
  return word;
}

function parseIpv6(text: string): Words | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups: number[][] = [];
  for (const [h, half] of halves.entries()) {
    const values: number[] = [];
    const parts = half === '' ? [] : half.split(':');
    const lastHalf = h === halves.length - 1;
    for (const [i, part] of parts.entries()) {
      if (HEXTET.test(part)) {
        values.push(Number.parseInt(part, 16));
      } else if (lastHalf && i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4Word(part);
        if (v4 === null) return null;
        values.push(Math.floor(v4 / 65536), v4 % 65536);
      } else {
        return null;
      }
    }
    groups.push(values);
  }
  const head = groups[0] ?? [];
  const tail = groups[1] ?? [];
  let all: number[];
  if (halves.length === 1) {
    if (head.length !== 8) return null;
    all = head;
  } else {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  const word = (i: number): number => (all[2 * i] ?? 0) * 65536 + (all[2 * i + 1] ?? 0);
  return [word(0), word(1), word(2), word(3)];
}

/** An IPv4 or IPv6 address (IPv6 may carry a zone, `fe80::1%eth0`, which is ignored). */
export function parseIp(text: string): Words | null {
  if (text.includes(':')) {
    const zone = text.indexOf('%');
    return parseIpv6(zone === -1 ? text : text.slice(0, zone));
  }
  const v4 = parseIpv4Word(text);
  return v4 === null ? null : [0, 0, 0xffff, v4];
}

function maskWord(prefix: number, index: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * index));
  return bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** Masks for each word of a 128-bit prefix. */
function prefixMask(prefix: number): Words {
  return [maskWord(prefix, 0), maskWord(prefix, 1), maskWord(prefix, 2), maskWord(prefix, 3)];
}

function formatIpv4(word: number): string {
  return [word >>> 24, (word >>> 16) & 255, (word >>> 8) & 255, word & 255].join('.');
}

/** RFC 5952 text of a 128-bit address (mapped IPv4 comes out as `::ffff:a00:1`). */
export function formatIpv6(words: Words): string {
  const groups = words.flatMap((w) => [w >>> 16, w & 0xffff]);
  // Compress the longest run of two or more zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  if (addressText.includes('%')) return null;
  const address = parseIp(addressText);
  if (address === null) return null;
  const isV4 = !addressText.includes(':');
  const width = isV4 ? 32 : 128;
  let length = width;
  if (slash !== -1) {
    const lengthText = text.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(lengthText)) return null;
    length = Number(lengthText);
    if (length > width) return null;
  }
  const prefix = isV4 ? 96 + length : length;
  const mask = prefixMask(prefix);
  const network: Words = [
    (address[0] & mask[0]) >>> 0,
    (address[1] & mask[1]) >>> 0,
    (address[2] & mask[2]) >>> 0,
    (address[3] & mask[3]) >>> 0,
  ];
  const hostBitsSet = network.some((word, i) => word !== address[i]);
  const canonical = `${isV4 ? formatIpv4(network[3]) : formatIpv6(network)}/${length}`;
  return { network, prefix, hostBitsSet, canonical };
}
