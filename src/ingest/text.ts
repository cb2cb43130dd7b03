/**
 * String helpers for untrusted datagram text. Every function here is linear in its input (or
 * bounded by its cap), returns its input when there is nothing to change, and never throws.
 *
 * "Control character" means C0 (U+0000..U+001F, which includes TAB, CR and LF), DEL (U+007F) and
 * C1 (U+0080..U+009F). Lengths and caps count UTF-16 code units (JavaScript `length`); a cap never
 * splits a surrogate pair, so a capped string may be one unit shorter than the cap.
 */

function isControlCode(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

// One character class, no quantifier: a linear scan that cannot backtrack. Not global, so
// test() keeps no lastIndex state between calls.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Index of the first control character in `text` in [from, end), or -1. */
function indexOfControl(text: string, from: number, end = text.length): number {
  for (let i = from; i < end; i++) {
    if (isControlCode(text.charCodeAt(i))) return i;
  }
  return -1;
}

/** At most `max` UTF-16 code units of `text`, cut before a surrogate pair rather than inside it. */
function capChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

/**
 * Whether String.prototype.trim removes this code unit: ECMAScript WhiteSpace (TAB, VT, FF, SP,
 * NBSP, ZWNBSP and the other Unicode Zs characters) and LineTerminator (LF, CR, LS, PS).
 */
function isTrimSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * The normalisation every decoded field goes through: strip control characters, trim
 * surrounding whitespace (what String.prototype.trim removes), cap to `max`, and trim the end
 * again so a cut never leaves trailing whitespace. Idempotent.
 *
 * It is computed without materialising the stripped text: after the leading junk, at most `max`
 * kept code units (plus the controls among them) are read, so a 16 KB message costs the same
 * as a 4 KB one. Input is decoded text (no lone surrogates), which is what makes dropping a
 * high surrogate at the cut equal to `capChars`.
 */
export function normaliseField(text: string, max: number): string {
  // Fast path for the usual field: a native scan beats the loop below about threefold.
  if (text.length <= max && !CONTROL.test(text)) return text.trim();
  const length = text.length;
  let start = 0;
  while (start < length) {
    const code = text.charCodeAt(start);
    if (!isControlCode(code) && !isTrimSpace(code)) break;
    start++;
  }
  let kept = '';
  let runStart = start;
  let budget = max;
  let i = start;
  for (; i < length && i - runStart < budget; i++) {
    if (isControlCode(text.charCodeAt(i))) {
      kept += text.slice(runStart, i);
      budget -= i - runStart;
      runStart = i + 1;
    }
  }
  kept += text.slice(runStart, i);
  if (i < length && kept.length > 0 && isHighSurrogate(kept.charCodeAt(kept.length - 1))) {
    kept = kept.slice(0, -1);
  }
  return kept.trimEnd();
}

const HEX = '0123456789abcdef';

/**
 * `text` with each control character written as `\xNN` (lower-case hex), cut so the result has at
 * most `max` code units; an escape sequence or a surrogate pair is never cut in half. Backslashes
 * are left as they are: the result is for an operator to read (Qlik messages are full of
 * `DIRECTORY\user`), not to be parsed back. Work is bounded by `max`, not by `text.length`.
 */
export function escapeControls(text: string, max: number): string {
  return escapeCapped(text, max).escaped;
}

/** `text` escaped, capped and in double quotes, for quoting a field inside a reject's detail. */
export function quoteForDetail(text: string, max = 64): string {
  const { escaped, complete } = escapeCapped(text, max);
  return `"${escaped}${complete ? '' : '…'}"`;
}

function escapeCapped(text: string, max: number): { escaped: string; complete: boolean } {
  const firstControl = indexOfControl(text, 0, Math.min(text.length, max));
  if (firstControl === -1) {
    const escaped = capChars(text, max);
    return { escaped, complete: escaped.length === text.length };
  }
  let out = text.slice(0, firstControl);
  let i = firstControl;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isControlCode(code)) {
      if (out.length + 4 > max) break;
      out += '\\x' + HEX.charAt(code >> 4) + HEX.charAt(code & 0xf);
    } else if (isHighSurrogate(code) && i + 1 < text.length) {
      if (out.length + 2 > max) break;
      out += text.slice(i, i + 2);
      i++;
    } else {
      if (out.length + 1 > max) break;
      out += text.charAt(i);
    }
  }
  return { escaped: out, complete: i >= text.length };
}
