import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on the given stream (stdout by default); the one logger is made by the CLI.
 *
 * A destination that fails (its reader went away: EPIPE) must not stop the sidecar: there is
 * nowhere left to report it, so the error is dropped and the process carries on with its work.
 */
export function createLogger(
  level: string,
  destination: NodeJS.WritableStream = process.stdout,
  app = 'sense-sidecar',
): Logger {
  destination.on('error', ignoreLogDestinationError);
  return pino({ level, base: { app }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

function ignoreLogDestinationError(): void {
  // Deliberately empty: see createLogger.
}
