/** Byte sizes as operators write them: `16384`, `512KiB`, `8MiB`, `4MB`, `1.5 GiB`. */

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i;

/** Whole bytes, or null when the text is not a size (unknown unit, fraction of a byte, too big). */
export function parseSize(text: string): number | null {
  const match = SIZE.exec(text.trim());
  if (match === null) return null;
  const [, amount, unit] = match;
  const multiplier = unit === undefined ? 1 : UNIT_BYTES[unit.toLowerCase()];
  if (multiplier === undefined) return null;
  const bytes = Number(amount) * multiplier;
  const whole = Math.round(bytes);
  if (!Number.isSafeInteger(whole) || Math.abs(bytes - whole) > 1e-6) return null;
  return whole;
}

/** The shortest exact binary form: 8388608 → `8MiB`, 1500 → `1500B`. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
