import type { SidecarEventKind } from '../core/events.js';

/**
 * The CloudEvents `type` of every message on the wire. A change of shape takes a new type;
 * subscribers match on these strings, never on the subject.
 */
export const EVENT_TYPE_PREFIX = 'sense.';
export const REJECT_TYPE = 'sense.reject';
export const STATUS_TYPE = 'sense.status';
/** On the status subject: a rule reload that was refused, with every error. */
export const RULES_REJECTED_TYPE = 'sense.rules.rejected';
export const ALERT_FIRING_TYPE = 'sense.alert.firing';
export const ALERT_RESOLVED_TYPE = 'sense.alert.resolved';

/** `session.start` → `sense.session.start`. */
export function eventType(kind: SidecarEventKind): string {
  return EVENT_TYPE_PREFIX + kind;
}
