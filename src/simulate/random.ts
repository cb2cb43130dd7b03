/**
 * Seeded randomness for the simulator. Everything the simulator generates must be reproducible
 * from `--seed`, so nothing here touches `Math.random`.
 */

/** A source of floats in [0, 1). */
export type RandomSource = () => number;

/**
 * mulberry32: 32 bits of state, fast, good enough for test data (not for anything secret).
 * The same seed always yields the same sequence on every platform, because it only uses
 * 32-bit integer arithmetic.
 */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes integers into one 32-bit seed, so that independent streams (per user, per cycle) can be
 * derived from the run's seed without consuming from a shared sequence: a stream then does not
 * change when an unrelated stream draws more or fewer numbers.
 */
export function hashSeed(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

export class Rng {
  private readonly source: RandomSource;

  constructor(seed: number) {
    this.source = mulberry32(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.source();
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.source() * (max - min + 1));
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + this.source() * (max - min);
  }

  chance(probability: number): boolean {
    return this.source() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.source() * items.length)];
    if (item === undefined) throw new RangeError('cannot pick from an empty list');
    return item;
  }

  /** Picks by relative weight; weights must be non-negative with a positive sum. */
  weighted<T>(items: readonly T[], weightOf: (item: T) => number): T {
    let total = 0;
    for (const item of items) total += weightOf(item);
    let remaining = this.source() * total;
    for (const item of items) {
      remaining -= weightOf(item);
      if (remaining < 0) return item;
    }
    // Only reachable through float rounding at the upper end: the last item with weight wins.
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (item !== undefined && weightOf(item) > 0) return item;
    }
    throw new RangeError('cannot pick from a list without positive weights');
  }

  /** A random (version 4 layout) GUID in lower case, as Qlik prints app ids. */
  guid(): string {
    const hex = (n: number): string => {
      let out = '';
      for (let i = 0; i < n; i++) out += Math.floor(this.source() * 16).toString(16);
      return out;
    };
    const variant = (8 + Math.floor(this.source() * 4)).toString(16);
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
  }
}
