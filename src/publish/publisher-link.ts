import type { NodeConnectionOptions } from '@nats-io/transport-node';
import type { StageCounters } from '../core/counters.js';
import type { Logger } from '../core/logger.js';
import { BASE_CONNECT_OPTIONS, redactServers } from './nats-connection.js';
import { NatsLink } from './nats-link.js';
import type { Outbox } from './outbox.js';

/**
 * What every NATS publisher is given (servers, outbox, counters, connect options) and the one
 * connection it keeps, made from that. `servers` and `name` always win over the ready-made connect
 * options, so the log names what the publisher was configured with.
 */

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
