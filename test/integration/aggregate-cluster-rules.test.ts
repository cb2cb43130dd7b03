import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDatagram } from '../../src/simulate/datagram.js';
import type { EventKind } from '../../src/core/events.js';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { FAST_SILENCE } from '../helpers/cluster-rules.js';
import { readStream } from '../helpers/jetstream.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { CLI, SidecarProcess } from '../helpers/sidecar-process.js';
import { Subscriber } from '../helpers/subscriber.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The aggregator's cluster rules end to end: a real nats-server with JetStream, two real
 * sidecars (NODE-A for host SENSE-A, NODE-B for SENSE-B) fed real UDP datagrams, the real
 * aggregator process running the shipped user rule and a quick node-silence rule, and a
 * plain NATS subscriber on the cluster alert subjects.
 */

const USERS_RULES = fileURLToPath(new URL('../../rules/cluster/users.yaml', import.meta.url));
const AGGREGATOR = 'agg-rules';
const SEVERAL = 'sense.alerts.cluster.warning.user-on-several-nodes';
const SILENT = 'sense.alerts.cluster.critical.node-silent-fast';

interface Node {
  readonly name: string;
  readonly host: string;
  readonly udpPort: number;
  readonly dataDir: string;
  sidecar: SidecarProcess | null;
}

interface AlertsBody {
  firing: { rule: string; key: string; host: string; node: string; alertId: string; status: string }[];
  alerts: { rule: string; key: string; status: string; alertId: string }[];
}

describe('aggregator: cluster rules on two real sidecars', () => {
  let nats: NatsServer;
  let agg: AggregatorUnderTest;
  let alerts: Subscriber;
  let rulesDir: string;
  const nodes: Node[] = [];
  let silentAlertId = '';

  const startSidecar = async (node: Node): Promise<void> => {
    node.sidecar = await SidecarProcess.start(
      [
        `node: ${node.name}`,
        `udp: {port: ${node.udpPort}}`,
        `nats: {servers: [${nats.url}]}`,
        'rules: {paths: []}',
        `dataDir: ${node.dataDir}`,
        'status: {interval: 1s}',
        'http: {port: 0}',
      ].join('\n'),
    );
  };

  const send = (node: Node, kind: EventKind, user: string): Promise<void> =>
    sendDatagrams(node.udpPort, [formatDatagram({ kind, host: node.host, directory: 'CORP', userId: user })]);

  const on = (subject: string) => alerts.messages.filter((m) => m.subject === subject);

  beforeAll(async () => {
    nats = await NatsServer.start({ jetstream: true });
    alerts = await Subscriber.start(nats.url, 'sense.alerts.cluster.>');
    rulesDir = mkdtempSync(join(tmpdir(), 'sense-cluster-rules-'));
    writeFileSync(join(rulesDir, 'silence.yaml'), FAST_SILENCE);
    for (const [name, host] of [
      ['NODE-A', 'SENSE-A'],
      ['NODE-B', 'SENSE-B'],
    ] as const) {
      const node: Node = {
        name,
        host,
        udpPort: await freeUdpPort(),
        dataDir: mkdtempSync(join(tmpdir(), 'sense-agg-sidecar-')),
        sidecar: null,
      };
      await startSidecar(node);
      nodes.push(node);
    }
    agg = await AggregatorUnderTest.create(nats.url, AGGREGATOR, [
      `rules: {paths: [${USERS_RULES}, ${join(rulesDir, 'silence.yaml')}]}`,
      'nodes: {expected: [NODE-A, NODE-B], statusSilentAfter: 2s}',
    ]);
    await agg.start();
    await waitFor(async () => {
      const { body } = await agg.get<{ nodes: { node: string; silent: boolean }[] }>('/api/nodes');
      return body.nodes.length === 2 && body.nodes.every((n) => !n.silent);
    }, 'both nodes with a status');
  });

  afterAll(async () => {
    await agg.dispose();
    for (const node of nodes) {
      await node.sidecar?.stop();
      rmSync(node.dataDir, { recursive: true, force: true });
    }
    await alerts.close();
    rmSync(rulesDir, { recursive: true, force: true });
    await nats.stop();
  });

  const [A, B] = [() => nodes[0] as Node, () => nodes[1] as Node];

  it('alerts once when a user is on both nodes, shows it in /api/alerts, and resolves when one session stops', async () => {
    await send(A(), 'session.start', 'alice');
    await send(B(), 'session.start', 'alice');
    await send(A(), 'session.start', 'bob');
    const [firing] = await waitFor(() => on(SEVERAL).length > 0 && on(SEVERAL), 'the firing alert');
    expect(on(SEVERAL)).toHaveLength(1);
    expect(firing?.msgId).toBe(firing?.body.id);
    expect(firing?.body).toMatchObject({
      type: 'sense.alert.firing',
      source: `sense-sidecar/${AGGREGATOR}`,
      data: {
        status: 'firing',
        rule: 'user-on-several-nodes',
        severity: 'warning',
        key: 'corp\\alice',
        host: 'cluster',
        node: AGGREGATOR,
        notification: 1,
        facts: { userHosts: 2 },
      },
    });
    const alertId = String(firing?.body.data.alertId);

    // Folded back through the alerts stream: firing now, and in the history.
    const shown = await waitFor(async () => {
      const { body } = await agg.get<AlertsBody>('/api/alerts');
      return body.firing.length > 0 ? body : undefined;
    }, 'the alert in /api/alerts');
    expect(shown.firing.map((a) => [a.rule, a.key, a.host, a.node, a.alertId])).toEqual([
      ['user-on-several-nodes', 'corp\\alice', 'cluster', AGGREGATOR, alertId],
    ]);

    // The aggregator is not a node: not listed, not silent, no per-node series.
    const { body: nodesBody } = await agg.get<{ nodes: { node: string }[] }>('/api/nodes');
    expect(nodesBody.nodes.map((n) => n.node)).toEqual(['NODE-A', 'NODE-B']);
    expect(await agg.metrics()).not.toContain(`node="${AGGREGATOR}"`);

    await send(B(), 'session.stop', 'alice');
    await waitFor(() => on(SEVERAL).length > 1, 'the resolved notice');
    const resolved = on(SEVERAL)[1];
    expect(resolved?.body).toMatchObject({
      type: 'sense.alert.resolved',
      data: { status: 'resolved', alertId, key: 'corp\\alice' },
    });
    expect(resolved?.msgId).toBe(`${alertId}-r`);
    await waitFor(
      async () => (await agg.get<AlertsBody>('/api/alerts')).body.firing.length === 0,
      'no alert firing',
    );

    // Published through JetStream: both notices are in the alerts stream, once each.
    const stored = (await readStream(nats.url, 'SENSE_ALERTS')).filter((m) => m.subject === SEVERAL);
    expect(stored.map((m) => [m.msgId, m.body.type])).toEqual([
      [`${alertId}-f1`, 'sense.alert.firing'],
      [`${alertId}-r`, 'sense.alert.resolved'],
    ]);

    const text = await agg.metrics();
    expect(metricValue(text, 'sense_aggregator_cluster_rules')).toBe(2);
    expect(metricValue(text, 'sense_aggregator_cluster_alerts_published_total{status="firing"}')).toBe(1);
    expect(metricValue(text, 'sense_aggregator_cluster_alerts_published_total{status="resolved"}')).toBe(1);
    expect(metricValue(text, 'sense_aggregator_cluster_alerts_publish_errors_total')).toBe(0);
    expect(metricValue(text, 'sense_aggregator_cluster_alerts_dropped_total')).toBe(0);
    expect(
      metricValue(
        text,
        'sense_aggregator_cluster_rule_alerts_total{rule="user-on-several-nodes",status="firing"}',
      ),
    ).toBe(1);
    // alice (twice) and bob were evaluated when they opened, alice again when a session closed.
    expect(
      metricValue(text, 'sense_aggregator_cluster_rule_evaluations_total{rule="user-on-several-nodes"}'),
    ).toBeGreaterThanOrEqual(3);
    expect(
      metricValue(
        text,
        'sense_aggregator_alerts_total{rule="user-on-several-nodes",severity="warning",status="firing"}',
      ),
    ).toBe(1);
    expect(on(SILENT)).toHaveLength(0);
  });

  it('alerts when a sidecar goes silent, and keeps that alert across its own restart until the node is back', async () => {
    await B().sidecar?.stop();
    B().sidecar = null;
    const [firing] = await waitFor(
      () => on(SILENT).length > 0 && on(SILENT),
      'node-silent-fast firing',
      20_000,
    );
    expect(on(SILENT)).toHaveLength(1);
    expect(firing?.body.data).toMatchObject({ status: 'firing', key: 'NODE-B', node: AGGREGATOR });
    silentAlertId = String(firing?.body.data.alertId);

    // The alert memory is written at stop and read at start.
    expect(await agg.stop('SIGTERM')).toBe(0);
    const memory = JSON.parse(readFileSync(join(agg.dataDir, 'cluster-rules.json'), 'utf8')) as {
      episodes: { ruleId: string; key: string }[];
    };
    expect(memory.episodes.map((e) => [e.ruleId, e.key])).toContainEqual(['node-silent-fast', 'NODE-B']);
    await agg.start();
    expect(agg.logs.find((l) => l.msg === 'cluster alert memory restored')).toMatchObject({ episodes: 1 });
    // A tick has looked at both nodes again (NODE-B still silent): no second firing.
    await waitFor(
      async () =>
        metricValue(
          await agg.metrics(),
          'sense_aggregator_cluster_rule_evaluations_total{rule="node-silent-fast"}',
        ) >= 2,
      'a tick after the restart',
      15_000,
    );
    expect(on(SILENT)).toHaveLength(1);

    await startSidecar(B());
    await waitFor(() => on(SILENT).length > 1, 'node-silent-fast resolved', 20_000);
    expect(on(SILENT)).toHaveLength(2);
    expect(on(SILENT)[1]?.body.data).toMatchObject({
      status: 'resolved',
      alertId: silentAlertId,
      key: 'NODE-B',
    });
    expect(existsSync(join(agg.dataDir, 'cluster-rules.json'))).toBe(true);
  });

  it('loads its cluster rules again on SIGHUP: a bad file is refused with its position and the last good rules stay', async () => {
    const silence = join(rulesDir, 'silence.yaml');
    const reloads = async (outcome: 'ok' | 'refused') =>
      metricValue(await agg.metrics(), `sense_aggregator_cluster_rule_reloads_total{outcome="${outcome}"}`);
    const refusedBefore = await reloads('refused');
    writeFileSync(silence, FAST_SILENCE.replace('severity: critical', 'severity: loud'));
    agg.signal('SIGHUP');
    const refused = await agg.waitForLog(
      (l) => (l.msg ?? '').startsWith('cluster rule files refused') && l['reason'] === 'SIGHUP',
      'the refused SIGHUP reload',
    );
    const errors = refused['errors'] as string[];
    // file:line:column (line 5 holds the bad severity)
    expect(errors.filter((e) => e.startsWith(`${silence}:5:`))).toHaveLength(1);
    expect(await reloads('refused')).toBeGreaterThan(refusedBefore);
    // The last good rules stay: both loaded, and the node rule still evaluated on its ticks.
    expect(metricValue(await agg.metrics(), 'sense_aggregator_cluster_rules')).toBe(2);
    const evaluated = async () =>
      metricValue(
        await agg.metrics(),
        'sense_aggregator_cluster_rule_evaluations_total{rule="node-silent-fast"}',
      );
    const evaluatedAtRefusal = await evaluated();
    await waitFor(async () => (await evaluated()) > evaluatedAtRefusal, 'an evaluation after the refusal');

    writeFileSync(silence, FAST_SILENCE.replace('node-silent-fast', 'node-silent-quick'));
    agg.signal('SIGHUP');
    await agg.waitForLog(
      (l) => l.msg === 'cluster rules reloaded' && l['reason'] === 'SIGHUP' && l['rules'] === 2,
      'the SIGHUP reload',
    );
  });

  it('refuses to start on a bad cluster rule file, with its position, and exit code 2', () => {
    const bad = join(rulesDir, 'bad.yaml');
    writeFileSync(bad, 'scope: cluster\nrules:\n  - id: broken\n    severity: loud\n');
    const config = join(rulesDir, 'aggregator.yaml');
    writeFileSync(
      config,
      [
        `nats: {servers: [${nats.url}]}`,
        `dataDir: ${join(rulesDir, 'data')}`,
        `rules: {paths: [${bad}]}`,
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, [CLI, 'aggregate', '--config', config], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    // file:line:column: message (line 4 holds the bad severity)
    expect(run.stderr.split('\n').filter((l) => l.startsWith(`${bad}:4:`))).toHaveLength(1);
    expect(run.stderr).toContain('sense-aggregator refused to start');
  });
});
