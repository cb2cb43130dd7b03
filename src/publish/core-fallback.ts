import type { NatsConnection } from '@nats-io/transport-node';
import type { StageCounters } from '../core/counters.js';
import { publishWithMsgId } from './msg-id-publish.js';
import type { Outbox, OutboxRecord } from './outbox.js';
import { type BacklogProgress, countRetry, type PublisherStats, type Wakeup } from './publisher.js';
import type { RetryBackoff } from './retry-backoff.js';

/**
 * Core NATS publishing, for a server without JetStream (or `jetstream: false`): at least once.
 * A batch counts as delivered only after the flush round trip, so the outbox is acknowledged after
 * it and never before; the ids still go out as `Nats-Msg-Id` for whoever consumes them.
 */

export interface CoreFallbackParts {
  readonly outbox: Outbox;
  readonly counters: StageCounters;
  readonly stats: PublisherStats;
  readonly progress: BacklogProgress;
  readonly wakeup: Wakeup;
  readonly backoff: RetryBackoff;
  /** Records published before one flush round trip confirms them all. */
  readonly batchSize: number;
}

/** Publishes the records on core NATS with their `Nats-Msg-Id`, then one flush round trip. */
export async function publishCoreBatch(nc: NatsConnection, batch: readonly OutboxRecord[]): Promise<void> {
  for (const record of batch) publishWithMsgId(nc, record.subject, record.payload, record.id);
  await nc.flush();
}

/**
 * One batch from the head of the outbox, acknowledged once flushed. A connection lost under the
 * batch is counted and the batch goes out again (after a short pause) once the client reconnected.
 */
export async function publishCoreOnce(nc: NatsConnection, parts: CoreFallbackParts): Promise<void> {
  const { outbox, counters, stats } = parts;
  const batch = outbox.peek(parts.batchSize);
  stats.inFlight = batch.length;
  try {
    await publishCoreBatch(nc, batch);
    outbox.acknowledge(batch.length);
    counters.published += batch.length;
    const now = Date.now();
    stats.lastAckAt = now;
    parts.backoff.reset();
    parts.progress.confirmed(batch.length, outbox.depth, now);
  } catch {
    counters.publishErrors++;
    countRetry(stats);
    await parts.wakeup.until(undefined, 250);
  } finally {
    stats.inFlight = 0;
  }
}
