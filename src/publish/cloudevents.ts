import type { ReceiveMeta, SessionExpired, UserEvent } from '../core/events.js';
import type { Reject } from '../core/reject.js';
import type { ExpiredData, RejectData } from '../contract/data.js';
import { type CloudEvent, envelope } from '../contract/envelope.js';
import { eventType, REJECT_TYPE } from '../contract/types.js';

/** The sidecar's event and reject messages, built in the shapes contract/data.ts names. */

/** The fields every user-event message starts with, after `kind`, in payload order. */
function whereAndWho(
  event: UserEvent | SessionExpired,
): Pick<UserEvent, 'host' | 'user' | 'origin' | 'context'> {
  return {
    host: event.host,
    user: { directory: event.user.directory, id: event.user.id },
    origin: event.origin,
    context: event.context,
  };
}

/** `data` of an event message: the decoded event, field order fixed for readable payloads. */
export function eventData(event: UserEvent): UserEvent {
  return {
    kind: event.kind,
    ...whereAndWho(event),
    appId: event.appId,
    userAgent: event.userAgent,
    message: event.message,
  };
}

export function expiredEnvelope(
  event: SessionExpired,
  id: string,
  node: string,
  time: number,
): CloudEvent<ExpiredData> {
  const data: ExpiredData = {
    kind: event.kind,
    ...whereAndWho(event),
    appId: event.appId,
    userAgent: null,
    message: event.message,
    sessions: event.sessions,
    lastActivityAt: new Date(event.lastActivityAt).toISOString(),
  };
  return envelope(eventType(event.kind), data, id, node, time);
}

export function eventEnvelope(
  event: UserEvent,
  meta: ReceiveMeta,
  id: string,
  node: string,
): CloudEvent<UserEvent> {
  return envelope(eventType(event.kind), eventData(event), id, node, meta.receivedAt);
}

export function rejectEnvelope(
  reject: Reject,
  meta: ReceiveMeta,
  id: string,
  node: string,
): CloudEvent<RejectData> {
  const data: RejectData = {
    reason: reject.reason,
    detail: reject.detail,
    sender: { address: meta.source.address, port: meta.source.port },
    bytes: reject.bytes,
    raw: reject.raw,
  };
  return envelope(REJECT_TYPE, data, id, node, meta.receivedAt);
}
