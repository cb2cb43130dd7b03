import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { FAST_SILENCE } from '../helpers/cluster-rules.js';
import { AlertPublisher, type PublishedNotice } from '../helpers/alert-publisher.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { RecordingHttpServer } from '../helpers/recording-http.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Alert receivers over HTTP end to end: a real nats-server with JetStream, the real aggregator
 * process, alert notices published on the alerts stream as a sidecar publishes them, and a real
 * HTTP server on loopback that records what it got (the webhook, Slack and Teams paths). The
 * server answers 503, then is not there at all (connection refused), then takes everything;
 * the aggregator is restarted with nothing pending and with a notice pending.
 */

const TOKEN = 'tok-3f9c2a7e51d84b06';
const SLACK_SECRET = 'T0000-B0000-XsecretXslackXpath';

describe('alert receivers: webhook, Slack and Teams on a real HTTP server', () => {
  let nats: NatsServer;
  let alerts: AlertPublisher;
  let http: RecordingHttpServer;
  let agg: AggregatorUnderTest;
  let secrets: string;
  const logs: string[] = [];

  const publish = (n: PublishedNotice): Promise<void> => alerts.publish(n);
  const ids = (path: string): string[] =>
    http.accepted(path).map((r) => {
      const b = r.body as Record<string, unknown>;
      if (b.version === 1) return String(b.id);
      // Slack and Teams bodies carry the notice id in their last line.
      const text = JSON.stringify(b);
      return /notice ([A-Za-z0-9-]+)/.exec(text)?.[1] ?? '?';
    });
  const metrics = (): Promise<string> => agg.metrics();
  const keepLogs = (): void => {
    logs.push(...agg.logs.map((l) => JSON.stringify(l)));
  };

  beforeAll(async () => {
    nats = await NatsServer.start({ jetstream: true });
    alerts = await AlertPublisher.connect(nats.url);
    http = await RecordingHttpServer.start();
    http.answerWith(503, '1');
    secrets = mkdtempSync(join(tmpdir(), 'sense-recv-secrets-'));
    writeFileSync(join(secrets, 'token'), `${TOKEN}\n`);
    writeFileSync(join(secrets, 'silent.yaml'), FAST_SILENCE);
    const alerting = [
      // A cluster rule of the aggregator's own fires for a node that never spoke.
      `rules: {paths: [${join(secrets, 'silent.yaml')}]}`,
      'nodes: {expected: [GHOST], statusSilentAfter: 1s}',
      'alerting:',
      '  receivers:',
      '    - name: hook',
      '      type: webhook',
      `      url: ${http.url('/hook')}`,
      `      headers: {Authorization: {file: ${join(secrets, 'token')}, prefix: "Bearer "}}`,
      '      timeout: 2s',
      '    - name: chat',
      '      type: slack',
      '      url: {env: TEST_SLACK_URL}',
      '    - name: team',
      '      type: teams',
      `      url: ${http.url('/teams')}`,
      '    - name: cluster-hook',
      '      type: webhook',
      `      url: ${http.url('/cluster')}`,
      '  routes:',
      '    - {origin: cluster, receivers: [cluster-hook]}',
      '    - {severities: [critical], receivers: [hook, team], continue: true}',
      "    - {rules: ['parallel-*', 'license-*'], receivers: [chat]}",
    ];
    agg = await AggregatorUnderTest.create(nats.url, 'agg-recv', alerting, {
      TEST_SLACK_URL: http.url(`/slack/${SLACK_SECRET}`),
    });
    await agg.start();
  }, 30_000);

  afterAll(async () => {
    await agg.dispose();
    await alerts.close();
    await http.close();
    await nats.stop();
    rmSync(secrets, { recursive: true, force: true });
  });

  it('delivers every routed notice once, firing before resolved, through 503s and refused connections', async () => {
    await publish({ alertId: 'A', status: 'firing', severity: 'critical', rule: 'license-expiring' });
    await publish({ alertId: 'A', status: 'resolved', severity: 'critical', rule: 'license-expiring' });
    await publish({ alertId: 'B', status: 'firing', severity: 'warning', rule: 'parallel-session-limit' });
    await publish({ alertId: 'C', status: 'firing', severity: 'info', rule: 'something-else' });

    // 503 with Retry-After: 1 — tried again after a second, every second.
    await waitFor(
      async () =>
        metricValue(await metrics(), 'sense_aggregator_receiver_failed_attempts_total{receiver="hook"}') >= 2,
      'two refused webhook attempts',
      10_000,
    );
    expect((await agg.get<{ status: string; checks: { receivers: string } }>('/healthz')).body).toMatchObject(
      {
        status: 'degraded',
        checks: { receivers: expect.stringContaining('hook') as unknown },
      },
    );
    // Not there at all: connection refused.
    await http.close();
    const before = metricValue(
      await metrics(),
      'sense_aggregator_receiver_failed_attempts_total{receiver="hook"}',
    );
    await waitFor(
      async () =>
        metricValue(await metrics(), 'sense_aggregator_receiver_failed_attempts_total{receiver="hook"}') >
        before,
      'a refused connection',
      10_000,
    );
    const receivers = await agg.get<{ receivers: { name: string; lastError: string; pending: number }[] }>(
      '/api/receivers',
    );
    expect(receivers.body.receivers.find((r) => r.name === 'hook')).toMatchObject({
      lastError: 'connection refused',
      pending: 2,
    });

    http.answerWith(200);
    await http.open();
    await waitFor(
      () =>
        ids('/hook').length >= 2 && ids('/teams').length >= 2 && ids(`/slack/${SLACK_SECRET}`).length >= 3,
      'every notice accepted',
      15_000,
    );

    expect(ids('/hook')).toEqual(['A-f1', 'A-r']);
    expect(ids('/teams')).toEqual(['A-f1', 'A-r']);
    expect(ids(`/slack/${SLACK_SECRET}`)).toEqual(['A-f1', 'A-r', 'B-f1']);

    const hook = http.accepted('/hook');
    expect(hook[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(hook[0]?.body).toMatchObject({
      version: 1,
      id: 'A-f1',
      receiver: 'hook',
      status: 'firing',
      alertId: 'A',
      rule: 'license-expiring',
      severity: 'critical',
      origin: 'node',
      host: 'SENSE-NODE1',
    });
    expect(hook[1]?.body).toMatchObject({ id: 'A-r', status: 'resolved' });
    const slack = http.accepted(`/slack/${SLACK_SECRET}`)[0]?.body as { text: string; blocks: unknown[] };
    expect(slack.text).toContain('[FIRING] critical license-expiring on SENSE-NODE1');
    expect(slack.blocks.length).toBeGreaterThan(0);
    const teams = http.accepted('/teams')[1]?.body as {
      type: string;
      attachments: { contentType: string; content: { type: string } }[];
    };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(teams)).toContain('[RESOLVED] critical license-expiring');

    // The aggregator's own alert went by the cluster route only (and stopped there).
    await waitFor(() => ids('/cluster').length >= 2, 'the cluster alerts', 15_000);
    expect(
      http
        .accepted('/cluster')
        .map((r) => (r.body as { key: string }).key)
        .sort(),
    ).toEqual(['GHOST', 'SENSE-NODE1']);
    expect(http.accepted('/cluster').map((r) => r.body)).toEqual([
      expect.objectContaining({
        origin: 'cluster',
        rule: 'node-silent-fast',
        status: 'firing',
        host: 'cluster',
      }),
      expect.objectContaining({
        origin: 'cluster',
        rule: 'node-silent-fast',
        status: 'firing',
        host: 'cluster',
      }),
    ]);

    const m = await metrics();
    expect(metricValue(m, 'sense_aggregator_receiver_notices_sent_total{receiver="chat"}')).toBe(3);
    expect(metricValue(m, 'sense_aggregator_alert_notices_unrouted_total')).toBe(1);
    expect(metricValue(m, 'sense_aggregator_receiver_queue_depth{receiver="hook"}')).toBe(0);
    await waitFor(
      async () => (await agg.get<{ status: string }>('/healthz')).body.status === 'ok',
      'healthy again',
    );
  }, 30_000);

  it('sends nothing twice after a restart, and what was pending at the stop after it', async () => {
    keepLogs();
    await agg.stop();
    await agg.start();
    await publish({ alertId: 'D', status: 'firing', severity: 'critical', rule: 'license-expiring' });
    await waitFor(
      () => [ids('/hook'), ids('/teams'), ids(`/slack/${SLACK_SECRET}`)].every((got) => got.includes('D-f1')),
      'D after the restart on all three',
    );
    expect(ids('/hook')).toEqual(['A-f1', 'A-r', 'D-f1']);

    // The receiver goes away; a notice is queued and fails; the aggregator stops with it pending.
    await http.close();
    await publish({ alertId: 'E', status: 'firing', severity: 'critical', rule: 'license-expiring' });
    await waitFor(
      async () =>
        metricValue(await metrics(), 'sense_aggregator_receiver_queue_depth{receiver="hook"}') === 1,
      'E queued',
    );
    await waitFor(
      async () =>
        (
          await agg.get<{ receivers: { name: string; lastError: string | null }[] }>('/api/receivers')
        ).body.receivers.find((r) => r.name === 'hook')?.lastError === 'connection refused',
      'E refused',
    );
    keepLogs();
    await agg.stop();
    await http.open();
    await agg.start();
    await waitFor(
      () => ids('/hook').includes('E-f1') && ids('/teams').includes('E-f1'),
      'E after the second restart',
    );
    // Nothing else arrives: the next notice is the only one after E.
    await publish({ alertId: 'E', status: 'resolved', severity: 'critical', rule: 'license-expiring' });
    await waitFor(
      () => [ids('/hook'), ids('/teams'), ids(`/slack/${SLACK_SECRET}`)].every((got) => got.includes('E-r')),
      'E resolved on all three',
    );
    expect(ids('/hook')).toEqual(['A-f1', 'A-r', 'D-f1', 'E-f1', 'E-r']);
    expect(ids('/teams')).toEqual(['A-f1', 'A-r', 'D-f1', 'E-f1', 'E-r']);
    expect(ids(`/slack/${SLACK_SECRET}`)).toEqual(['A-f1', 'A-r', 'B-f1', 'D-f1', 'E-f1', 'E-r']);
  }, 30_000);

  it('sends a notice once more at most when the aggregator is killed while the receiver holds it', async () => {
    http.answerWith('hold');
    await publish({ alertId: 'F', status: 'firing', severity: 'critical', rule: 'license-expiring' });
    const tries = (path: string): number[] =>
      http.requests
        .filter((r) => r.path === path && (r.body as { id?: string }).id === 'F-f1')
        .map((r) => r.status);
    await waitFor(() => tries('/hook').length === 1, 'F held by the receiver');
    keepLogs();
    await agg.stop('SIGKILL');
    http.answerWith(200);
    await agg.start();
    await waitFor(() => ids('/hook').includes('F-f1') && ids('/teams').includes('F-f1'), 'F after the kill');
    // The held request never got its answer: the notice was still pending, and went again once.
    expect(tries('/hook')).toEqual([0, 200]);
    expect(ids('/hook').filter((id) => id === 'F-f1')).toHaveLength(1);
  }, 30_000);

  it('never logs the token or the Slack URL', () => {
    keepLogs();
    const text = logs.join('\n');
    expect(text).toContain('alert delivery failed');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SLACK_SECRET);
  });
});
