import { headers, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { StageCounters } from '../core/counters.js';
import type { Logger } from '../core/logger.js';
import { BASE_CONNECT_OPTIONS, NatsLink, raceDeadline, redactServers } from './nats-connection.js';
import type { Outbox, OutboxRecord } from './outbox.js';
import { type NatsState, type Publisher, type PublishMode, Wakeup } from './publisher.js';

export type { NatsState } from './publisher.js';

export interface NatsPublisherOptions {
  readonly servers: readonly string[];
  readonly name: string;
  readonly outbox: Outbox;
  readonly counters: StageCounters;
  readonly log: Logger;
  /**
   * Authentication, TLS and the rest of the connect options, as `natsConnectionOptions` made
   * them (its `describe` is logged instead of the servers). `servers` and `name` above win.
   */
  readonly connection?: { readonly options: NodeConnectionOptions; readonly describe: string };
  /** Records published before one flush round trip confirms them all. */
  readonly batchSize?: number;
  /** How long the first connection may take before "not reachable" is logged (once). */
  readonly unreachableLogAfterMs?: number;
  readonly reconnectTimeWaitMs?: number;
}

/** The connection a publisher keeps, from its options. */
export function createLink(options: NatsPublisherOptions): NatsLink {
  const { servers, name, connection, outbox, log } = options;
  const connectOptions: NodeConnectionOptions = {
    ...BASE_CONNECT_OPTIONS,
    ...connection?.options,
    servers: [...servers],
    name,
  };
  if (options.reconnectTimeWaitMs !== undefined)
    connectOptions.reconnectTimeWait = options.reconnectTimeWaitMs;
  return new NatsLink({
    options: connectOptions,
    describe: connection?.describe ?? redactServers(servers).join(', '),
    log,
    backlog: () => outbox.depth,
    ...(options.unreachableLogAfterMs !== undefined
      ? { unreachableLogAfterMs: options.unreachableLogAfterMs }
      : {}),
  });
}

/**
 * Drains the outbox to core NATS. A batch is removed from the outbox only after a flush round
 * trip succeeded, so records published into a connection that then dropped are sent again
 * (the client discards its outbound buffer on reconnect). Consequence: at-least-once on core
 * NATS; the `Nats-Msg-Id` header lets JetStream drop the repeats.
 */
export class NatsPublisher implements Publisher {
  private readonly link: NatsLink;
  private readonly wakeup = new Wakeup();
  private pumping: Promise<void> | undefined;
  private stopping = false;
  private halted = false;

  constructor(private readonly options: NatsPublisherOptions) {
    this.link = createLink(options);
    this.link.onChange(() => this.wakeup.wake());
  }

  get state(): NatsState {
    return this.link.state;
  }

  get mode(): PublishMode {
    return 'core';
  }

  start(): Promise<void> {
    if (this.pumping !== undefined || this.stopping) return Promise.resolve();
    this.link.start();
    this.pumping = this.pump();
    return Promise.resolve();
  }

  /** Publishes what is left until the outbox is empty or the deadline passes, then drains NATS. */
  async stop(deadline: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { outbox, log } = this.options;
    if (this.link.state === 'connected') await raceDeadline(outbox.whenEmpty(), deadline);
    this.halted = true;
    this.wakeup.wake();
    await raceDeadline(this.pumping ?? Promise.resolve(), deadline);
    if (outbox.depth > 0)
      log.warn({ unpublished: outbox.depth }, 'stopping with records not yet confirmed by NATS');
    await this.link.close(deadline);
  }

  private async pump(): Promise<void> {
    const { outbox, counters } = this.options;
    const batchSize = this.options.batchSize ?? 512;
    for (;;) {
      if (this.halted) return;
      if (outbox.depth === 0) {
        if (this.stopping) return;
        await this.wakeup.until(outbox.whenNotEmpty());
        continue;
      }
      const nc = this.link.connection;
      if (nc === undefined || this.link.state !== 'connected') {
        if (this.stopping) return;
        await this.wakeup.until(this.link.whenConnected());
        continue;
      }
      const batch = outbox.peek(batchSize);
      try {
        await publishCoreBatch(nc, batch);
        outbox.acknowledge(batch.length);
        counters.published += batch.length;
      } catch {
        // The connection dropped under the batch: it stays in the outbox and goes out again
        // once the client has reconnected. The pause keeps a persistent error from spinning.
        counters.publishErrors++;
        await this.wakeup.until(undefined, 250);
      }
    }
  }
}

/** Publishes the records on core NATS with their `Nats-Msg-Id`, then one flush round trip. */
export async function publishCoreBatch(nc: NatsConnection, batch: readonly OutboxRecord[]): Promise<void> {
  for (const record of batch) publishCore(nc, record);
  await nc.flush();
}

/** One record on core NATS, with its id as `Nats-Msg-Id`; `reply` asks JetStream for a PubAck there. */
export function publishCore(nc: NatsConnection, record: OutboxRecord, reply?: string): void {
  const h = headers();
  h.set('Nats-Msg-Id', record.id);
  nc.publish(record.subject, record.payload, reply === undefined ? { headers: h } : { headers: h, reply });
}
