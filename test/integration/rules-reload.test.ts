import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { Subscriber } from '../helpers/subscriber.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

const limitRule = (threshold: number) => `
rules:
  - id: parallel-session-limit
    on: [session.start]
    when: {all: [{fact: activeSessions, params: {per: user}, operator: greaterThanInclusive, value: ${threshold}}]}
    key: user
    resolve: true
    message: '{{user}} holds {{facts.activeSessions}} sessions'
`;

const start = (user: string) =>
  `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;${user};AppAccess;/hub/;Start session for user`;

let nats: NatsServer;
let subscriber: Subscriber;
let sidecar: SidecarProcess;
let udpPort: number;
let rulesDir: string;
let ruleFile: string;

beforeAll(async () => {
  rulesDir = mkdtempSync(join(tmpdir(), 'sense-rules-'));
  ruleFile = join(rulesDir, 'limits.yaml');
  writeFileSync(ruleFile, limitRule(5));
  nats = await NatsServer.start();
  subscriber = await Subscriber.start(nats.url, 'sense.>');
  udpPort = await freeUdpPort();
  sidecar = await SidecarProcess.start(
    [
      'node: NODE1',
      `udp: {port: ${udpPort}}`,
      `nats: {servers: [${nats.url}]}`,
      `rules: {paths: [${rulesDir}]}`,
      'status: {interval: 1s}',
    ].join('\n'),
  );
});

afterAll(async () => {
  await sidecar.stop();
  await subscriber.close();
  await nats.stop();
  rmSync(rulesDir, { recursive: true, force: true });
});

it('refuses a broken rule file on reload, keeps the old rules, and says why on the status subject', async () => {
  writeFileSync(ruleFile, limitRule(5).replace('greaterThanInclusive', 'greaterThanOrEqual'));
  const refused = await waitFor(
    () => subscriber.messages.find((m) => m.body.type === 'sense.rules.rejected'),
    'a sense.rules.rejected message',
  );
  expect(refused.subject).toBe('sense.status.NODE1');
  const errors = refused.body.data['errors'] as string[];
  expect(errors.join('\n')).toMatch(new RegExp(`^${ruleFile}:\\d+:\\d+: .*greaterThanOrEqual`, 'm'));
  await sidecar.waitForLog(
    (l) => l.msg === 'rule files refused; the last good rules stay active',
    'the refusal log',
  );

  // The old rule (threshold 5) is still active.
  await sendDatagrams(
    udpPort,
    Array.from({ length: 5 }, () => start('alice')),
  );
  const alert = await waitFor(() => subscriber.on('sense.alerts.')[0], 'the alert from the old rules');
  expect(alert.subject).toBe('sense.alerts.SENSE-NODE1.warning.parallel-session-limit');
  expect(alert.body.data).toMatchObject({
    status: 'firing',
    key: 'CORP\\alice',
    message: 'CORP\\alice holds 5 sessions',
  });
});

it('swaps in a valid rule set on change and keeps the live session counts', async () => {
  // bob holds 3 sessions before the reload; the new rule fires at 4, so the 4th start must fire
  // only if the counts survived the reload.
  await sendDatagrams(
    udpPort,
    Array.from({ length: 3 }, () => start('bob')),
  );
  await waitFor(() => subscriber.on('sense.events.').length === 8, "alice's 5 and bob's 3 events");
  writeFileSync(ruleFile, limitRule(4));
  await sidecar.waitForLog((l) => l.msg === 'rules reloaded', 'the reload');
  await sendDatagrams(udpPort, [start('bob')]);
  const alert = await waitFor(
    () => subscriber.on('sense.alerts.').find((m) => m.body.data['key'] === 'CORP\\bob'),
    'the alert for bob after the reload',
  );
  expect(alert.body.data).toMatchObject({
    message: 'CORP\\bob holds 4 sessions',
    facts: { activeSessions: 4 },
  });
});

it('reloads on SIGHUP too', async () => {
  sidecar.signal('SIGHUP');
  await sidecar.waitForLog(
    (l) => l.msg === 'rules reloaded' && l['reason'] === 'SIGHUP',
    'the SIGHUP reload',
  );
});
