import type { AlertNotice } from '../rules/engine/evaluator.js';
import { type CloudEvent, envelope } from './cloudevents.js';

export const ALERT_FIRING_TYPE = 'sense.alert.firing';
export const ALERT_RESOLVED_TYPE = 'sense.alert.resolved';

/** `data` of an alert message (see README "Alerts"). */
export interface AlertData {
  readonly alertId: string;
  readonly status: 'firing' | 'resolved';
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly key: string;
  readonly host: string;
  readonly node: string;
  readonly message: string;
  readonly firingSince: string;
  readonly notification: number;
  /** Fact name → the value it had when the rule was evaluated. */
  readonly facts: Readonly<Record<string, unknown>>;
  /** Every leaf condition: fact, params, operator, threshold (`value`), the fact's value and the outcome. */
  readonly conditions: AlertNotice['conditions'];
  /** CloudEvents ids of the events that made it fire (most recent last). */
  readonly eventIds: readonly string[];
}

/**
 * The message id is derived from the alert id and the notice, so that re-sending the same
 * notice (after a crash) is recognised as a duplicate, while a repeat after the throttle is not.
 */
export function alertMessageId(notice: AlertNotice): string {
  return notice.status === 'firing' ? `${notice.alertId}-f${notice.notification}` : `${notice.alertId}-r`;
}

export function alertEnvelope(notice: AlertNotice, node: string): CloudEvent<AlertData> {
  const data: AlertData = {
    alertId: notice.alertId,
    status: notice.status,
    rule: notice.rule.id,
    severity: notice.rule.severity,
    description: notice.rule.description,
    key: notice.key,
    host: notice.host,
    node,
    message: notice.message,
    firingSince: new Date(notice.firingSince).toISOString(),
    notification: notice.notification,
    facts: notice.facts,
    conditions: notice.conditions,
    eventIds: notice.eventIds,
  };
  const type = notice.status === 'firing' ? ALERT_FIRING_TYPE : ALERT_RESOLVED_TYPE;
  return envelope(type, data, alertMessageId(notice), node, notice.at);
}
