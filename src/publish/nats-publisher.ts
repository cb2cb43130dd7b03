import { headers, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { StageCounters } from '../core/counters.js';
import type { Logger } from '../core/logger.js';
import { BASE_CONNECT_OPTIONS, redactServers } from './nats-connection.js';
import { NatsLink } from './nats-link.js';
import type { Outbox, OutboxRecord } from './outbox.js';

/** Shared by the JetStream publisher: connection options and core-NATS publishing. */
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
