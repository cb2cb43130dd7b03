import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';

describe('the logger', () => {
  it('survives its destination failing (a closed pipe) and goes on logging', () => {
    const destination = new PassThrough();
    const log = createLogger('info', destination);
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    expect(() => destination.emit('error', epipe)).not.toThrow();
    expect(() => {
      log.info('still here');
    }).not.toThrow();
  });

  it('writes JSON lines with the app name and an ISO time', () => {
    const destination = new PassThrough();
    const chunks: string[] = [];
    destination.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    createLogger('info', destination, 'sense-test').info({ n: 1 }, 'hello');
    const line = JSON.parse(chunks.join('')) as Record<string, unknown>;
    expect(line).toMatchObject({ app: 'sense-test', n: 1, msg: 'hello' });
    expect(typeof line['time']).toBe('string');
  });
});
