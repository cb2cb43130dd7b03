import type { SessionsBody } from '../aggregate/sessions-query.js';

/**
 * `sense-sidecar who`: the /api/sessions answer as a table an operator reads, or as JSON for a
 * script. Pure: the command fetches, this renders. Times are shown in `timeZone` (the
 * machine's own by default) with their UTC offset, so a line means the same anywhere; FOR is
 * how long the session had been open at the time asked about.
 */

export interface WhoOptions {
  /** The app the sessions were filtered by; adds the APP column. */
  readonly app?: string | undefined;
  /** IANA zone the times are shown in. */
  readonly timeZone: string;
}

/** One session as `who --json` prints it. */
export interface WhoJsonSession {
  readonly host: string;
  readonly user: string;
  /** ISO 8601, UTC, as the API gave it. */
  readonly start: string;
  /** The same instant in the chosen zone, with its offset. */
  readonly startLocal: string;
  /** Whole seconds open at `at`. */
  readonly durationSeconds: number;
  readonly app?: string;
}

export interface WhoJson {
  readonly at: string;
  readonly atLocal: string;
  readonly timeZone: string;
  readonly sessions: readonly WhoJsonSession[];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** `2026-11-30 09:41:12 +01:00`: an instant in a zone, to the second, with the zone's offset. */
export function localTime(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${offset}`;
}

/** `45s`, `12m`, `2h05m`, `3d04h`. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

const userText = (u: { directory: string; id: string }): string => `${u.directory}\\${u.id}`;

export function whoJson(body: SessionsBody, options: WhoOptions): WhoJson {
  const at = Date.parse(body.at);
  return {
    at: body.at,
    atLocal: localTime(body.at, options.timeZone),
    timeZone: options.timeZone,
    sessions: body.sessions.map((s) => ({
      host: s.host,
      user: userText(s.user),
      start: s.start,
      startLocal: localTime(s.start, options.timeZone),
      durationSeconds: Math.max(0, Math.floor((at - Date.parse(s.start)) / 1000)),
      ...(options.app === undefined ? {} : { app: options.app }),
    })),
  };
}

export function renderWhoTable(body: SessionsBody, options: WhoOptions): string {
  const header = ['HOST', 'USER', 'START', 'FOR'];
  if (options.app !== undefined) header.push('APP');
  const at = Date.parse(body.at);
  const rows = body.sessions.map((s) => {
    const row = [
      s.host,
      userText(s.user),
      localTime(s.start, options.timeZone),
      shortDuration(at - Date.parse(s.start)),
    ];
    if (options.app !== undefined) row.push(options.app);
    return row;
  });
  const when = `${localTime(body.at, options.timeZone)} (${options.timeZone})`;
  if (rows.length === 0) return `no sessions at ${when}\n`;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const count = `${rows.length} session${rows.length === 1 ? '' : 's'} at ${when}`;
  return [line(header), ...rows.map(line), '', count].join('\n') + '\n';
}
