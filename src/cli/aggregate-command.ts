import { hostname } from 'node:os';
import { Aggregator } from '../aggregate/aggregator.js';
import { indexRoute } from '../aggregate/http/api-routes.js';
import { livePageRoute } from '../aggregate/page/live-page.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import { type CommandIo, writeLine } from './io.js';
import { EXIT_BAD_CONFIG, loadAggregatorConfigFile } from './load-config-file.js';
import { parseServiceArgs, runUntilSignalled } from './service-shell.js';

export const AGGREGATE_USAGE = `Usage: sense-sidecar aggregate [--config FILE]

The central aggregator: reads every sidecar's events, alerts and status from NATS (a durable
JetStream consumer of its own), keeps the cluster view and its history, and serves the HTTP
API, live updates and Prometheus metrics (default http://127.0.0.1:9999).
Every key can also be set from the environment (SENSE_AGGREGATOR_HTTP_PORT=9999, ...).
See the README's Aggregator section.`;

/** The composition root of the aggregator process. Resolves with the exit code once stopped. */
export async function runAggregateCommand(
  argv: string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
  version: string,
): Promise<number> {
  const args = parseServiceArgs(argv, io, AGGREGATE_USAGE);
  if ('exit' in args) return args.exit;
  const config = await loadAggregatorConfigFile(args.configPath, env, io);
  if (config === null) return EXIT_BAD_CONFIG;

  const log = createLogger(config.log.level, io.stdout, 'sense-aggregator');
  const created = await Aggregator.create({
    config,
    clock: systemClock,
    log,
    version,
    env,
    hostname: hostname(),
  });
  if (!created.ok) {
    for (const problem of created.problems) writeLine(io.stderr, problem);
    writeLine(io.stderr, `sense-aggregator refused to start: ${created.problems.length} problem(s) above`);
    return EXIT_BAD_CONFIG;
  }
  const { aggregator } = created;
  aggregator.route(indexRoute('/api'));
  aggregator.route(livePageRoute());
  try {
    await aggregator.start();
  } catch (error) {
    log.fatal({ err: error }, 'sense-aggregator could not start');
    await aggregator.stop(Date.now() + 1_000);
    return 1;
  }

  return runUntilSignalled({
    log,
    stoppingMessage: 'stopping: committing and acknowledging what was folded',
    stoppedMessage: 'sense-aggregator stopped',
    stop: (deadline) => aggregator.stop(deadline),
    shutdownTimeoutMs: config.shutdown.timeoutMs,
    reload: () => {
      log.info('SIGHUP: loading the cluster rules again');
      void aggregator.reloadRules('SIGHUP');
    },
  });
}
