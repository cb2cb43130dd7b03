import { createHash } from 'node:crypto';
import type { AlertNotice } from '../rules/engine/evaluator.js';
import type { Rule } from '../rules/types.js';

/** The sidecar's own alerts, published like a rule's so that the same consumers see them. */
export const OUTBOX_FULL_RULE: Rule = {
  id: 'sidecar-outbox-full',
  origin: 'built-in',
  action: 'alert',
  severity: 'critical',
  on: [],
  when: {},
  key: 'none',
  throttleMs: 60_000,
  resolve: false,
  message: '',
  description:
    'The outbox reached its limit (outbox.maxBytes) or the disk under dataDir is full: records are being dropped, lowest priority first.',
  timezone: null,
  enabled: true,
};

export function outboxFullNotice(
  input: { priority: string; bytes: number; maxBytes: number; node: string; diskFull?: boolean },
  now: number,
): AlertNotice {
  const alertId = createHash('sha256')
    .update(`${OUTBOX_FULL_RULE.id}\u0000${input.priority}\u0000${now}`)
    .digest('hex')
    .slice(0, 32);
  return {
    status: 'firing',
    alertId,
    notification: 1,
    rule: OUTBOX_FULL_RULE,
    key: input.priority,
    host: input.node,
    user: { directory: '', id: '' },
    firingSince: now,
    at: now,
    message:
      input.diskFull === true
        ? `outbox full on ${input.node}: the disk under dataDir is full (${input.bytes} bytes waiting): ` +
          `${input.priority} records are being dropped; free disk space or bring NATS back`
        : `outbox full on ${input.node} (${input.bytes} of ${input.maxBytes} bytes): ${input.priority} records are being ` +
          'dropped; NATS has not acknowledged for a while or outbox.maxBytes is too small',
    facts: {
      priority: input.priority,
      outboxBytes: input.bytes,
      maxBytes: input.maxBytes,
      diskFull: input.diskFull === true,
    },
    conditions: [],
    eventIds: [],
  };
}
