/** "Did you mean" for misspelt keys, variables and values. */

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two neighbouring
 * characters (optimal string alignment), so `prot` is one edit from `port`.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const width = b.length + 1;
  // Three rolling rows: two back (for swaps), previous, current.
  let before = new Array<number>(width).fill(0);
  let previous = Array.from({ length: width }, (_, j) => j);
  let current = new Array<number>(width).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      }
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length] ?? 0;
}

/** Case, `_`, `-` and spaces do not count: `receive_buffer_bytes` is `receiveBufferBytes`. */
function normalize(word: string): string {
  return word.toLowerCase().replace(/[\s_-]/g, '');
}

/**
 * The candidate within a plausible typo of `word`: at most one edit for short words, up to a
 * third of the length for longer ones. Ties go to the earlier candidate.
 */
export function closestByEdits(word: string, candidates: Iterable<string>): string | undefined {
  const wanted = normalize(word);
  const allowed = Math.max(1, Math.min(3, Math.floor(wanted.length / 3)));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** The first candidate the word starts with, or that starts with the word (`warning` → `warn`). */
export function closestByPrefix(word: string, candidates: Iterable<string>): string | undefined {
  const wanted = normalize(word);
  for (const candidate of candidates) {
    const known = normalize(candidate);
    if (
      Math.min(wanted.length, known.length) >= 3 &&
      (wanted.startsWith(known) || known.startsWith(wanted))
    ) {
      return candidate;
    }
  }
  return undefined;
}

/** A plausible typo first, else a prefix match. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  return closestByEdits(word, candidates) ?? closestByPrefix(word, candidates);
}

/** `; did you mean "port"?` or '' — ready to append to a message. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : `; did you mean "${match}"?`;
}
