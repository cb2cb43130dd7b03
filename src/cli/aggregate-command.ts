import { parseArgs } from 'node:util';
import { Aggregator } from '../aggregate/aggregator.js';
import { indexRoute } from '../aggregate/http/api-routes.js';
import { livePageRoute } from '../aggregate/page/live-page.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import { type CommandIo, writeLine } from './io.js';
import { EXIT_BAD_CONFIG, loadAggregatorConfigFile } from './load-config-file.js';

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
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    writeLine(io.stderr, `${error instanceof Error ? error.message : String(error)}\n\n${AGGREGATE_USAGE}`);
    return EXIT_BAD_CONFIG;
  }
  if (values.help === true) {
    writeLine(io.stdout, AGGREGATE_USAGE);
    return 0;
  }
  const config = await loadAggregatorConfigFile(values.config, env, io);
  if (config === null) return EXIT_BAD_CONFIG;

  const log = createLogger(config.log.level, io.stdout, 'sense-aggregator');
  const created = await Aggregator.create({ config, clock: systemClock, log, version });
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

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        resolve(130);
        return;
      }
      stopping = true;
      log.info({ signal }, 'stopping: committing and acknowledging what was folded');
      aggregator.stop(Date.now() + config.shutdown.timeoutMs).then(
        () => {
          log.info('sense-aggregator stopped');
          resolve(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', () => {
      log.info('SIGHUP: loading the cluster rules again');
      void aggregator.reloadRules('SIGHUP');
    });
  });
}
