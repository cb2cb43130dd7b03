import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on the given stream (stdout by default); the one logger is made by the CLI. */
export function createLogger(
  level: string,
  destination: NodeJS.WritableStream = process.stdout,
  app = 'sense-sidecar',
): Logger {
  return pino({ level, base: { app }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
