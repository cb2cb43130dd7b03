/** A command-line mistake: the message says what to change; the command exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Strict decimal integers only: `1e3`, `0x10`, `12abc` and `` are mistakes, not numbers. */
export function parseIntegerArg(option: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${option} must be an integer from ${min} to ${max} (got "${text}")`);
  }
  return value;
}

/** A non-negative decimal number such as `60` or `0.5`. */
export function parseNonNegativeArg(option: string, text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isFinite(value)) throw new UsageError(`--${option} must be a number >= 0 (got "${text}")`);
  return value;
}

/** `SENSE-NODE1,SENSE-NODE2` → names, trimmed, without empty entries. */
export function parseListArg(option: string, text: string): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0)
    throw new UsageError(`--${option} must name at least one entry, separated by commas`);
  return items;
}

/** Messages of node:util parseArgs errors (unknown option, missing value) as usage errors. */
export function isParseArgsError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('ERR_PARSE_ARGS_')
  );
}
