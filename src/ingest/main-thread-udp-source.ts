import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
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
import { HeldDatagrams, untilQuiet } from './held-datagrams.js';
import type { ReaderTotals } from './reader-protocol.js';

const EMPTY: readonly Datagram[] = [];

/**
 * The socket read on the main thread (`intake.readerThread: false`): the same checks, bound and
 * hand-off policy as the reader thread, without the thread. A quiet node pays for one thread and
 * one isolate less; the price is that while the main thread decodes, judges or collects, nothing
 * reads the socket and a burst must fit the kernel's receive buffer.
 *
 * Invariant: `take` hands out only what the policy says is due, and whenever datagrams are held
 * that are not yet due, a timer is armed for the moment they are.
 */
export class MainThreadUdpSource implements DatagramSource {
  private socket: Socket | undefined;
  private boundPort: number | undefined;
  private readonly held: HeldDatagrams;
  private waitTimer: NodeJS.Timeout | null = null;
  private notifyScheduled = false;
  private stopping = false;
  private closed = false;

  constructor(private readonly options: DatagramSourceOptions) {
    this.held = new HeldDatagrams({
      queueSize: options.queueSize,
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      allowedSources: options.allowedSources,
      handOff: options.handOff ?? IMMEDIATE,
    });
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  get depth(): number {
    return this.held.length;
  }

  get totals(): ReaderTotals {
    return this.held.totals;
  }

  get exhausted(): boolean {
    return this.closed && this.held.length === 0;
  }

  async start(): Promise<void> {
    if (this.socket !== undefined || this.stopping) return;
    const { host, port, receiveBufferBytes, log } = this.options;
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: receiveBufferBytes });
    socket.on('message', (bytes, rinfo) => {
      if (this.held.arrive(bytes, rinfo.address, rinfo.port, Date.now())) this.schedule();
    });
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once('error', failed);
      socket.once('listening', () => {
        socket.off('error', failed);
        socket.on('error', (error) => {
          log.error({ err: error.message }, 'UDP socket error');
        });
        resolve();
      });
      socket.bind({ address: host, port, exclusive: true });
    });
    this.socket = socket;
    this.boundPort = socket.address().port;
    logListening(log, this.options, this.boundPort, socket.getRecvBufferSize());
  }

  take(): readonly Datagram[] {
    if (this.delay() !== 0) {
      this.schedule();
      return EMPTY;
    }
    const batch = this.held.take();
    if (this.held.length > 0) this.schedule();
    return batch === undefined ? EMPTY : unpackBatch(batch);
  }

  /**
   * Reads on until the socket has been quiet for a moment (datagrams the kernel holds count as in
   * flight; at most MAX_DRAIN_MS or the deadline), then closes it; what is held is still handed
   * out by `take` until `exhausted`.
   */
  async stop(deadline: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const socket = this.socket;
    if (socket === undefined) {
      this.closed = true;
      return;
    }
    await untilQuiet(this.held, DRAIN_QUIET_MS, Math.min(Date.now() + MAX_DRAIN_MS, deadline));
    await new Promise<void>((resolve) => {
      socket.close(() => {
        resolve();
      });
    });
    this.closed = true;
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    this.options.onReadable();
  }

  /** Milliseconds until what is held is due (0: now), or null when nothing is held. */
  private delay(): number | null {
    return this.held.length === 0 ? null : this.held.delay(Date.now(), this.closed);
  }

  /**
   * Tells the loop when datagrams are due: in the next turn if they are now (so that the
   * datagrams of one poll of the socket travel together), else when the oldest has waited enough.
   */
  private schedule(): void {
    const delay = this.delay();
    if (delay === null) return;
    if (delay > 0) {
      this.waitTimer ??= setTimeout(() => {
        this.waitTimer = null;
        this.schedule();
      }, delay);
      return;
    }
    if (this.waitTimer !== null) {
      clearTimeout(this.waitTimer);
      this.waitTimer = null;
    }
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      this.options.onReadable();
    });
  }
}
