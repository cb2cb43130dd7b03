import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createSourceFilter } from '../config/address-filter.js';
import { type Datagram, unpackBatch } from './datagram-batch.js';
import {
  type DatagramSource,
  type DatagramSourceOptions,
  DEFAULT_MAX_BATCH,
  DRAIN_QUIET_MS,
  logListening,
  MAX_DRAIN_MS,
} from './datagram-source.js';
import { ArrivalRate, type HandOffPolicy, handOffDelay, IMMEDIATE } from './hand-off-policy.js';
import { PackingQueue } from './packing-queue.js';
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
  private readonly queue: PackingQueue;
  private readonly isAllowed: (address: string) => boolean;
  private readonly handOff: HandOffPolicy;
  private readonly arrivals = new ArrivalRate();
  private received = 0;
  private dropped = 0;
  private lastDatagramAt = Number.NEGATIVE_INFINITY;
  private waitTimer: NodeJS.Timeout | null = null;
  private notifyScheduled = false;
  private stopping = false;
  private closed = false;

  constructor(private readonly options: DatagramSourceOptions) {
    this.queue = new PackingQueue(options.queueSize, options.maxBatch ?? DEFAULT_MAX_BATCH);
    this.isAllowed = createSourceFilter(options.allowedSources);
    this.handOff = options.handOff ?? IMMEDIATE;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  get depth(): number {
    return this.queue.length;
  }

  get totals(): ReaderTotals {
    return { received: this.received, dropped: this.dropped };
  }

  get exhausted(): boolean {
    return this.closed && this.queue.length === 0;
  }

  async start(): Promise<void> {
    if (this.socket !== undefined || this.stopping) return;
    const { host, port, receiveBufferBytes, log } = this.options;
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: receiveBufferBytes });
    socket.on('message', (bytes, rinfo) => {
      this.arrived(bytes, rinfo.address, rinfo.port);
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
    const batch = this.queue.take();
    if (this.queue.length > 0) this.schedule();
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
    await this.quiet(Math.min(Date.now() + MAX_DRAIN_MS, deadline));
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

  private arrived(bytes: Uint8Array, address: string, port: number): void {
    const now = Date.now();
    this.lastDatagramAt = now;
    this.arrivals.note(now);
    this.received++;
    const datagram = { bytes, address, port, receivedAt: now, allowed: this.isAllowed(address) };
    if (!this.queue.push(datagram)) {
      this.dropped++;
      return;
    }
    this.schedule();
  }

  /** Milliseconds until what is held is due (0: now), or null when nothing is held. */
  private delay(): number | null {
    const held = this.queue.length;
    if (held === 0) return null;
    const now = Date.now();
    const oldest = this.queue.oldestReceivedAt() ?? now;
    return handOffDelay(this.handOff, held, oldest, now, this.closed, this.arrivals.perSecond);
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

  /** Resolves once no datagram arrived for DRAIN_QUIET_MS, or at `giveUpAt`. */
  private async quiet(giveUpAt: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now - this.lastDatagramAt >= DRAIN_QUIET_MS || now >= giveUpAt) return;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_QUIET_MS / 4));
    }
  }
}
