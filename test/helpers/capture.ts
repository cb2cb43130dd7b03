import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/core/logger.js';

/** A stream that keeps what a command writes, for `CommandIo` in tests. */
export type CapturedText = Writable & { text: () => string };

export function captureText(): CapturedText {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A real pino logger whose JSON lines are kept, parsed (`lines`) and as written (`raw`). */
export function captureLog(level = 'debug'): { log: Logger; lines: LogLine[]; raw: string[] } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  return { log: createLogger(level, sink), lines, raw };
}
