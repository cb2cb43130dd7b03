import type { SessionsBody } from '../aggregate/sessions-query.js';

/**
 * `sense-sidecar who`: the /api/sessions answer as a table an operator reads. Pure: the
 * command fetches, this renders. Columns HOST, USER (`DIR\id`), START (UTC, no milliseconds
 * unless they are set), and APP when the question was about one app.
 */

export interface WhoOptions {
  /** The app the sessions were filtered by; adds the APP column. */
  readonly app?: string | undefined;
}

export function shortTime(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

export function renderWhoTable(body: SessionsBody, options: WhoOptions = {}): string {
  const header = ['HOST', 'USER', 'START'];
  if (options.app !== undefined) header.push('APP');
  const rows = body.sessions.map((s) => {
    const row = [s.host, `${s.user.directory}\\${s.user.id}`, shortTime(s.start)];
    if (options.app !== undefined) row.push(options.app);
    return row;
  });
  const at = shortTime(body.at);
  if (rows.length === 0) return `no sessions at ${at}\n`;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const count = `${rows.length} session${rows.length === 1 ? '' : 's'} at ${at}`;
  return [line(header), ...rows.map(line), '', count].join('\n') + '\n';
}
