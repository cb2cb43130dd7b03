import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { Subscriber } from '../helpers/subscriber.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../../rules', import.meta.url));
const session = (command: 'Start' | 'Stop', user: string, host = 'SENSE-NODE1') => {
  const [directory, id] = user.split('\\');
  return `/qseow-proxy-session/;${host};${command} session;${directory};${id};AppAccess;/hub/;${command} session for user '${user}'`;
};

/** The shipped rules/ in the real sidecar process: each family fires on realistic datagrams. */
describe('shipped rules', () => {
  let nats: NatsServer;
  let subscriber: Subscriber;
  let sidecar: SidecarProcess;
  let udpPort: number;

  beforeAll(async () => {
    nats = await NatsServer.start();
    subscriber = await Subscriber.start(nats.url, 'sense.>');
    udpPort = await freeUdpPort();
    sidecar = await SidecarProcess.start(
      [
        'node: SENSE-NODE1',
        `udp: {port: ${udpPort}}`,
        `nats: {servers: [${nats.url}]}`,
        `rules: {paths: [${RULES}]}`,
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await sidecar.stop();
    await subscriber.close();
    await nats.stop();
  });

  it('blacklists: drops service accounts before anything sees them, alerts on a leaver', async () => {
    await sendDatagrams(udpPort, [
      session('Start', 'INTERNAL\\sa_scheduler'),
      session('Stop', 'INTERNAL\\sa_scheduler'),
      session('Start', 'EXAMPLE\\former.employee'),
    ]);
    const alert = await waitFor(
      () => subscriber.on('sense.alerts.SENSE-NODE1.critical.leaver-login')[0],
      'leaver alert',
    );
    expect(alert.body).toMatchObject({
      type: 'sense.alert.firing',
      data: {
        rule: 'leaver-login',
        severity: 'critical',
        key: 'EXAMPLE\\former.employee',
        message:
          'EXAMPLE\\former.employee is on the leavers list and started a session on SENSE-NODE1: disable the account',
        conditions: [
          {
            fact: 'user',
            operator: 'inList',
            value: 'leavers',
            factResult: 'EXAMPLE\\former.employee',
            result: true,
          },
        ],
      },
    });
    const events = subscriber.on('sense.events.');
    expect(events.map((e) => e.body.data['user'])).toEqual([{ directory: 'EXAMPLE', id: 'former.employee' }]);
    // The alert names the event that triggered it.
    expect(alert.body.data['eventIds']).toEqual([events[0]?.body.id]);
  });

  it('suspicious session counts: fires at the Qlik limit of 5, explains why, resolves below it', async () => {
    await sendDatagrams(
      udpPort,
      Array.from({ length: 5 }, () => session('Start', 'CORP\\mallory')),
    );
    const firing = await waitFor(
      () => subscriber.on('sense.alerts.SENSE-NODE1.warning.parallel-session-limit')[0],
      'the parallel-session alert',
    );
    expect(firing.body.data).toMatchObject({
      status: 'firing',
      key: 'CORP\\mallory',
      facts: { activeSessions: 5 },
      conditions: [
        {
          fact: 'activeSessions',
          params: { per: 'user' },
          operator: 'greaterThanInclusive',
          value: 5,
          factResult: 5,
          result: true,
        },
      ],
    });
    expect(String(firing.body.data['message'])).toContain('CORP\\mallory');
    await sendDatagrams(udpPort, [session('Stop', 'CORP\\mallory')]);
    const resolved = await waitFor(
      () => subscriber.on('sense.alerts.').find((m) => m.body.type === 'sense.alert.resolved'),
      'the resolved alert',
    );
    expect(resolved.body.data).toMatchObject({
      alertId: firing.body.data['alertId'],
      facts: { activeSessions: 4 },
    });
  });

  it('peak-hour thresholds: a log-in storm on one node fires the storm rule for the hour it is in', async () => {
    const storm = Array.from({ length: 320 }, (_, i) => session('Start', `CORP\\user${i}`, 'SENSE-NODE2'));
    await sendDatagrams(udpPort, storm);
    const alert = await waitFor(
      () =>
        subscriber
          .on('sense.alerts.SENSE-NODE2.')
          .find((m) => String(m.body.data['rule']).startsWith('login-storm')),
      'a login-storm alert for SENSE-NODE2',
    );
    // Which of the two fires depends on whether now is inside the peak-hours schedule.
    const facts = alert.body.data['facts'] as Record<string, unknown>;
    expect(facts['inSchedule']).toBe(alert.body.data['rule'] === 'login-storm-peak');
    expect(facts['eventCount']).toBeGreaterThan(alert.body.data['rule'] === 'login-storm-peak' ? 300 : 100);
    expect(alert.body.data['key']).toBe('SENSE-NODE2');
    expect(
      subscriber
        .on('sense.alerts.SENSE-NODE2.')
        .filter((m) => m.body.data['rule'] === alert.body.data['rule']),
    ).toHaveLength(1);
  });
});
