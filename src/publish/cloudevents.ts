import type { ReceiveMeta, SessionExpired, UserEvent } from '../core/events.js';
import type { Reject } from '../core/reject.js';

/**
 * CloudEvents 1.0 structured-mode JSON. The envelope and the `data` shapes are the contract
 * subscribers (the aggregator among them) rely on; change them only with a new `type` version.
 */
export interface CloudEvent<T> {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: T;
}

export const EVENT_TYPE_PREFIX = 'sense.';
export const REJECT_TYPE = 'sense.reject';
export const STATUS_TYPE = 'sense.status';
/** On the status subject: a rule reload that was refused, with every error. */
export const RULES_REJECTED_TYPE = 'sense.rules.rejected';

export function sourceOf(node: string): string {
  return `sense-sidecar/${node}`;
}

/** `data` of an event message: the decoded event, field order fixed for readable payloads. */
export function eventData(event: UserEvent): UserEvent {
  return {
    kind: event.kind,
    host: event.host,
    user: { directory: event.user.directory, id: event.user.id },
    origin: event.origin,
    context: event.context,
    appId: event.appId,
    userAgent: event.userAgent,
    message: event.message,
  };
}

/** `data` of a `sense.session.expired` message: the event's fields plus what was closed. */
export interface ExpiredData {
  readonly kind: 'session.expired';
  readonly host: string;
  readonly user: { readonly directory: string; readonly id: string };
  readonly origin: string;
  readonly context: string;
  readonly appId: null | string;
  readonly userAgent: null;
  readonly message: string;
  readonly sessions: number;
  readonly lastActivityAt: string;
}

export function expiredEnvelope(
  event: SessionExpired,
  id: string,
  node: string,
  time: number,
): CloudEvent<ExpiredData> {
  const data: ExpiredData = {
    kind: event.kind,
    host: event.host,
    user: { directory: event.user.directory, id: event.user.id },
    origin: event.origin,
    context: event.context,
    appId: event.appId,
    userAgent: null,
    message: event.message,
    sessions: event.sessions,
    lastActivityAt: new Date(event.lastActivityAt).toISOString(),
  };
  return envelope(EVENT_TYPE_PREFIX + event.kind, data, id, node, time);
}

export function eventEnvelope(
  event: UserEvent,
  meta: ReceiveMeta,
  id: string,
  node: string,
): CloudEvent<UserEvent> {
  return envelope(EVENT_TYPE_PREFIX + event.kind, eventData(event), id, node, meta.receivedAt);
}

export interface RejectData {
  readonly reason: Reject['reason'];
  readonly detail: string;
  readonly sender: { readonly address: string; readonly port: number };
  readonly bytes: number;
  readonly raw: string;
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

export function envelope<T>(type: string, data: T, id: string, node: string, time: number): CloudEvent<T> {
  return {
    specversion: '1.0',
    id,
    source: sourceOf(node),
    type,
    time: new Date(time).toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}
