import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { ReceiveMeta } from '../core/events.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';

export interface UdpSourceOptions {
  readonly host: string;
  readonly port: number;
  readonly receiveBufferBytes: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Checked before anything else, on the socket's turn. */
  readonly isAllowed: (address: string) => boolean;
  /** Called on the socket's turn: must only enqueue, never decode or do I/O. */
  readonly onDatagram: (bytes: Uint8Array, meta: ReceiveMeta, allowed: boolean) => void;
}

/** How long the socket must be quiet at stop before it is closed, and the most stop waits for that. */
const QUIET_MS = 100;
const MAX_DRAIN_MS = 2_000;

/** The socket shell: binds, asks the kernel for a large receive buffer, hands datagrams on. */
export class UdpSource implements Lifecycle {
  private socket: Socket | undefined;
  private boundPort: number | undefined;
  private lastDatagramAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: UdpSourceOptions) {}

  /** The bound port (useful when configured as 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.socket !== undefined) return;
    const { host, port, receiveBufferBytes, clock, log, isAllowed, onDatagram } = this.options;
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: receiveBufferBytes });
    this.socket = socket;
    socket.on('message', (bytes, rinfo) => {
      this.lastDatagramAt = clock.now();
      const meta: ReceiveMeta = {
        receivedAt: clock.now(),
        source: { address: rinfo.address, port: rinfo.port },
      };
      onDatagram(bytes, meta, isAllowed(rinfo.address));
    });
    socket.on('error', (error) => {
      log.error({ err: error }, 'UDP socket error');
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.boundPort = socket.address().port;
    const granted = socket.getRecvBufferSize();
    // Linux reports twice the size it was asked for (bookkeeping overhead); half of it is usable.
    if (granted < receiveBufferBytes) {
      log.warn(
        { requested: receiveBufferBytes, granted },
        `the kernel granted a smaller UDP receive buffer than requested; bursts may be lost. ` +
          `Raise the limit, e.g. sysctl -w net.core.rmem_max=${receiveBufferBytes}`,
      );
    }
    log.info(
      { host, port: this.boundPort, receiveBufferBytes: granted },
      'listening for Qlik user events (UDP)',
    );
  }

  /**
   * Datagrams the kernel already holds for us count as in flight: keep reading until the socket
   * has been quiet for a moment (or the deadline is near), then close it.
   */
  async stop(deadline: number): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return;
    this.socket = undefined;
    const { clock } = this.options;
    const quietDeadline = Math.min(deadline, clock.now() + MAX_DRAIN_MS);
    while (clock.now() - this.lastDatagramAt < QUIET_MS && clock.now() < quietDeadline) {
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS / 4));
    }
    await new Promise<void>((resolve) => {
      socket.close(() => {
        resolve();
      });
    });
  }
}
