import type { UserRef } from '../core/events.js';
import type { AlertData } from './data.js';
import {
  agentOf,
  type AgentSummary,
  boundedText,
  type ConditionSummary,
  conditionsOf,
} from './decode-details.js';
import { nodeOfSource, isRecord, type ReceivedEnvelope } from './envelope.js';
import { ALERT_FIRING_TYPE, ALERT_RESOLVED_TYPE, eventType, REJECT_TYPE, STATUS_TYPE } from './types.js';

/**
 * What the aggregator makes of a received message from any sidecar (see README "Subjects and
 * payloads"): `data` arrives unchecked; decodeMessage checks what the view needs and never throws.
 */

/** `subject-mismatch`: the subject names another node or host than the message (see subjectAgrees). */
export type InvalidReason = 'bad-envelope' | 'bad-time' | 'bad-data' | 'subject-mismatch';

interface Common {
  readonly id: string;
  readonly node: string;
  /** Epoch ms of the message's `time`. */
  readonly time: number;
}

interface UserFields extends Common {
  readonly host: string;
  readonly user: UserRef;
}

/** A message the view understands, checked. */
export type Decoded =
  | (UserFields & { readonly kind: 'session.start' | 'session.stop' })
  | (UserFields & { readonly kind: 'session.expired'; readonly sessions: number })
  | (UserFields & {
      readonly kind: 'connection.open' | 'connection.close';
      readonly appId: string | null;
      /** Browser and OS from the connection's user agent, when the sidecar could tell. */
      readonly agent: AgentSummary | null;
    })
  | (Common & { readonly kind: 'status'; readonly status: StatusSummary })
  | (Common & { readonly kind: 'reject'; readonly reason: string })
  | (Common & { readonly kind: 'alert'; readonly alert: AlertSummary });

/** What the view keeps of a sidecar's status message (README "status"). */
export interface StatusSummary {
  readonly version: string;
  /** Epoch ms, or null when missing. */
  readonly startedAt: number | null;
  readonly uptimeSeconds: number | null;
  readonly received: number | null;
  readonly decoded: number | null;
  readonly rejected: number | null;
  readonly published: number | null;
  readonly publishErrors: number | null;
  readonly udpReceiveErrors: number | null;
  readonly intakeDepth: number | null;
  readonly outboxDepth: number | null;
  readonly nats: string;
}

/** What the view keeps of an alert message; `firingSince` as epoch ms. */
export type AlertSummary = Pick<
  AlertData,
  'alertId' | 'status' | 'rule' | 'severity' | 'key' | 'host' | 'node' | 'message' | 'notification'
> & {
  readonly firingSince: number;
  /** The rule's description (bounded). */
  readonly description: string;
  /** Its leaf conditions with their values: why it fired (bounded). */
  readonly conditions: readonly ConditionSummary[];
};

export type DecodeResult =
  | { readonly ok: true; readonly message: Decoded }
  | { readonly ok: false; readonly invalid: InvalidReason }
  | { readonly ok: false; readonly invalid: null; readonly ignoredType: string };

/** CloudEvents `type` → what to decode. Anything else is ignored (counted by the view). */
const TYPES = new Map<string, Decoded['kind']>([
  [eventType('session.start'), 'session.start'],
  [eventType('session.stop'), 'session.stop'],
  [eventType('session.expired'), 'session.expired'],
  [eventType('connection.open'), 'connection.open'],
  [eventType('connection.close'), 'connection.close'],
  [STATUS_TYPE, 'status'],
  [REJECT_TYPE, 'reject'],
  [ALERT_FIRING_TYPE, 'alert'],
  [ALERT_RESOLVED_TYPE, 'alert'],
]);

/** Checks one message; never throws. An unknown `type` is not invalid, only ignored. */
export function decodeMessage(input: ReceivedEnvelope): DecodeResult {
  if (typeof input.id !== 'string' || input.id === '' || typeof input.source !== 'string') {
    return { ok: false, invalid: 'bad-envelope' };
  }
  const kind = TYPES.get(input.type);
  if (kind === undefined) return { ok: false, invalid: null, ignoredType: input.type };
  const time = typeof input.time === 'string' ? Date.parse(input.time) : Number.NaN;
  if (!Number.isFinite(time)) return { ok: false, invalid: 'bad-time' };
  const common: Common = { id: input.id, node: nodeOfSource(input.source), time };
  const data = input.data;
  if (!isRecord(data)) return { ok: false, invalid: 'bad-data' };
  const message = decodeData(kind, input.type, common, data);
  return message === null ? { ok: false, invalid: 'bad-data' } : { ok: true, message };
}

function decodeData(
  kind: Decoded['kind'],
  type: string,
  common: Common,
  data: Record<string, unknown>,
): Decoded | null {
  switch (kind) {
    case 'session.start':
    case 'session.stop':
    case 'session.expired':
    case 'connection.open':
    case 'connection.close': {
      const host = data.host;
      const user = userOf(data.user);
      if (typeof host !== 'string' || host === '' || user === null) return null;
      const { id, node, time } = common;
      if (kind === 'session.expired') {
        const sessions = data.sessions;
        if (typeof sessions !== 'number' || !Number.isInteger(sessions) || sessions < 0) return null;
        return { kind, id, node, time, host, user, sessions };
      }
      if (kind === 'connection.open' || kind === 'connection.close') {
        const appId = data.appId ?? null;
        if (appId !== null && typeof appId !== 'string') return null;
        const agent = agentOf(data.userAgent);
        return { kind, id, node, time, host, user, appId: appId === '' ? null : appId, agent };
      }
      return { kind, id, node, time, host, user };
    }
    case 'status':
      return { ...common, kind, status: statusOf(data) };
    case 'reject':
      return { ...common, kind, reason: typeof data.reason === 'string' ? data.reason : 'unknown' };
    case 'alert': {
      const alertId = data.alertId;
      if (typeof alertId !== 'string' || alertId === '') return null;
      const status = type === ALERT_RESOLVED_TYPE ? 'resolved' : 'firing';
      const firingSince = typeof data.firingSince === 'string' ? Date.parse(data.firingSince) : Number.NaN;
      return {
        ...common,
        kind,
        alert: {
          alertId,
          status,
          rule: text(data.rule),
          severity: text(data.severity),
          key: text(data.key),
          host: text(data.host),
          node: typeof data.node === 'string' ? data.node : common.node,
          message: text(data.message),
          firingSince: Number.isFinite(firingSince) ? firingSince : common.time,
          notification: typeof data.notification === 'number' ? data.notification : 0,
          description: boundedText(data.description),
          conditions: conditionsOf(data.conditions),
        },
      };
    }
  }
}

function userOf(value: unknown): UserRef | null {
  if (!isRecord(value)) return null;
  const { directory, id } = value;
  if (typeof directory !== 'string' || typeof id !== 'string' || id === '') return null;
  return { directory, id };
}

function statusOf(data: Record<string, unknown>): StatusSummary {
  const startedAt = typeof data.startedAt === 'string' ? Date.parse(data.startedAt) : Number.NaN;
  return {
    version: text(data.version),
    startedAt: Number.isFinite(startedAt) ? startedAt : null,
    uptimeSeconds: num(data.uptimeSeconds),
    received: num(data.received),
    decoded: num(data.decoded),
    rejected: num(data.rejected),
    published: num(data.published),
    publishErrors: num(data.publishErrors),
    udpReceiveErrors: num(data.udpReceiveErrors),
    intakeDepth: num(data.intakeDepth),
    outboxDepth: num(data.outboxDepth),
    nats: text(data.nats),
  };
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
