import type { AlertRecord } from '../types.js';
import { facts, iso, type Origin, oneLine, title } from './notice-text.js';

/**
 * The JSON bodies of the HTTP receivers. Pure: a notice (and the receiver's name) in, the body
 * out. The generic webhook's shape is ours and versioned (README "Alert receivers"); Slack's and
 * Teams' are what their incoming webhooks accept.
 */

/** The generic webhook body, `version: 1`. `id` is stable per notice: receivers can drop a re-send by it. */
export function webhookBody(notice: AlertRecord, origin: Origin, receiver: string): Record<string, unknown> {
  return {
    version: 1,
    id: notice.id,
    receiver,
    status: notice.status,
    alertId: notice.alertId,
    rule: notice.rule,
    severity: notice.severity,
    origin,
    key: notice.key,
    host: notice.host,
    node: notice.node,
    message: notice.message,
    firingSince: iso(notice.firingSince),
    time: iso(notice.time),
    notification: notice.notification,
    description: notice.description,
    conditions: notice.conditions,
  };
}

/** Slack's mrkdwn treats &, < and > as markup. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack: `text` is the notification and fallback, `blocks` the message shown. */
export function slackBody(notice: AlertRecord, origin: Origin): Record<string, unknown> {
  const head = title(notice, origin);
  const message = slackEscape(notice.message);
  return {
    text: `${head}: ${oneLine(notice.message)}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: head.slice(0, 150) } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: message === '' ? '_(no message)_' : message.slice(0, 3000) },
      },
      {
        type: 'section',
        fields: facts(notice, origin)
          .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${slackEscape(v)}` }))
          .slice(0, 10),
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `alert ${slackEscape(notice.alertId)} · notice ${slackEscape(notice.id)}` },
        ],
      },
    ],
  };
}

/**
 * Teams: an Adaptive Card in a message, which Teams' Workflows webhooks (the replacement for the
 * retired Office 365 connectors and their MessageCard) accept.
 */
export function teamsBody(notice: AlertRecord, origin: Origin): Record<string, unknown> {
  const firing = notice.status === 'firing';
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Medium',
              weight: 'Bolder',
              wrap: true,
              color: firing ? (notice.severity === 'critical' ? 'Attention' : 'Warning') : 'Good',
              text: title(notice, origin),
            },
            { type: 'TextBlock', wrap: true, text: notice.message === '' ? '(no message)' : notice.message },
            { type: 'FactSet', facts: facts(notice, origin).map(([k, v]) => ({ title: k, value: v })) },
            {
              type: 'TextBlock',
              isSubtle: true,
              size: 'Small',
              wrap: true,
              text: `alert ${notice.alertId} · notice ${notice.id}`,
            },
          ],
        },
      },
    ],
  };
}
