import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/aggregate/types.js';
import { emailMessage } from '../../src/aggregate/receivers/email-message.js';
import { slackBody, teamsBody, webhookBody } from '../../src/aggregate/receivers/formats.js';
import { dotStuff } from '../../src/aggregate/receivers/smtp-client.js';

const T0 = Date.parse('2026-12-07T09:00:00Z');
const firing: AlertRecord = {
  id: 'a1b2-f1',
  alertId: 'a1b2',
  status: 'firing',
  rule: 'parallel-session-limit',
  severity: 'warning',
  key: 'CORP\\mallory',
  host: 'SENSE-NODE1',
  node: 'NODE-A',
  message: 'CORP\\mallory holds 5 sessions <b>&</b>',
  time: T0 + 60_000,
  firingSince: T0,
  notification: 1,
  description: 'A user holds 5 or more parallel sessions.',
  conditions: [
    { fact: 'activeSessions', operator: 'greaterThanInclusive', threshold: '5', value: '5', result: true },
  ],
};
const resolved: AlertRecord = { ...firing, id: 'a1b2-r', status: 'resolved', time: T0 + 600_000 };
const cluster: AlertRecord = { ...firing, host: 'cluster', node: 'agg-1', rule: 'user-on-several-nodes' };

describe('receiver formats', () => {
  it('webhook: our versioned shape, times in ISO, a stable id', () => {
    expect(webhookBody(firing, 'node', 'ops')).toEqual({
      version: 1,
      id: 'a1b2-f1',
      receiver: 'ops',
      status: 'firing',
      alertId: 'a1b2',
      rule: 'parallel-session-limit',
      severity: 'warning',
      origin: 'node',
      key: 'CORP\\mallory',
      host: 'SENSE-NODE1',
      node: 'NODE-A',
      message: 'CORP\\mallory holds 5 sessions <b>&</b>',
      firingSince: '2026-12-07T09:00:00.000Z',
      time: '2026-12-07T09:01:00.000Z',
      notification: 1,
      description: 'A user holds 5 or more parallel sessions.',
      conditions: [
        {
          fact: 'activeSessions',
          operator: 'greaterThanInclusive',
          threshold: '5',
          value: '5',
          result: true,
        },
      ],
    });
  });

  it('slack: text for the notification, blocks with the message escaped for mrkdwn', () => {
    const body = slackBody(firing, 'node') as {
      text: string;
      blocks: { type: string; text?: { text: string } }[];
    };
    expect(body.text).toBe(
      '[FIRING] warning parallel-session-limit on SENSE-NODE1: CORP\\mallory holds 5 sessions <b>&</b>',
    );
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(body.blocks[1]?.text?.text).toBe('CORP\\mallory holds 5 sessions &lt;b&gt;&amp;&lt;/b&gt;');
    const again = slackBody({ ...firing, notification: 3 }, 'node') as { text: string };
    expect(again.text).toMatch(/^\[FIRING\] warning parallel-session-limit on SENSE-NODE1 \(reminder 3\): /);
    expect((slackBody(resolved, 'node') as { text: string }).text).toMatch(/^\[RESOLVED\] /);
  });

  it('teams: an Adaptive Card message, coloured by status, with the facts', () => {
    const body = teamsBody(resolved, 'node') as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; version: string; body: Record<string, unknown>[] };
      }[];
    };
    expect(body.type).toBe('message');
    const card = body.attachments[0];
    expect(card?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card?.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card?.content.body[0]).toMatchObject({
      color: 'Good',
      text: '[RESOLVED] warning parallel-session-limit on SENSE-NODE1',
    });
    expect(card?.content.body[2]).toMatchObject({
      type: 'FactSet',
      facts: expect.arrayContaining([{ title: 'Resolved at', value: '2026-12-07T09:10:00.000Z' }]) as unknown,
    });
    const clusterCard = teamsBody(cluster, 'cluster') as typeof body;
    expect(clusterCard.attachments[0]?.content.body[0]).toMatchObject({
      text: '[FIRING] warning user-on-several-nodes on the cluster',
    });
  });
});

describe('e-mail message', () => {
  const envelope = {
    from: 'sense@example.com',
    to: ['ops@example.com', 'dba@example.com'],
    receiver: 'mail',
  };
  const date = new Date(T0 + 61_000);

  it('has the headers, a Message-ID per notice and receiver, References per alert, CRLF line ends', () => {
    const text = emailMessage(firing, 'node', envelope, date);
    const cut = text.indexOf('\r\n\r\n');
    const head = text.slice(0, cut);
    const body = text.slice(cut + 4);
    expect(head.split('\r\n')).toEqual([
      'From: sense@example.com',
      'To: ops@example.com, dba@example.com',
      'Subject: [FIRING] warning parallel-session-limit on SENSE-NODE1',
      'Date: Mon, 07 Dec 2026 09:01:01 +0000',
      'Message-ID: <a1b2-f1.mail@sense-aggregator>',
      'References: <a1b2@sense-aggregator>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
      'Auto-Submitted: auto-generated',
      'X-Sense-Alert-Id: a1b2',
      'X-Sense-Alert-Status: firing',
    ]);
    expect(body).toContain('CORP\\mallory holds 5 sessions <b>&</b>\r\n\r\nRule: parallel-session-limit\r\n');
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('cannot be given extra headers through a rule or message, and sends other text as base64', () => {
    const nasty: AlertRecord = {
      ...firing,
      rule: 'r\r\nBcc: evil@example.com',
      message: 'Grüße\r\nBcc: x@example.com',
    };
    const text = emailMessage(nasty, 'node', envelope, date);
    const head = text.split('\r\n\r\n')[0] ?? '';
    expect(head).not.toMatch(/^Bcc:/m);
    expect(head).toContain('Subject: [FIRING] warning r Bcc: evil@example.com on SENSE-NODE1');
    expect(head).toContain('Content-Transfer-Encoding: base64');
    const body = Buffer.from((text.split('\r\n\r\n')[1] ?? '').replace(/\r\n/g, ''), 'base64').toString(
      'utf8',
    );
    expect(body).toContain('Grüße');
    const umlaut = emailMessage({ ...firing, rule: 'prüfung' }, 'node', envelope, date);
    expect(umlaut).toContain(
      `Subject: =?UTF-8?B?${Buffer.from('[FIRING] warning prüfung on SENSE-NODE1').toString('base64')}?=`,
    );
  });

  it('dot-stuffs lines that start with a dot and ends every line with CRLF', () => {
    expect(dotStuff('a\n.b\n..c\r\n.\nd')).toBe('a\r\n..b\r\n...c\r\n..\r\nd\r\n');
    expect(dotStuff('.x\r\n')).toBe('..x\r\n');
  });
});
