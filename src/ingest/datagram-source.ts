import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { Datagram } from './datagram-batch.js';
import type { HandOffPolicy } from './hand-off-policy.js';
import type { ReaderTotals } from './reader-protocol.js';

/** What the processing loop needs of the socket, wherever it is read (a thread of its own or this one). */
export interface DatagramSource extends Lifecycle {
  /** The bound port (useful when configured as 0); undefined before start. */
  readonly port: number | undefined;
  /** Datagrams read and not yet taken. */
  readonly depth: number;
  /** Since start: datagrams read, and those dropped because `intake.queueSize` were already held. */
  readonly totals: ReaderTotals;
  /** Stopped, and every datagram read has been taken. */
  readonly exhausted: boolean;
  /** The next datagrams, oldest first (empty when none are due); `onReadable` says when to ask. */
  take(): readonly Datagram[];
}

export interface DatagramSourceOptions {
  readonly host: string;
  readonly port: number;
  readonly receiveBufferBytes: number;
  readonly allowedSources: readonly string[];
  /** Datagrams read but not yet taken, at most; more are dropped and counted (`intake.queueSize`). */
  readonly queueSize: number;
  /** When what is held is handed over (default: at once). */
  readonly handOff?: HandOffPolicy;
  readonly log: Logger;
  /** Datagrams are ready to `take` (called on the main thread). */
  readonly onReadable: () => void;
  /** Datagrams per hand-off at most (default 512). */
  readonly maxBatch?: number;
}

/** At stop: how long the socket must be quiet before it is closed, and the most stop waits for that. */
export const DRAIN_QUIET_MS = 100;
export const MAX_DRAIN_MS = 2_000;
export const DEFAULT_MAX_BATCH = 512;

/** Logs the socket's start, and a warning when the kernel granted less buffer than asked for. */
export function logListening(
  log: Logger,
  options: Pick<DatagramSourceOptions, 'host' | 'receiveBufferBytes'>,
  port: number | undefined,
  granted: number,
): void {
  const { host, receiveBufferBytes } = options;
  // Linux reports twice the size it was asked for (bookkeeping overhead); half of it is usable.
  if (granted < receiveBufferBytes) {
    log.warn(
      { requested: receiveBufferBytes, granted },
      `the kernel granted a smaller UDP receive buffer than requested; bursts may be lost. ` +
        `Raise the limit, e.g. sysctl -w net.core.rmem_max=${receiveBufferBytes}`,
    );
  }
  log.info({ host, port, receiveBufferBytes: granted }, 'listening for Qlik user events (UDP)');
}
