import type { AlertNotice } from '../rules/engine/evaluator.js';
import type { AlertData } from '../contract/data.js';
import { type CloudEvent, envelope } from '../contract/envelope.js';
import { ALERT_FIRING_TYPE, ALERT_RESOLVED_TYPE } from '../contract/types.js';

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
