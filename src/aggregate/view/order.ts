/** The orders answers are listed in, so equal inputs always list the same way. */

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Oldest first; then host, user, and the start event's id, so equal times list the same way every time. */
export function byTimeHostUser(
  a: { time: number; host: string; key: string; id: string },
  b: { time: number; host: string; key: string; id: string },
): number {
  return (
    a.time - b.time || compareText(a.host, b.host) || compareText(a.key, b.key) || compareText(a.id, b.id)
  );
}
