import { Worker, type WorkerOptions } from 'node:worker_threads';
import { inExecutable, shippedText } from '../core/shipped-files.js';

/**
 * Starts the UDP reader thread: from its module file beside this one (source tree or dist/),
 * or, in the release's single executable, from its bundled script (the asset
 * `udp-reader-thread.cjs`), evaluated as the thread's code since there is no file to load.
 */
const READER_MODULE = new URL('./udp-reader-thread.js', import.meta.url);

export function startReaderThread(options: WorkerOptions): Worker {
  return inExecutable()
    ? new Worker(shippedText('udp-reader-thread.cjs', READER_MODULE), { ...options, eval: true })
    : new Worker(READER_MODULE, options);
}
