import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatAggregatorIssue, loadAggregatorConfig } from '../../src/config/aggregator-load.js';

const load = (text: string, env: Record<string, string> = {}) =>
  loadAggregatorConfig({ text, fileName: 'agg.yaml', env, hostname: 'agg1' });
const problems = (text: string, env: Record<string, string> = {}): string[] => {
  const result = load(text, env);
  return result.ok ? [] : result.issues.map(formatAggregatorIssue);
};

const GOOD = `alerting:
  receivers:
    - name: ops
      type: webhook
      url: https://hooks.example.com/sense
      headers:
        Authorization: {file: /etc/sense/hook-token, prefix: "Bearer "}
        X-Team: sense
      rateLimit: {max: 5, per: 1m}
    - name: chat
      type: slack
      url: {env: SLACK_URL}
    - name: mail
      type: smtp
      host: smtp.example.com
      user: alerts
      password: {file: /etc/sense/smtp-password}
      from: sense@example.com
      to: [ops@example.com]
  routes:
    - {severities: [critical], receivers: [ops, mail], continue: true}
    - {rules: ['license-*'], origin: node, receivers: [chat]}
`;

describe('alerting config', () => {
  it('reads receivers and routes with their defaults', () => {
    const result = load(GOOD);
    if (!result.ok) throw new Error(result.issues.map(formatAggregatorIssue).join('\n'));
    const { receivers, routes } = result.config.alerting;
    expect(receivers.map((r) => [r.name, r.type])).toEqual([
      ['ops', 'webhook'],
      ['chat', 'slack'],
      ['mail', 'smtp'],
    ]);
    expect(receivers[0]).toMatchObject({
      url: { from: 'text', value: 'https://hooks.example.com/sense' },
      headers: [
        { name: 'Authorization', value: { from: 'file', path: '/etc/sense/hook-token', prefix: 'Bearer ' } },
        { name: 'X-Team', value: { from: 'text', value: 'sense' } },
      ],
      rateLimit: { max: 5, perMs: 60_000 },
      maxQueue: 10_000,
      giveUpAfterMs: 6 * 3_600_000,
      timeoutMs: 10_000,
    });
    expect(receivers[1]).toMatchObject({
      url: { from: 'env', name: 'SLACK_URL', prefix: '' },
      rateLimit: { max: 30, perMs: 600_000 },
    });
    expect(receivers[2]).toMatchObject({
      tls: 'starttls',
      port: 587,
      auth: 'plain',
      caFile: '',
      to: ['ops@example.com'],
    });
    expect(routes).toEqual([
      { receivers: ['ops', 'mail'], severities: ['critical'], rules: null, origin: 'any', continue: true },
      { receivers: ['chat'], severities: null, rules: ['license-*'], origin: 'node', continue: false },
    ]);
  });

  it("accepts the README's example as it is written", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Alert receivers'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(example).toContain('alerting:');
    expect(problems(example)).toEqual([]);
    const result = load(example);
    expect(result.ok && result.config.alerting.receivers.map((r) => r.type)).toEqual([
      'webhook',
      'slack',
      'teams',
      'smtp',
    ]);
  });

  it('is empty by default', () => {
    const result = loadAggregatorConfig({ env: {}, hostname: 'agg1' });
    expect(result.ok && result.config.alerting).toEqual({ receivers: [], routes: [] });
  });

  it('points at every mistake with file:line:column and says what to write', () => {
    expect(
      problems(`alerting:
  receivers:
    - name: ops
      type: webhok
      url: https://x.example.com
    - name: chat
      type: slack
      url: ftp://nope
      rateLimit: {max: 0, pr: 1m}
    - name: mail
      type: smtp
      host: smtp.example.com
      user: alerts
      password: hunter22
      from: not-an-address
      to: []
      tls: none
    - name: chat
      type: teams
      url: https://user:pw@teams.example.com/x
  routes:
    - receivers: [opz, chat]
      severities: [critcal]
      continu: true
  rotues: []
`),
    ).toEqual([
      'agg.yaml:3:13: alerting.receivers[0].name: no route sends anything to "ops"; name it in a route\'s receivers, or remove it',
      'agg.yaml:4:13: alerting.receivers[0].type: must be one of webhook, slack, teams, smtp, got "webhok"; did you mean "webhook"?',
      'agg.yaml:8:12: alerting.receivers[1].url: must be an http:// or https:// URL, got ftp://',
      'agg.yaml:9:24: alerting.receivers[1].rateLimit.max: must be an integer between 1 and 100000, got "0"',
      'agg.yaml:9:31: alerting.receivers[1].rateLimit.pr: unknown key "pr"; did you mean "per"?',
      'agg.yaml:10:13: alerting.receivers[2].name: no route sends anything to "mail"; name it in a route\'s receivers, or remove it',
      'agg.yaml:14:17: alerting.receivers[2].password: must not be written in the config file; write password: {file: /path/to/file} or password: {env: VARIABLE}',
      'agg.yaml:15:13: alerting.receivers[2].from: must be an e-mail address like sense-alerts@example.com, got "not-an-address"',
      'agg.yaml:16:11: alerting.receivers[2].to: must name at least one address',
      'agg.yaml:17:12: alerting.receivers[2].tls: must be starttls or implicit when user and password are set (they would cross the network in clear)',
      'agg.yaml:18:13: alerting.receivers[3].name: "chat" is already the name of receivers[1]; names must be unique',
      'agg.yaml:20:12: alerting.receivers[3].url: must not hold user:password; send credentials in a header read from a file or the environment',
      'agg.yaml:22:19: alerting.routes[0].receivers[0]: no receiver is named "opz"; did you mean "ops"?',
      'agg.yaml:23:20: alerting.routes[0].severities[0]: must be one of info, warning, critical, got "critcal"; did you mean "critical"?',
      'agg.yaml:24:16: alerting.routes[0].continu: unknown key "continu"; did you mean "continue"?',
      'agg.yaml:25:11: alerting.rotues: unknown key "rotues"; did you mean "routes"?',
    ]);
  });

  it('wants what each receiver needs, and a route for each receiver', () => {
    expect(
      problems(`alerting:
  receivers:
    - type: webhook
    - name: m
      type: smtp
      user: u
      to: [a@example.com]
      headers: {X: y}
`),
    ).toEqual([
      'agg.yaml:3:7: alerting.receivers[0]: "name" is missing; give each receiver a name: routes refer to it',
      'agg.yaml:3:7: alerting.receivers[0]: "url" is missing; write the webhook URL, or url: {file: path} / {env: VARIABLE}',
      'agg.yaml:4:7: alerting.receivers[1]: "user" is set but "password" is missing; write password: {file: path} or {env: VARIABLE}',
      'agg.yaml:4:7: alerting.receivers[1]: "host" is missing; write the SMTP server, e.g. host: smtp.example.com',
      'agg.yaml:4:7: alerting.receivers[1]: "from" is missing; write from: sense-alerts@example.com',
      'agg.yaml:4:13: alerting.receivers[1].name: no route sends anything to "m"; name it in a route\'s receivers, or remove it',
      'agg.yaml:8:16: alerting.receivers[1].headers: unknown key "headers"; known keys here: name, type, rateLimit, maxQueue, giveUpAfter, timeout, host, port, tls, user, password, auth, from, to, caFile',
    ]);
  });

  it('refuses a secret mapping with both or neither of file and env, and receivers from the environment', () => {
    expect(
      problems(`alerting:
  receivers:
    - {name: a, type: slack, url: {file: /x, env: Y}}
    - {name: b, type: teams, url: {prefix: x}}
  routes: [{receivers: [a, b]}]
`),
    ).toEqual([
      'agg.yaml:3:35: alerting.receivers[0].url: give exactly one of file: (a path) or env: (a variable name)',
      'agg.yaml:4:35: alerting.receivers[1].url: give exactly one of file: (a path) or env: (a variable name)',
    ]);
    expect(problems('', { SENSE_AGGREGATOR_ALERTING: 'x' })).toEqual([
      'env SENSE_AGGREGATOR_ALERTING: alerting: receivers and routes are set in the config file only, not from the environment',
    ]);
  });
});
