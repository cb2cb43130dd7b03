import { headers, type NatsConnection } from '@nats-io/transport-node';

/**
 * The one way anything here puts a message on core NATS with its id as `Nats-Msg-Id` (the
 * sidecar's records, the aggregator's cluster alerts). The id is the message's identity: a
 * stream drops a re-send with the same id within its duplicate window, so it must be the same
 * on every attempt. Nothing is awaited: whoever calls this confirms by a flush or a PubAck.
 */

/** Publishes on core NATS with `Nats-Msg-Id: msgId`; `reply` asks JetStream for a PubAck there. */
export function publishWithMsgId(
  nc: NatsConnection,
  subject: string,
  payload: string | Uint8Array,
  msgId: string,
  reply?: string,
): void {
  const h = headers();
  h.set('Nats-Msg-Id', msgId);
  nc.publish(subject, payload, reply === undefined ? { headers: h } : { headers: h, reply });
}
