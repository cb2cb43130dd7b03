/**
 * The longest query parameter or path value the API takes: far beyond any host, user, app id
 * or time, and short enough that a hostile value is refused before it is compared with anything
 * or echoed back in an error.
 */
export const MAX_PARAM_CHARS = 512;

/** Control characters (NUL, line breaks, …) belong in no user, host, app or time. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Why the text of parameter `name` cannot be a value (too long, control characters), or null. */
export function badText(name: string, text: string): string | null {
  if (text.length > MAX_PARAM_CHARS)
    return `${name}: at most ${MAX_PARAM_CHARS} characters (got ${text.length})`;
  if (hasControl(text)) return `${name}: control characters are not allowed`;
  return null;
}

/**
 * Why a query string cannot be answered, or null: an unknown or repeated parameter (a typo
 * must not silently mean "no filter"), or a value too long or with control characters.
 */
export function checkNames(params: URLSearchParams, known: readonly string[]): string | null {
  for (const name of params.keys()) {
    if (!known.includes(name))
      return `unknown parameter "${name.slice(0, 64)}" (known: ${known.join(', ') || 'none'})`;
    const values = params.getAll(name);
    if (values.length > 1) return `parameter "${name}" given more than once`;
    const bad = badText(name, values[0] ?? '');
    if (bad !== null) return bad;
  }
  return null;
}
