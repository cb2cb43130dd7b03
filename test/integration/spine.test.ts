import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../helpers/nats-server.js';
import { freeTcpPort, freeUdpPort } from '../helpers/ports.js';
import { CLI, SidecarProcess } from '../helpers/sidecar-process.js';
import { Subscriber } from '../helpers/subscriber.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const APP = 'e7af59a0-c243-480d-9571-08727551a66f';

function config(udpPort: number, natsUrl: string, allowedSources: string[] = []): string {
  return [
    'node: sense1.corp.example.com',
    'udp:',
    `  port: ${udpPort}`,
    `  allowedSources: [${allowedSources.join(', ')}]`,
    'nats:',
    `  servers: [${natsUrl}]`,
    'status:',
    '  interval: 1s',
    'log:',
    '  level: info',
    'rules:',
    '  paths: []',
  ].join('\n');
}

describe('sidecar spine: UDP in, CloudEvents out on NATS', () => {
  let nats: NatsServer;
  let subscriber: Subscriber;
  let sidecar: SidecarProcess;
  let udpPort: number;

  beforeAll(async () => {
    nats = await NatsServer.start();
    subscriber = await Subscriber.start(nats.url, 'sense.>');
    udpPort = await freeUdpPort();
    sidecar = await SidecarProcess.start(config(udpPort, nats.url));
  });

  afterAll(async () => {
    await sidecar.stop();
    await subscriber.close();
    await nats.stop();
  });

  it('publishes each event as a CloudEvent on <prefix>.events.<host>.<kind>', async () => {
    await sendDatagrams(udpPort, [
      "/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;jdoe;AppAccess;/hub/;Start session for user 'CORP\\jdoe'",
      `/qseow-proxy-connection/;sense1.corp.example.com;Open connection;CORP;jdoe;AppAccess;/app/${APP}?reloaduri=x;Engine connection Opened for session. UserAgent: '${CHROME}'`,
    ]);
    const events = await waitFor(() => {
      const got = subscriber.on('sense.events.');
      return got.length >= 2 ? got : undefined;
    }, 'two events');
    const [start, open] = events;
    expect(start?.subject).toBe('sense.events.SENSE-NODE1.session.start');
    expect(start?.msgId).toBe(start?.body.id);
    expect(start?.body).toMatchObject({
      specversion: '1.0',
      source: 'sense-sidecar/sense1.corp.example.com',
      type: 'sense.session.start',
      datacontenttype: 'application/json',
      data: {
        kind: 'session.start',
        host: 'SENSE-NODE1',
        user: { directory: 'CORP', id: 'jdoe' },
        origin: 'AppAccess',
        context: '/hub/',
        appId: null,
        userAgent: null,
        message: "Start session for user 'CORP\\jdoe'",
      },
    });
    expect(Number.isNaN(Date.parse(String(start?.body['time'])))).toBe(false);
    // A host with dots is one subject token; the real name stays in the payload.
    expect(open?.subject).toBe('sense.events.sense1_corp_example_com.connection.open');
    expect(open?.body.data).toMatchObject({
      host: 'sense1.corp.example.com',
      appId: APP,
      userAgent: { raw: CHROME, browser: 'Chrome', browserVersion: '120.0.0.0', os: 'Windows' },
    });
    expect(new Set(events.map((e) => e.body.id)).size).toBe(events.length);
  });

  it('dead-letters what is not a user event, with the reason, the sender and the raw text', async () => {
    await sendDatagrams(udpPort, [
      'just some text',
      '/qseow-proxy-session/;SENSE-NODE1;Pause session;CORP;jdoe;;/hub/;x',
    ]);
    const rejects = await waitFor(() => {
      const got = subscriber.on('sense.rejects.sense1_corp_example_com');
      return got.length >= 2 ? got : undefined;
    }, 'two rejects');
    expect(rejects.map((r) => r.body.data['reason'])).toEqual(['unknown-prefix', 'unknown-command']);
    expect(rejects[0]?.body).toMatchObject({
      type: 'sense.reject',
      data: { raw: 'just some text', bytes: 14, sender: { address: '127.0.0.1' } },
    });
    expect(String(rejects[1]?.body.data['detail'])).toContain('Pause session');
    await sidecar.waitForLog((l) => l.msg === 'rejected 2 datagram(s)', 'the reject summary in the log');
  });

  it('publishes a status message with counters on <prefix>.status.<node>', async () => {
    const status = await waitFor(() => {
      const got = subscriber.on('sense.status.sense1_corp_example_com');
      const last = got.at(-1);
      return last !== undefined && last.body.data['decoded'] === 2 ? last : undefined;
    }, 'a status message counting the two events');
    expect(status.body).toMatchObject({
      type: 'sense.status',
      data: {
        node: 'sense1.corp.example.com',
        received: 4,
        decoded: 2,
        rejected: 2,
        rejectedByReason: { 'unknown-prefix': 1, 'unknown-command': 1 },
        nats: 'connected',
      },
    });
    expect(status.body.data['published']).toBeGreaterThanOrEqual(4);
    // Linux exposes per-socket drops; this machine is Linux.
    expect(status.body.data['udpReceiveErrors']).toBe(0);
  });
});

describe('sidecar lifecycle', () => {
  it('refuses a bad config with every problem as file:line:column and exit code 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sense-bad-config-'));
    const file = join(dir, 'sidecar.yaml');
    writeFileSync(file, 'udp:\n  prot: 9997\n  port: 99999\nnats:\n  servers: []\nrules:\n  paths:\n');
    const result = spawnSync(process.execPath, [CLI, 'run', '--config', file], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${file}:2:3: udp.prot: unknown key "prot"; did you mean "port"?`);
    expect(result.stderr).toContain(
      `${file}:3:9: udp.port: must be an integer between 1 and 65535, got "99999"`,
    );
    // Empty lists and null values are fine: only the two problems above are reported.
    expect(result.stderr).toContain('configuration refused: 2 problem(s)');
  });

  it('checks udp.allowedSources first: an unlisted sender is counted and dead-lettered without its text', async () => {
    const nats = await NatsServer.start();
    const subscriber = await Subscriber.start(nats.url, 'sense.>');
    const udpPort = await freeUdpPort();
    const sidecar = await SidecarProcess.start(config(udpPort, nats.url, ['10.0.0.0/8']));
    try {
      await sendDatagrams(udpPort, [
        '/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;jdoe;AppAccess;/hub/;Start session for user',
      ]);
      const reject = await waitFor(() => subscriber.on('sense.rejects.')[0], 'the reject');
      expect(reject.body.data).toMatchObject({
        reason: 'source-not-allowed',
        raw: '',
        sender: { address: '127.0.0.1' },
      });
      expect(subscriber.on('sense.events.')).toHaveLength(0);
    } finally {
      await sidecar.stop();
      await subscriber.close();
      await nats.stop();
    }
  });

  it('keeps receiving while NATS is unreachable at start, and publishes once it is up', async () => {
    const natsPort = await freeTcpPort();
    const udpPort = await freeUdpPort();
    const sidecar = await SidecarProcess.start(config(udpPort, `nats://127.0.0.1:${natsPort}`));
    try {
      await sendDatagrams(udpPort, [
        '/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;early;AppAccess;/hub/;Start session for user',
      ]);
      await sidecar.waitForLog(
        (l) => String(l.msg).startsWith('NATS is not reachable yet'),
        'the unreachable log',
      );
      const server = await NatsServer.startOnPort(natsPort);
      try {
        const subscriber = await Subscriber.start(server.url, 'sense.events.>');
        const got = await waitFor(() => subscriber.messages[0], 'the event sent before NATS was up', 15_000);
        expect(got.body.data['user']).toEqual({ directory: 'CORP', id: 'early' });
        await subscriber.close();
      } finally {
        await server.stop();
      }
      const unreachableLogs = sidecar.logs.filter((l) => String(l.msg).startsWith('NATS is not reachable'));
      expect(unreachableLogs).toHaveLength(1);
    } finally {
      await sidecar.stop();
    }
  });

  it('on SIGTERM stops intake, publishes what is in flight and exits 0', async () => {
    const nats = await NatsServer.start();
    const subscriber = await Subscriber.start(nats.url, 'sense.events.>');
    const udpPort = await freeUdpPort();
    const sidecar = await SidecarProcess.start(config(udpPort, nats.url));
    const datagrams = Array.from(
      { length: 500 },
      (_, i) =>
        `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;user${i};AppAccess;/hub/;Start session for user`,
    );
    await sendDatagrams(udpPort, datagrams);
    await sidecar.waitForLog(() => true, 'any log line');
    expect(await sidecar.stop('SIGTERM')).toBe(0);
    await waitFor(() => subscriber.messages.length === 500, 'all 500 events after shutdown');
    await subscriber.close();
    await nats.stop();
  });
});
