/**
 * How the runner writes times and filters back to the operator: in the test file's own syntax,
 * so a line of output can be pasted into a test (`{rule: leaver-login, key: 'CORP\jdoe', at: 2m}`).
 */

const UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** An offset as a duration the test format reads back: `0s`, `50s`, `1m30s`, `35m10s`, `1d2h`. */
export function formatOffset(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  let text = '';
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(rest / size);
    if (amount === 0) continue;
    text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return sign + text;
}

/** Text that YAML reads back as the same string without quotes (in a flow mapping, too). */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** A YAML scalar for `text`: plain when safe, else single-quoted (where a backslash is literal). */
export function yamlText(text: string): string {
  if (PLAIN.test(text) && !/^(true|false|null|yes|no|on|off|~)$/i.test(text) && !/^[0-9.]+$/.test(text)) {
    return text;
  }
  return `'${text.replace(/'/g, "''")}'`;
}

/** `{a: x, b: 'y z'}` from pairs whose values are already YAML. */
export function flowMapping(pairs: readonly (readonly [string, string])[]): string {
  return `{${pairs.map(([key, value]) => `${key}: ${value}`).join(', ')}}`;
}

export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}
