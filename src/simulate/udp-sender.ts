import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '../core/clock.js';
import type { Pacing } from './pacer.js';

export interface SendProgress {
  /** Datagrams handled so far, whether the socket accepted them or reported an error. */
  sent: number;
  total: number;
  elapsedMs: number;
}

export interface SendResult {
  /** Datagrams the socket accepted (UDP: handed to the kernel, not necessarily received). */
  sent: number;
  /** Datagrams whose send reported an error. */
  errors: number;
  elapsedMs: number;
  /** True when the signal stopped the run before every datagram was handled. */
  aborted: boolean;
  /** The first send error's message, for the summary; null without errors. */
  firstError: string | null;
}

export interface SendOptions {
  host: string;
  port: number;
  total: number;
  /** Text of datagram i; called once per datagram, in order. */
  datagram: (i: number) => string;
  pacing: Pacing;
  clock?: Clock | undefined;
  /** Most datagrams in flight at once (default 32). */
  batchSize?: number | undefined;
  onProgress?: ((progress: SendProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Sends `total` datagrams to host:port at the pace `pacing` allows. The host is resolved once:
 * `dgram` would otherwise look a name up again for every datagram.
 *
 * Flow control: at most `batchSize` sends are in flight, and the next batch starts only after
 * every send callback of the current one fired, so memory stays bounded however far the pace
 * runs ahead of the socket. Between batches the loop yields with setImmediate (so I/O, timers
 * and a receiver in the same process get their turn), and when nothing is due it sleeps on a
 * timer until the next datagram is: it never spins.
 *
 * The socket is unconnected, so a missing receiver does not surface as errors (as on a real
 * Sense node, whose appender does not know either); errors are local ones such as a too-large
 * datagram or an unreachable network.
 */
export async function sendDatagrams(options: SendOptions): Promise<SendResult> {
  const { port, total, pacing, signal } = options;
  const clock = options.clock ?? systemClock;
  const batchSize = Math.max(1, options.batchSize ?? 32);
  const target =
    isIP(options.host) === 0
      ? await lookup(options.host)
      : { address: options.host, family: isIP(options.host) };
  const socket = dgram.createSocket(target.family === 6 ? 'udp6' : 'udp4');
  // Unconnected sends report errors through their callbacks; this only keeps a stray socket
  // error from becoming an uncaught exception.
  socket.on('error', () => undefined);

  const startedAt = clock.now();
  let handled = 0;
  let sent = 0;
  let errors = 0;
  let firstError: string | null = null;
  const sendOne = (text: string): Promise<void> =>
    new Promise((resolve) => {
      socket.send(text, port, target.address, (error) => {
        if (error) {
          errors++;
          firstError ??= error.message;
        } else {
          sent++;
        }
        resolve();
      });
    });

  try {
    while (handled < total && signal?.aborted !== true) {
      const elapsed = clock.now() - startedAt;
      const due = Math.min(pacing.due(elapsed, handled), total - handled, batchSize);
      if (due === 0) {
        const waitMs = pacing.dueAtMs(handled) - elapsed;
        if (!Number.isFinite(waitMs)) break;
        await sleepUnlessAborted(Math.max(1, Math.ceil(waitMs)), signal);
        continue;
      }
      const batch: Promise<void>[] = [];
      for (let k = 0; k < due; k++) batch.push(sendOne(options.datagram(handled + k)));
      await Promise.all(batch);
      handled += due;
      options.onProgress?.({ sent: handled, total, elapsedMs: clock.now() - startedAt });
      await nextTurn();
    }
  } finally {
    await new Promise<void>((resolve) => {
      socket.close(() => {
        resolve();
      });
    });
  }
  return { sent, errors, elapsedMs: clock.now() - startedAt, aborted: handled < total, firstError };
}

async function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
  } catch (error) {
    if (!(error instanceof Error && error.name === 'AbortError')) throw error;
  }
}
