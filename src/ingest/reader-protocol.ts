import type { PackedBatch } from './datagram-batch.js';
import type { HandOffPolicy } from './hand-off-policy.js';

/** What the reader thread is started with (worker data: plain values only). */
export interface ReaderSettings {
  readonly host: string;
  readonly port: number;
  readonly receiveBufferBytes: number;
  /** `udp.allowedSources`, checked on the reader thread before a datagram is queued. */
  readonly allowedSources: readonly string[];
  /** Datagrams the reader holds for the decoder at most; more are dropped and counted. */
  readonly queueSize: number;
  /** Datagrams per hand-off at most. */
  readonly maxBatch: number;
  /** When to answer a pull while fewer than maxBatch datagrams are held. */
  readonly handOff: HandOffPolicy;
  /** At stop: how long the socket must be quiet before it is closed, and the most stop waits for that. */
  readonly quietMs: number;
  readonly maxDrainMs: number;
  /** Shared between the threads: Int32Array slots, see SIGNAL. */
  readonly signals: SharedArrayBuffer;
}

/**
 * Slots of the shared signals. WANTED: the main thread set 1 when it wants the next batch; the
 * reader takes it back to 0 (compare-and-exchange) as it sends one, so at most one batch is in
 * transit. HELD: datagrams the reader holds. CLOSED: 1 once the socket is closed. Asking for a
 * batch is a store, not a message, so a quiet node's reader is not woken to be asked; the main
 * thread sends a `pull` message only when the reader holds something (or has closed), in the
 * order store WANTED, then read HELD/CLOSED (the reader: store HELD/CLOSED, then read WANTED),
 * so that one of the two always sees the other.
 */
export const SIGNAL = { WANTED: 0, HELD: 1, CLOSED: 2, SLOTS: 3 } as const;

/** Running totals of the reader thread since it started. */
export interface ReaderTotals {
  /** Datagrams read from the socket. */
  readonly received: number;
  /** Datagrams dropped because the reader's queue was full (the decoder fell that far behind). */
  readonly dropped: number;
}

/** `pull`: look at the WANTED signal now (a nudge; the request itself is the signal). */
export type ToReader = { readonly type: 'pull' } | { readonly type: 'stop' };

export type FromReader =
  | { readonly type: 'listening'; readonly port: number; readonly granted: number }
  | { readonly type: 'failed'; readonly message: string; readonly code: string | null }
  | {
      readonly type: 'batch';
      readonly batch: PackedBatch;
      readonly totals: ReaderTotals;
      /** Datagrams still queued on the reader after this batch. */
      readonly depth: number;
      /** The socket is closed and this was the last of what it read. */
      readonly final: boolean;
    }
  | { readonly type: 'totals'; readonly totals: ReaderTotals; readonly depth: number }
  | { readonly type: 'socket-error'; readonly message: string };
