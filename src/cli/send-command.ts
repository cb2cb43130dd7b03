import { parseArgs } from 'node:util';
import type { CommandIo } from './io.js';
import { parseDuration } from '../core/duration.js';
import { isParseArgsError, parseIntegerArg, parseListArg, parseNonNegativeArg, UsageError } from './args.js';
import { buildLoad } from '../simulate/load.js';
import { ratePacing, schedulePacing, type Pacing } from '../simulate/pacer.js';
import { createProgressWriter, groupDigits } from '../simulate/progress.js';
import { buildMorningScenario } from '../simulate/scenario.js';
import { sendDatagrams } from '../simulate/udp-sender.js';

export const SEND_USAGE = `Usage: sense-sidecar send [options]

Simulates Sense nodes: sends proxy user-event datagrams over UDP, exactly as the
log appender on a real node would. Same options and seed, same datagrams.

Scenario mode (the default):
  --scenario morning   a morning log-in wave; the only scenario so far
  --duration D         simulated length of the morning (default 30m)
  --speed N            time compression factor (default 60: a 30-minute morning
                       plays in 30 s; 0 = as fast as possible)

Load mode:
  --count N            send N datagrams of a realistic mix of the four event kinds
  --rate R             datagrams per second (default 1000; 0 = as fast as possible)

Both modes:
  --host H             where sense-sidecar listens (default 127.0.0.1)
  --port P             its UDP port (default 9997)
  --nodes A,B          host names of the simulated Sense nodes
                       (default SENSE-NODE1,SENSE-NODE2)
  --users N            simulated users (default 200)
  --apps N             simulated apps (default 12)
  --seed N             seed of the generator (default 1)
  --no-progress        no progress bar
  -h, --help           show this help
`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  nodes: { type: 'string' },
  users: { type: 'string' },
  apps: { type: 'string' },
  seed: { type: 'string' },
  scenario: { type: 'string' },
  duration: { type: 'string' },
  speed: { type: 'string' },
  count: { type: 'string' },
  rate: { type: 'string' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface CommonSettings {
  host: string;
  port: number;
  nodes: string[];
  users: number;
  apps: number;
  seed: number;
  progress: boolean;
}

export type SendSettings =
  | (CommonSettings & { mode: 'scenario'; scenario: 'morning'; durationMs: number; speed: number })
  | (CommonSettings & { mode: 'load'; count: number; rate: number });

/** Parses `send` arguments; throws UsageError for anything a user must change. Null for --help. */
export function parseSendArgs(argv: readonly string[]): SendSettings | null {
  const { values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help === true) return null;
  const common: CommonSettings = {
    host: values.host?.trim() ?? '127.0.0.1',
    port: parseIntegerArg('port', values.port ?? '9997', 1, 65535),
    nodes: parseListArg('nodes', values.nodes ?? 'SENSE-NODE1,SENSE-NODE2'),
    users: parseIntegerArg('users', values.users ?? '200', 1, 10_000_000),
    apps: parseIntegerArg('apps', values.apps ?? '12', 1, 100_000),
    seed: parseIntegerArg('seed', values.seed ?? '1', 0, 0xffffffff),
    progress: values['no-progress'] !== true,
  };
  if (common.host === '') throw new UsageError('--host must not be empty');

  if (values.count !== undefined) {
    for (const option of ['scenario', 'speed', 'duration'] as const) {
      if (values[option] !== undefined) {
        throw new UsageError(
          `--${option} belongs to scenario mode; drop it, or drop --count to play a scenario`,
        );
      }
    }
    const count = parseIntegerArg('count', values.count, 1, Number.MAX_SAFE_INTEGER);
    const rate = parseNonNegativeArg('rate', values.rate ?? '1000');
    return { ...common, mode: 'load', count, rate };
  }
  if (values.rate !== undefined) {
    throw new UsageError('--rate belongs to load mode; add --count N, or use --speed to pace a scenario');
  }
  const scenario = values.scenario ?? 'morning';
  if (scenario !== 'morning') throw new UsageError(`--scenario must be "morning" (got "${scenario}")`);
  const durationMs = parseDuration(values.duration ?? '30m');
  if (durationMs === null || durationMs <= 0) {
    throw new UsageError(
      `--duration must be a positive duration such as 30m or 1h30m (got "${values.duration ?? ''}")`,
    );
  }
  const speed = parseNonNegativeArg('speed', values.speed ?? '60');
  return { ...common, mode: 'scenario', scenario, durationMs, speed };
}

interface Plan {
  description: string;
  total: number;
  datagram: (i: number) => string;
  pacing: Pacing;
}

function plan(settings: SendSettings): Plan {
  const { nodes, users, apps, seed } = settings;
  if (settings.mode === 'load') {
    const { count, rate } = settings;
    return {
      description: `${groupDigits(count)} datagrams at ${rate === 0 ? 'full speed' : `${groupDigits(rate)}/s`}`,
      total: count,
      datagram: buildLoad({ count, nodes, users, apps, seed }),
      pacing: ratePacing(rate, count),
    };
  }
  const { durationMs, speed } = settings;
  const schedule = buildMorningScenario({ nodes, users, apps, seed, durationMs });
  // Speed 0 compresses time completely: every datagram is due at once.
  const offsets = schedule.map((s) => (speed === 0 ? 0 : s.atMs / speed));
  const playMs = speed === 0 ? 0 : durationMs / speed;
  return {
    description: `the morning scenario, ${groupDigits(schedule.length)} datagrams, played in ${formatSeconds(playMs)}`,
    total: schedule.length,
    datagram: (i) => schedule[i]?.datagram ?? '',
    pacing: schedulePacing(offsets),
  };
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/**
 * `sense-sidecar send`. Exit codes: 0 all sent; 1 some sends failed; 2 bad arguments (the
 * message says what to change) or an unresolvable host; 130 stopped by the signal.
 */
export async function runSendCommand(argv: string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  let settings: SendSettings | null;
  let work: Plan;
  try {
    settings = parseSendArgs(argv);
    if (settings === null) {
      io.stdout.write(SEND_USAGE);
      return 0;
    }
    work = plan(settings);
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError || isParseArgsError(error)) {
      io.stderr.write(
        `sense-sidecar send: ${error.message}\nRun 'sense-sidecar send --help' for the options.\n`,
      );
      return 2;
    }
    throw error;
  }

  const { host, port, nodes } = settings;
  const target = `${host}:${port}`;
  io.stdout.write(`sending ${work.description} from ${nodes.join(', ')} to ${target}\n`);
  const progress = settings.progress ? createProgressWriter(io.stdout) : null;
  let result;
  try {
    result = await sendDatagrams({
      host,
      port,
      total: work.total,
      datagram: work.datagram,
      pacing: work.pacing,
      signal,
      onProgress: (p) => {
        progress?.update({ done: p.sent, total: p.total, elapsedMs: p.elapsedMs });
      },
    });
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      io.stderr.write(
        `sense-sidecar send: cannot resolve --host "${host}" (${code}); check the name or use an IP address\n`,
      );
      return 2;
    }
    throw error;
  }
  const handled = result.sent + result.errors;
  progress?.finish({ done: handled, total: work.total, elapsedMs: result.elapsedMs });

  const perSecond =
    result.elapsedMs > 0 ? `${groupDigits((result.sent * 1000) / result.elapsedMs)}/s` : '--/s';
  let summary = `sent ${groupDigits(result.sent)} datagrams to ${target} in ${formatSeconds(result.elapsedMs)} (${perSecond})`;
  if (result.errors > 0)
    summary += `; ${groupDigits(result.errors)} failed (first: ${result.firstError ?? 'unknown'})`;
  if (result.aborted) summary += `; stopped after ${groupDigits(handled)} of ${groupDigits(work.total)}`;
  io.stdout.write(`${summary}\n`);
  if (result.aborted) return 130;
  return result.errors > 0 ? 1 : 0;
}
