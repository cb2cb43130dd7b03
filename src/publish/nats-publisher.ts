import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { StageCounters } from '../core/counters.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { Outbox, OutboxRecord } from './outbox.js';

export interface NatsPublisherOptions {
  readonly servers: readonly string[];
  readonly name: string;
  readonly outbox: Outbox;
  readonly counters: StageCounters;
  readonly log: Logger;
  /** Records published before one flush round trip confirms them all. */
  readonly batchSize?: number;
  /** How long the first connection may take before "not reachable" is logged (once). */
  readonly unreachableLogAfterMs?: number;
  readonly reconnectTimeWaitMs?: number;
}

export type NatsState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/**
 * Drains the outbox to core NATS. A batch is removed from the outbox only after a flush round
 * trip succeeded, so records published into a connection that then dropped are sent again
 * (the client discards its outbound buffer on reconnect). Consequence: at-least-once on core
 * NATS; the `Nats-Msg-Id` header lets JetStream drop the repeats.
 */
export class NatsPublisher implements Lifecycle {
  private connection: NatsConnection | undefined;
  private connecting: Promise<NatsConnection> | undefined;
  private pumping: Promise<void> | undefined;
  private stopping = false;
  private connectedWaiters: (() => void)[] = [];
  private wakeStop: (() => void) | undefined;
  private readonly stopSignal: Promise<void>;
  private _state: NatsState = 'connecting';

  constructor(private readonly options: NatsPublisherOptions) {
    this.stopSignal = new Promise((resolve) => {
      this.wakeStop = resolve;
    });
  }

  get state(): NatsState {
    return this._state;
  }

  start(): Promise<void> {
    if (this.connecting !== undefined) return Promise.resolve();
    const { servers, name, log } = this.options;
    log.info({ servers }, 'connecting to NATS');
    const unreachable = setTimeout(() => {
      log.warn(
        { servers, outboxDepth: this.options.outbox.depth },
        'NATS is not reachable yet; intake goes on, records wait in the outbox, connection retried forever',
      );
    }, this.options.unreachableLogAfterMs ?? 2_000);
    this.connecting = connect({
      servers: [...servers],
      name,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectTimeWaitMs ?? 1_000,
      reconnectJitter: 500,
      pingInterval: 10_000,
      maxPingOut: 3,
    });
    this.connecting.then(
      (nc) => {
        clearTimeout(unreachable);
        this.connection = nc;
        if (this.stopping) {
          void nc.close();
          return;
        }
        this.setConnected();
        log.info({ server: nc.getServer() }, 'connected to NATS');
        void this.watchStatus(nc);
      },
      (error: unknown) => {
        clearTimeout(unreachable);
        log.error({ err: error }, 'NATS connection failed for good');
        this._state = 'closed';
      },
    );
    this.pumping = this.pump();
    return Promise.resolve();
  }

  /** Publishes what is left until the outbox is empty or the deadline passes, then drains NATS. */
  async stop(deadline: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { outbox, log } = this.options;
    if (this.connection !== undefined && this._state === 'connected') {
      await raceDeadline(outbox.whenEmpty(), deadline);
    }
    this.wakeStop?.();
    this.wakeConnectedWaiters();
    await raceDeadline(this.pumping ?? Promise.resolve(), deadline);
    if (outbox.depth > 0)
      log.warn({ unpublished: outbox.depth }, 'stopping with records not yet confirmed by NATS');
    const nc = this.connection;
    if (nc !== undefined && !nc.isClosed()) {
      await raceDeadline(
        nc.drain().catch(() => nc.close()),
        deadline,
      );
      if (!nc.isClosed()) await nc.close();
    }
    this._state = 'closed';
  }

  private setConnected(): void {
    this._state = 'connected';
    this.wakeConnectedWaiters();
  }

  private wakeConnectedWaiters(): void {
    for (const wake of this.connectedWaiters.splice(0)) wake();
  }

  private whenConnected(): Promise<void> {
    if (this._state === 'connected') return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    const { log, outbox } = this.options;
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
          if (this._state === 'connected') {
            this._state = 'disconnected';
            log.warn(
              { server: status.server },
              'NATS connection lost; records wait in the outbox, reconnecting',
            );
          }
          break;
        case 'reconnect':
          log.info(
            { server: status.server, backlog: outbox.depth },
            'NATS connection back; publishing the backlog',
          );
          this.setConnected();
          break;
        case 'error':
          log.error({ err: status.error }, 'NATS reported an error');
          break;
        case 'close':
          this._state = 'closed';
          return;
        case 'reconnecting':
        case 'update':
        case 'ldm':
        case 'ping':
        case 'staleConnection':
        case 'forceReconnect':
        case 'slowConsumer':
          break;
      }
    }
  }

  private async pump(): Promise<void> {
    const { outbox, counters } = this.options;
    const batchSize = this.options.batchSize ?? 512;
    while (!this.stopping || (this._state === 'connected' && outbox.depth > 0)) {
      await Promise.race([outbox.whenNotEmpty(), this.stopSignal]);
      if (outbox.depth === 0) {
        if (this.stopping) return;
        continue;
      }
      await Promise.race([this.whenConnected(), this.stopSignal]);
      const nc = this.connection;
      if (nc === undefined || this._state !== 'connected') {
        if (this.stopping) return;
        continue;
      }
      const batch = outbox.peek(batchSize);
      try {
        for (const record of batch) publishRecord(nc, record);
        await nc.flush();
        outbox.acknowledge(batch.length);
        counters.published += batch.length;
      } catch {
        // The connection dropped under the batch: it stays in the outbox and goes out again
        // once the client has reconnected. The pause keeps a persistent error from spinning.
        counters.publishErrors++;
        await Promise.race([pause(250), this.stopSignal]);
      }
    }
  }
}

function publishRecord(nc: NatsConnection, record: OutboxRecord): void {
  const h = headers();
  h.set('Nats-Msg-Id', record.id);
  nc.publish(record.subject, record.payload, { headers: h });
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function raceDeadline(work: Promise<unknown>, deadline: number): Promise<void> {
  const ms = Math.max(0, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work.then(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
