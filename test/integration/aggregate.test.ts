import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionsBody } from '../../src/aggregate/sessions-query.js';
import { formatDatagram } from '../../src/simulate/datagram.js';
import type { EventKind } from '../../src/core/events.js';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { streamCount } from '../helpers/jetstream.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeTcpPort, freeUdpPort } from '../helpers/ports.js';
import { CLI, SidecarProcess } from '../helpers/sidecar-process.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The aggregator end to end: a real nats-server with JetStream, two real sidecars (NODE-A
 * receiving for host SENSE-A, NODE-B for SENSE-B) fed real UDP datagrams, and the real
 * aggregator process. What the API answers is compared exactly with what the datagrams say,
 * across a restart, a full replay of the streams, and a second replica.
 */

const APP = 'e7af59a0-c243-480d-9571-08727551a66f';

interface Node {
  readonly name: string;
  readonly host: string;
  udpPort: number;
  sidecar: SidecarProcess | null;
  dataDir: string;
}

/** Open sessions as the datagrams say: starts minus stops, per host and user. */
class Expected {
  private readonly open = new Map<string, number>();
  apply(host: string, kind: EventKind, user: string): void {
    if (kind !== 'session.start' && kind !== 'session.stop') return;
    const key = `${host} CORP\\${user}`;
    const n = (this.open.get(key) ?? 0) + (kind === 'session.start' ? 1 : -1);
    if (n > 0) this.open.set(key, n);
    else this.open.delete(key);
  }
  rows(): string[] {
    const out: string[] = [];
    for (const [key, n] of this.open) for (let i = 0; i < n; i++) out.push(key);
    return out.sort();
  }
}

const rowsOf = (body: SessionsBody): string[] =>
  body.sessions.map((s) => `${s.host} ${s.user.directory}\\${s.user.id}`).sort();

describe('aggregator: two sidecars, JetStream, restarts and replicas', () => {
  let nats: NatsServer;
  const nodes: Node[] = [];
  let one: AggregatorUnderTest;
  let two: AggregatorUnderTest | null = null;
  const expected = new Expected();
  let sent = 0;
  let expectedAt1: string[] = [];
  let at1 = '';

  /** Sends datagrams to a node's sidecar and waits until the events stream holds them all. */
  async function send(node: Node, events: readonly [EventKind, string, string?][]): Promise<void> {
    const datagrams = events.map(([kind, user, app]) => {
      expected.apply(node.host, kind, user);
      return formatDatagram({ kind, host: node.host, directory: 'CORP', userId: user, appId: app });
    });
    await sendDatagrams(node.udpPort, datagrams);
    sent += datagrams.length;
    await waitFor(
      async () => (await streamCount(nats.url, 'SENSE_EVENTS')) === sent,
      `${sent} events in the stream`,
    );
  }

  async function sessions(agg: AggregatorUnderTest, query = ''): Promise<SessionsBody> {
    const { status, body } = await agg.get<SessionsBody>(`/api/sessions${query}`);
    expect(status).toBe(200);
    return body;
  }

  async function settled(agg: AggregatorUnderTest, rows: string[]): Promise<SessionsBody> {
    let last: string[] = [];
    try {
      return await waitFor(async () => {
        const body = await sessions(agg);
        last = rowsOf(body);
        return JSON.stringify(last) === JSON.stringify(rows) ? body : undefined;
      }, `the aggregator to show ${rows.length} sessions`);
    } catch (error) {
      expect(last, String(error)).toEqual(rows);
      throw error;
    }
  }

  beforeAll(async () => {
    nats = await NatsServer.start({ jetstream: true });
    // Started before any sidecar: the streams do not exist yet, so it has to wait for them.
    one = await AggregatorUnderTest.create(nats.url, 'agg-one');
    await one.start();
    for (const [name, host] of [
      ['NODE-A', 'SENSE-A'],
      ['NODE-B', 'SENSE-B'],
    ] as const) {
      const node: Node = {
        name,
        host,
        udpPort: await freeUdpPort(),
        sidecar: null,
        dataDir: mkdtempSync(join(tmpdir(), 'sense-agg-sidecar-')),
      };
      node.sidecar = await SidecarProcess.start(
        [
          `node: ${name}`,
          `udp: {port: ${node.udpPort}}`,
          `nats: {servers: [${nats.url}]}`,
          'rules: {paths: []}',
          `dataDir: ${node.dataDir}`,
          'status: {interval: 1s}',
          'http: {port: 0}',
        ].join('\n'),
      );
      nodes.push(node);
    }
    await waitFor(
      () =>
        one.logs.find((l) => String(l.msg).startsWith('JetStream stream SENSE_EVENTS does not exist yet')),
      'the aggregator to say it waits for the stream',
    );
  });

  afterAll(async () => {
    await one.dispose();
    await two?.dispose();
    for (const node of nodes) {
      await node.sidecar?.stop();
      rmSync(node.dataDir, { recursive: true, force: true });
    }
    await nats.stop();
  });

  const [A, B] = [() => nodes[0] as Node, () => nodes[1] as Node];

  it('shows exactly the sessions the datagrams opened and did not stop, on both nodes', async () => {
    await send(
      A(),
      ['u1', 'u2', 'u3', 'u4', 'u5'].map((u) => ['session.start', u] as const),
    );
    await send(
      B(),
      ['u6', 'u7', 'u8'].map((u) => ['session.start', u] as const),
    );
    await send(A(), [
      ['session.stop', 'u1'],
      ['session.stop', 'u2'],
    ]);
    await send(B(), [
      ['session.stop', 'u6'],
      ['connection.open', 'u7', APP],
      ['connection.open', 'u8', APP],
    ]);
    expectedAt1 = expected.rows();
    expect(expectedAt1).toEqual([
      'SENSE-A CORP\\u3',
      'SENSE-A CORP\\u4',
      'SENSE-A CORP\\u5',
      'SENSE-B CORP\\u7',
      'SENSE-B CORP\\u8',
    ]);
    const body = await settled(one, expectedAt1);
    expect(Object.keys(body).sort()).toEqual(['at', 'sessions']);
    for (const s of body.sessions) {
      expect(Object.keys(s).sort()).toEqual(['host', 'start', 'user']);
      expect(Object.keys(s.user).sort()).toEqual(['directory', 'id']);
      expect(s.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    at1 = body.at;
    expect(rowsOf(await sessions(one, '?host=sense-b'))).toEqual(['SENSE-B CORP\\u7', 'SENSE-B CORP\\u8']);
    expect(rowsOf(await sessions(one, '?user=CORP%5Cu4'))).toEqual(['SENSE-A CORP\\u4']);
    const bad = await one.get<{ error: string }>('/api/sessions?at=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/at: not an ISO 8601 time/);
  });

  it('loses and double-counts nothing across a restart while the sidecars go on publishing', async () => {
    expect(await one.stop('SIGTERM')).toBe(0);
    await send(A(), [
      ['session.stop', 'u3'],
      ['session.start', 'u9'],
      ['session.start', 'u10'],
    ]);
    await send(B(), [
      ['connection.close', 'u7', APP],
      ['session.stop', 'u7'],
    ]);
    await one.start();
    const rows = expected.rows();
    expect(rows).toEqual([
      'SENSE-A CORP\\u10',
      'SENSE-A CORP\\u4',
      'SENSE-A CORP\\u5',
      'SENSE-A CORP\\u9',
      'SENSE-B CORP\\u8',
    ]);
    await settled(one, rows);
    // The past answer comes from the history written before the restart.
    expect(rowsOf(await sessions(one, `?at=${encodeURIComponent(at1)}`))).toEqual(expectedAt1);
    // Only what arrived while it was away was folded again: two log-ins on NODE-A, none on NODE-B.
    const text = await one.metrics();
    expect(metricValue(text, 'sense_aggregator_logins_total{node="NODE-A"}')).toBe(2);
    expect(metricValue(text, 'sense_aggregator_logins_total{node="NODE-B"}')).toBe(0);
    expect(metricValue(text, 'sense_aggregator_messages_total{outcome="duplicate"}')).toBe(0);
    const from = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    const logins = await one.get<{ total: number }>(`/api/logins?unit=hour&from=${from}`);
    expect(logins.body.total).toBe(10);
  });

  it('loses and double-counts nothing when killed (-9) while folding a burst', async () => {
    const before = metricValue(await one.metrics(), 'sense_aggregator_messages_received_total');
    const burst = Array.from({ length: 300 }, (_, i) =>
      formatDatagram({ kind: 'session.start', host: 'SENSE-B', directory: 'CORP', userId: `b${i}` }),
    );
    for (let i = 0; i < 300; i++) expected.apply('SENSE-B', 'session.start', `b${i}`);
    const sending = sendDatagrams(B().udpPort, burst);
    await waitFor(
      async () => metricValue(await one.metrics(), 'sense_aggregator_messages_received_total') > before,
      'the burst to be folding',
    );
    await one.stop('SIGKILL');
    await sending;
    sent += burst.length;
    await waitFor(async () => (await streamCount(nats.url, 'SENSE_EVENTS')) === sent, `${sent} events`);
    await one.start();
    await settled(one, expected.rows());
    const from = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    expect((await one.get<{ total: number }>(`/api/logins?unit=hour&from=${from}`)).body.total).toBe(310);
  });

  it('recognises every event of a full replay of the streams as a duplicate', async () => {
    await one.stop('SIGTERM');
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    for (const stream of ['SENSE_EVENTS', 'SENSE_ALERTS']) await jsm.consumers.delete(stream, 'agg-one');
    await nc.close();
    await one.start();
    const duplicates = await waitFor(async () => {
      const n = metricValue(await one.metrics(), 'sense_aggregator_messages_total{outcome="duplicate"}');
      return n >= sent ? n : undefined;
    }, `${sent} duplicates`);
    expect(duplicates).toBe(sent);
    const text = await one.metrics();
    expect(metricValue(text, 'sense_aggregator_logins_total{node="NODE-A"}')).toBe(0);
    expect(rowsOf(await sessions(one))).toEqual(expected.rows());
    const from = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    expect((await one.get<{ total: number }>(`/api/logins?unit=hour&from=${from}`)).body.total).toBe(310);
  });

  it('gives the same answers from a second replica with its own durable consumer', async () => {
    two = await AggregatorUnderTest.create(nats.url, 'agg-two');
    await two.start();
    const a = await settled(two, expected.rows());
    const b = await sessions(one);
    expect(a.sessions).toEqual(b.sessions);
    const q = `?at=${encodeURIComponent(at1)}`;
    expect((await sessions(two, q)).sessions).toEqual((await sessions(one, q)).sessions);
  });

  it('exposes per-node series, node health and user history', async () => {
    const text = await one.metrics();
    const onB = expected.rows().filter((r) => r.startsWith('SENSE-B ')).length;
    expect(metricValue(text, 'sense_aggregator_active_sessions{node="NODE-A"}')).toBe(4);
    expect(metricValue(text, 'sense_aggregator_active_sessions{node="NODE-B"}')).toBe(onB);
    expect(metricValue(text, 'sense_aggregator_active_users{node="NODE-B"}')).toBe(onB);
    expect(text).toMatch(/^sense_aggregator_node_last_seen_age_seconds\{node="NODE-A"\} \d/m);
    expect(metricValue(text, 'sense_aggregator_history_write_errors_total')).toBe(0);

    const nodesBody = await waitFor(async () => {
      const { body } = await one.get<{
        nodes: { node: string; silent: boolean; lastStatusAt: string | null }[];
      }>('/api/nodes');
      return body.nodes.length === 2 && body.nodes.every((n) => n.lastStatusAt !== null) ? body : undefined;
    }, 'both nodes with a status');
    expect(nodesBody.nodes.map((n) => [n.node, n.silent])).toEqual([
      ['NODE-A', false],
      ['NODE-B', false],
    ]);

    const history = await one.get<{
      sessions: { host: string; end: string | null; endReason: string | null }[];
    }>('/api/users/CORP%5Cu3/history');
    expect(history.body.sessions).toEqual([
      expect.objectContaining({ host: 'SENSE-A', endReason: 'stop', end: expect.any(String) as unknown }),
    ]);
    const now = await one.get<{ totals: { sessions: number; users: number; connections: number } }>(
      '/api/now',
    );
    const total = expected.rows().length;
    expect(now.body.totals).toMatchObject({ sessions: total, users: total, connections: 1 });
  });

  it('streams the view to live pages as server-sent events', async () => {
    const abort = new AbortController();
    const response = await fetch(`${one.url}/api/stream`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const nextUpdate = async (): Promise<{ now: { totals: { sessions: number } } }> => {
      for (;;) {
        const match = /event: update\ndata: (.*)\n\n/.exec(text);
        if (match !== null) {
          text = text.slice(match.index + match[0].length);
          return JSON.parse(match[1] ?? '{}') as { now: { totals: { sessions: number } } };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value, { stream: true });
      }
    };
    const total = expected.rows().length;
    expect((await nextUpdate()).now.totals.sessions).toBe(total);
    await sendDatagrams(A().udpPort, [
      formatDatagram({ kind: 'session.start', host: 'SENSE-A', directory: 'CORP', userId: 'u11' }),
    ]);
    expected.apply('SENSE-A', 'session.start', 'u11');
    sent += 1;
    await waitFor(
      async () => (await nextUpdate()).now.totals.sessions === total + 1,
      'an update with the new session',
    );
    abort.abort();
  });

  it('who prints the sessions as a table, filtered by app, and fails clearly without an aggregator', async () => {
    await settled(one, expected.rows());
    const who = spawnSync(process.execPath, [CLI, 'who', '--url', one.url, '--tz', 'Asia/Kolkata'], {
      encoding: 'utf8',
    });
    expect(who.status, who.stderr).toBe(0);
    const lines = who.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^HOST +USER +START +FOR$/);
    const rows = lines
      .slice(1, -2)
      .map((l) => l.split(/ +/).slice(0, 2).join(' '))
      .sort();
    expect(rows).toEqual(expected.rows());
    // Local times with the zone's offset, and how long each session has been open.
    expect(lines[1]).toMatch(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+05:30 +\d+(s|m|h\d\dm)$/);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^${expected.rows().length} sessions at \\d{4}-.* \\+05:30 \\(Asia/Kolkata\\)$`),
    );

    const byApp = spawnSync(process.execPath, [CLI, 'who', '--app', APP, '--url', one.url, '--json'], {
      encoding: 'utf8',
    });
    const json = JSON.parse(byApp.stdout) as { sessions: Record<string, unknown>[] };
    expect(json.sessions).toEqual([
      {
        host: 'SENSE-B',
        user: 'CORP\\u8',
        start: expect.stringMatching(/^\d{4}-.*Z$/) as unknown,
        startLocal: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d$/) as unknown,
        durationSeconds: expect.any(Number) as unknown,
        app: APP,
      },
    ]);

    const badZone = spawnSync(process.execPath, [CLI, 'who', '--tz', 'Mars/Olympus', '--url', one.url], {
      encoding: 'utf8',
    });
    expect(badZone.status).toBe(2);
    expect(badZone.stderr).toContain('--tz: not an IANA time zone');

    const nobody = `http://127.0.0.1:${await freeTcpPort()}`;
    const down = spawnSync(process.execPath, [CLI, 'who', '--url', nobody], { encoding: 'utf8' });
    expect(down.status).toBe(1);
    expect(down.stderr).toContain(`cannot reach the aggregator at ${nobody}`);
  });
});
