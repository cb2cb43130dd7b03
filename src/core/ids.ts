import { randomFillSync } from 'node:crypto';

/**
 * ULID-style ids: 48 bits of time then 80 bits that count up within a millisecond, in Crockford
 * base32. Sortable by creation, unique across restarts and nodes, and assigned once per record
 * so a re-send carries the same id (CloudEvents `id`, `Nats-Msg-Id`).
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type IdGenerator = () => string;

/**
 * Random bytes served from a pool refilled 4 KiB at a time: one call into the system's
 * generator per ~400 ids instead of one per millisecond that has ids.
 */
export function pooledRandom(poolBytes = 4096): (n: number) => Uint8Array {
  const pool = new Uint8Array(poolBytes);
  let offset = poolBytes;
  return (n) => {
    if (n > poolBytes) return randomFillSync(new Uint8Array(n));
    if (offset + n > poolBytes) {
      randomFillSync(pool);
      offset = 0;
    }
    const out = pool.slice(offset, offset + n);
    offset += n;
    return out;
  };
}

export function createIdGenerator(
  now: () => number,
  random: (n: number) => Uint8Array = pooledRandom(),
): IdGenerator {
  let lastTime = -1;
  // 80 bits as five 16-bit words; incremented within one millisecond to stay monotonic.
  const tail = new Uint16Array(5);
  return () => {
    let time = now();
    if (time <= lastTime) {
      time = lastTime;
      increment(tail);
    } else {
      lastTime = time;
      const bytes = random(10);
      for (let i = 0; i < 5; i++) tail[i] = ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0);
      // Keep the top bit clear so many increments within one ms cannot overflow.
      tail[0] = (tail[0] ?? 0) & 0x7fff;
    }
    return encodeTime(time) + encodeTail(tail);
  };
}

function increment(words: Uint16Array): void {
  for (let i = words.length - 1; i >= 0; i--) {
    const next = ((words[i] ?? 0) + 1) & 0xffff;
    words[i] = next;
    if (next !== 0) return;
  }
}

function encodeTime(time: number): string {
  let out = '';
  let rest = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeTail(words: Uint16Array): string {
  // 80 bits → 16 base32 characters, taking 5 bits at a time from the most significant end.
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const word of words) {
    buffer = (buffer << 16) | word;
    bits += 16;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET.charAt((buffer >>> bits) & 31);
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}
