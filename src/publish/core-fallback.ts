import type { NatsConnection } from '@nats-io/transport-node';
import { publishWithMsgId } from './msg-id-publish.js';
import type { OutboxRecord } from './outbox.js';

/**
 * Core NATS publishing, for a server without JetStream (or `jetstream: false`): at least once.
 * A batch counts as delivered only after the flush round trip, so the outbox is acknowledged after
 * it and never before; the ids still go out as `Nats-Msg-Id` for whoever consumes them.
 */

/** Publishes the records on core NATS with their `Nats-Msg-Id`, then one flush round trip. */
export async function publishCoreBatch(nc: NatsConnection, batch: readonly OutboxRecord[]): Promise<void> {
  for (const record of batch) publishWithMsgId(nc, record.subject, record.payload, record.id);
  await nc.flush();
}
