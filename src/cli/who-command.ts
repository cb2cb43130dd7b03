import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { SessionsBody } from '../aggregate/sessions-query.js';
import { isValidTimeZone } from '../core/timezone.js';
import { systemTimezone } from './system-timezone.js';
import { renderWhoTable, whoJson } from './who-table.js';
import { type CommandIo, writeLine } from './io.js';

export const WHO_USAGE = `Usage: sense-sidecar who [--at TIME] [--node NAME] [--user DIR\\id] [--app ID] [--tz ZONE] [--json] [--url URL] [--token-file FILE]

Who is on Qlik Sense, from the aggregator's HTTP API (GET /api/sessions).
  --at    a past time, ISO 8601 with an offset (2026-11-30T08:00:00Z); default now
  --node  only sessions on this Sense host (as the events name it)
  --user  only this user (DIRECTORY\\userId)
  --app   only users with a connection to this app open (on the same host), at that time
  --tz    the IANA time zone times are shown in (default this machine's; UTC for UTC)
  --json  print JSON (times in UTC and in the zone, seconds open) instead of the table
  --url   the aggregator (default http://127.0.0.1:9999; https:// with a certificate
          this machine trusts, e.g. through NODE_EXTRA_CA_CERTS)
  --token-file  a file holding the aggregator's API token (its http.tokenFile)`;

const EXIT_USAGE = 2;
const EXIT_UNREACHABLE = 1;

type Fetch = typeof fetch;

export async function runWhoCommand(argv: string[], io: CommandIo, fetchFn: Fetch = fetch): Promise<number> {
  let values: {
    at?: string | undefined;
    node?: string | undefined;
    user?: string | undefined;
    app?: string | undefined;
    url?: string | undefined;
    'token-file'?: string | undefined;
    tz?: string | undefined;
    json?: boolean | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        at: { type: 'string' },
        node: { type: 'string' },
        user: { type: 'string' },
        app: { type: 'string' },
        url: { type: 'string', default: 'http://127.0.0.1:9999' },
        'token-file': { type: 'string' },
        tz: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    writeLine(io.stderr, `${error instanceof Error ? error.message : String(error)}\n\n${WHO_USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help === true) {
    writeLine(io.stdout, WHO_USAGE);
    return 0;
  }
  const timeZone = values.tz ?? systemTimezone();
  if (!isValidTimeZone(timeZone)) {
    writeLine(io.stderr, `--tz: not an IANA time zone (got "${timeZone}"); e.g. Europe/Berlin or UTC`);
    return EXIT_USAGE;
  }
  const base = values.url ?? 'http://127.0.0.1:9999';
  let url: URL;
  try {
    url = new URL('/api/sessions', base);
  } catch {
    writeLine(io.stderr, `--url: not a URL (got "${base}"); e.g. http://127.0.0.1:9999`);
    return EXIT_USAGE;
  }
  if (values.at !== undefined) url.searchParams.set('at', values.at);
  if (values.node !== undefined) url.searchParams.set('host', values.node);
  if (values.user !== undefined) url.searchParams.set('user', values.user);
  if (values.app !== undefined) url.searchParams.set('app', values.app);

  const headers: Record<string, string> = {};
  const tokenFile = values['token-file'];
  if (tokenFile !== undefined) {
    try {
      headers['authorization'] = `Bearer ${(await readFile(tokenFile, 'utf8')).trim()}`;
    } catch (error) {
      writeLine(
        io.stderr,
        `--token-file: cannot read ${tokenFile} (${error instanceof Error ? error.message : String(error)})`,
      );
      return EXIT_USAGE;
    }
  }

  let response: Response;
  try {
    response = await fetchFn(url, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
    const reason = cause ?? (error instanceof Error ? error.message : String(error));
    writeLine(
      io.stderr,
      `cannot reach the aggregator at ${base} (${reason}); is "sense-sidecar aggregate" running there? (--url)`,
    );
    return EXIT_UNREACHABLE;
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    writeLine(io.stderr, `${base} answered ${response.status} without JSON; is it the aggregator? (--url)`);
    return EXIT_UNREACHABLE;
  }
  if (!response.ok) {
    const error = (body as { error?: unknown }).error;
    writeLine(
      io.stderr,
      `the aggregator refused the question: ${typeof error === 'string' ? error : response.status}`,
    );
    if (response.status === 401) writeLine(io.stderr, 'it asks for its API token: --token-file FILE');
    return response.status === 400 ? EXIT_USAGE : EXIT_UNREACHABLE;
  }
  const options = { app: values.app, timeZone };
  io.stdout.write(
    values.json === true
      ? `${JSON.stringify(whoJson(body as SessionsBody, options), null, 2)}\n`
      : renderWhoTable(body as SessionsBody, options),
  );
  return 0;
}
