import type { SidecarEvent } from '../../core/events.js';
import { qualifiedUser } from '../../core/events.js';
import type { StateFacts } from '../facts.js';

/**
 * What the dynamic facts of one evaluation read. An engine evaluates one event at a time
 * (json-rules-engine is not re-entrant), so one mutable holder per engine set is enough.
 */
export interface EvaluationContext {
  event: SidecarEvent;
  /** `eventFacts(event)`, computed once per evaluation. */
  fields: Readonly<Record<EventFieldFact, string | null>>;
  now: number;
  state: StateFacts;
}

/** The event's fields as facts; also what a message template may name (in this order, for its suggestions). */
export const EVENT_FIELD_FACTS = [
  'user',
  'host',
  'kind',
  'userDirectory',
  'userId',
  'origin',
  'context',
  'appId',
  'browser',
  'os',
] as const;
export type EventFieldFact = (typeof EVENT_FIELD_FACTS)[number];

/** The event's own fields as flat facts (JSONPath `path` costs 2.6x, so none are nested). */
export function eventFacts(event: SidecarEvent): Record<EventFieldFact, string | null> {
  return {
    kind: event.kind,
    host: event.host,
    user: qualifiedUser(event.user),
    userDirectory: event.user.directory,
    userId: event.user.id,
    origin: event.origin,
    context: event.context,
    appId: event.appId,
    browser: event.userAgent?.browser ?? null,
    os: event.userAgent?.os ?? null,
  };
}
