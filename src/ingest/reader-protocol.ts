import type { PackedBatch } from './datagram-batch.js';

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
  /** At stop: how long the socket must be quiet before it is closed, and the most stop waits for that. */
  readonly quietMs: number;
  readonly maxDrainMs: number;
}

/** Running totals of the reader thread since it started. */
export interface ReaderTotals {
  /** Datagrams read from the socket. */
  readonly received: number;
  /** Datagrams dropped because the reader's queue was full (the decoder fell that far behind). */
  readonly dropped: number;
}

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
