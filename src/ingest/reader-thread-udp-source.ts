import type { Worker } from 'node:worker_threads';
import { startReaderThread } from './reader-thread-entry.js';
import { raceDeadline } from '../core/race-deadline.js';
import { type Datagram, unpackBatch } from './datagram-batch.js';
import {
  type DatagramSource,
  type DatagramSourceOptions,
  DEFAULT_MAX_BATCH,
  DRAIN_QUIET_MS,
  logListening,
  MAX_DRAIN_MS,
} from './datagram-source.js';
import { IMMEDIATE } from './hand-off-policy.js';
import {
  type FromReader,
  type ReaderSettings,
  type ReaderTotals,
  SIGNAL,
  type ToReader,
} from './reader-protocol.js';

const RESTART_DELAY_MS = 1_000;
const READER_YOUNG_GENERATION_MB = 2;

const EMPTY: readonly Datagram[] = [];

/**
 * The socket shell. The socket lives on a reader thread of its own (udp-reader-thread) that only
 * reads, checks the sender and queues; this side pulls batches from it, one ahead of what the
 * decoder works on, so at most one batch is in transit and the reader's queue is the one bound.
 * If the reader thread dies, it is started again (the datagrams it held are counted as dropped).
 */
export class ReaderThreadUdpSource implements DatagramSource {
  private readerThread: Worker | undefined;
  private boundPort: number | undefined;
  private pending: Datagram[] | null = null;
  private pulling = false;
  private readerDepth = 0;
  private totalsBase: ReaderTotals = { received: 0, dropped: 0 };
  private readerTotals: ReaderTotals = { received: 0, dropped: 0 };
  private stopping = false;
  private finished = false;
  private whenClosed: (() => void) | undefined;
  private readonly signals = new Int32Array(
    new SharedArrayBuffer(SIGNAL.SLOTS * Int32Array.BYTES_PER_ELEMENT),
  );

  constructor(private readonly options: DatagramSourceOptions) {}

  /** The bound port (useful when configured as 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Datagrams read and not yet taken: on the reader, in transit and waiting here. */
  get depth(): number {
    return this.readerDepth + (this.pending?.length ?? 0);
  }

  /** Since start, across reader restarts. */
  get totals(): ReaderTotals {
    return {
      received: this.totalsBase.received + this.readerTotals.received,
      dropped: this.totalsBase.dropped + this.readerTotals.dropped,
    };
  }

  /** Stopped, and every datagram read has been taken. */
  get exhausted(): boolean {
    return this.finished && this.pending === null;
  }

  async start(): Promise<void> {
    if (this.readerThread !== undefined || this.stopping) return;
    const { granted } = await this.spawn(this.options.port);
    logListening(this.options.log, this.options, this.boundPort, granted);
  }

  /** The next datagrams, oldest first (empty when none are ready); asks the reader for more. */
  take(): readonly Datagram[] {
    const batch = this.pending;
    this.pending = null;
    this.pull();
    return batch ?? EMPTY;
  }

  /**
   * Stops reading once the socket has been quiet for a moment (datagrams the kernel holds count
   * as in flight) and closes it; what was read is still handed out by `take` until `exhausted`.
   */
  async stop(deadline: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const thread = this.readerThread;
    if (thread === undefined) {
      this.finished = true;
      return;
    }
    const closed = new Promise<void>((resolve) => {
      this.whenClosed = resolve;
    });
    this.send({ type: 'stop' });
    this.pull();
    await raceDeadline(closed, deadline);
    if (!this.finished) {
      // Out of time: what the reader still holds is given up, and counted.
      this.options.log.warn({ held: this.readerDepth }, 'UDP reader did not drain before the deadline');
      this.totalsBase = { ...this.totalsBase, dropped: this.totalsBase.dropped + this.readerDepth };
      this.finish();
    }
  }

  private spawn(port: number): Promise<{ granted: number }> {
    const settings: ReaderSettings = {
      host: this.options.host,
      port,
      receiveBufferBytes: this.options.receiveBufferBytes,
      allowedSources: [...this.options.allowedSources],
      queueSize: this.options.queueSize,
      maxBatch: this.options.maxBatch ?? DEFAULT_MAX_BATCH,
      handOff: this.options.handOff ?? IMMEDIATE,
      quietMs: DRAIN_QUIET_MS,
      maxDrainMs: MAX_DRAIN_MS,
      signals: this.signals.buffer,
    };
    const thread = startReaderThread({
      workerData: settings,
      // The reader's per-datagram objects die young (it copies each datagram into its batch at
      // once): a small young generation suffices and keeps the thread's footprint down.
      resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB },
    });
    this.readerThread = thread;
    this.pulling = false;
    // A new reader starts with nothing asked of it (an old one's request died with it).
    Atomics.store(this.signals, SIGNAL.WANTED, 0);
    Atomics.store(this.signals, SIGNAL.HELD, 0);
    Atomics.store(this.signals, SIGNAL.CLOSED, 0);
    return new Promise((resolve, reject) => {
      let started = false;
      thread.on('message', (message: FromReader) => {
        switch (message.type) {
          case 'listening':
            started = true;
            this.boundPort = message.port;
            this.pull();
            resolve({ granted: message.granted });
            break;
          case 'failed': {
            const error = Object.assign(new Error(message.message), { code: message.code });
            void thread.terminate();
            reject(error);
            break;
          }
          case 'batch':
          case 'totals':
          case 'socket-error':
            this.received(message);
        }
      });
      thread.on('error', (error) => {
        if (!started) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        this.options.log.error({ err: error }, 'UDP reader thread failed');
      });
      thread.on('exit', () => {
        if (this.readerThread !== thread || !started) return;
        this.readerThread = undefined;
        // Its queue went with it: counted as dropped, and its totals kept.
        this.totalsBase = {
          received: this.totalsBase.received + this.readerTotals.received,
          dropped: this.totalsBase.dropped + this.readerTotals.dropped + this.readerDepth,
        };
        this.readerTotals = { received: 0, dropped: 0 };
        this.readerDepth = 0;
        if (this.stopping) {
          this.finish();
          return;
        }
        this.options.log.error('UDP reader thread ended; starting it again');
        setTimeout(() => {
          if (!this.stopping)
            this.spawn(this.boundPort ?? port).catch((error: unknown) => {
              this.options.log.error({ err: error }, 'UDP reader thread could not be started again');
            });
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  private received(message: Exclude<FromReader, { type: 'listening' | 'failed' }>): void {
    switch (message.type) {
      case 'batch': {
        this.pulling = false;
        this.readerTotals = message.totals;
        this.readerDepth = message.depth;
        const datagrams = unpackBatch(message.batch);
        if (datagrams.length > 0) {
          this.pending = this.pending === null ? datagrams : this.pending.concat(datagrams);
          this.options.onReadable();
        }
        if (message.final) this.finish();
        else if (this.pending === null) this.pull();
        break;
      }
      case 'totals':
        this.readerTotals = message.totals;
        this.readerDepth = message.depth;
        break;
      case 'socket-error':
        this.options.log.error({ err: message.message }, 'UDP socket error');
        break;
    }
  }

  /** Asks for the next batch (see SIGNAL): a message only if the reader has something to give. */
  private pull(): void {
    if (this.pulling || this.pending !== null || this.readerThread === undefined || this.finished) return;
    this.pulling = true;
    Atomics.store(this.signals, SIGNAL.WANTED, 1);
    if (Atomics.load(this.signals, SIGNAL.HELD) > 0 || Atomics.load(this.signals, SIGNAL.CLOSED) === 1)
      this.send({ type: 'pull' });
  }

  private send(message: ToReader): void {
    this.readerThread?.postMessage(message);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const thread = this.readerThread;
    this.readerThread = undefined;
    if (thread !== undefined) void thread.terminate();
    this.options.onReadable();
    this.whenClosed?.();
  }
}
