import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { AlertPublisher } from '../helpers/alert-publisher.js';
import { metricValue } from '../helpers/metrics.js';
import { NatsServer } from '../helpers/nats-server.js';
import { makeLoopbackCertificate } from '../helpers/openssl.js';
import { SmtpServer } from '../helpers/smtp-server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The e-mail receiver against a real SMTP server (Debian's aiosmtpd, started by the test) that
 * requires TLS and a log-in: STARTTLS with AUTH PLAIN, TLS from the first byte with AUTH LOGIN,
 * both verifying the server's certificate against the test CA, and a receiver with a wrong
 * password (tried again, counted, the password nowhere in the log).
 */

const USER = 'sense-alerts';
const PASSWORD = 'pw-8d1e6c0b9a2f';
const WRONG = 'wrong-pw-5b7a3c';

describe('alert receivers: e-mail over a real SMTP server with TLS and AUTH', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sense-recv-smtp-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let nats: NatsServer;
  let alerts: AlertPublisher;
  let starttls: SmtpServer;
  let implicit: SmtpServer;
  let agg: AggregatorUnderTest;

  beforeAll(async () => {
    makeLoopbackCertificate(key, cert);
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    [starttls, implicit, nats] = await Promise.all([
      SmtpServer.start({ cert, key, user: USER, password: PASSWORD, mode: 'starttls' }),
      SmtpServer.start({ cert, key, user: USER, password: PASSWORD, mode: 'implicit' }),
      NatsServer.start({ jetstream: true }),
    ]);
    alerts = await AlertPublisher.connect(nats.url);
    const mail = (name: string, port: number, tls: string, auth: string, password: string): string[] => [
      `    - name: ${name}`,
      '      type: smtp',
      '      host: 127.0.0.1',
      `      port: ${port}`,
      `      tls: ${tls}`,
      `      auth: ${auth}`,
      `      user: ${USER}`,
      `      password: ${password}`,
      `      caFile: ${cert}`,
      '      from: sense-alerts@example.com',
      '      to: [ops@example.com, oncall@example.com]',
      '      timeout: 3s',
    ];
    agg = await AggregatorUnderTest.create(
      nats.url,
      'agg-smtp',
      [
        'alerting:',
        '  receivers:',
        ...mail('mail', starttls.port, 'starttls', 'plain', `{file: ${join(dir, 'password')}}`),
        ...mail('mail-tls', implicit.port, 'implicit', 'login', '{env: TEST_SMTP_PASSWORD}'),
        ...mail('mail-wrong', starttls.port, 'starttls', 'plain', '{env: TEST_SMTP_WRONG}'),
        '  routes:',
        '    - {receivers: [mail, mail-tls, mail-wrong]}',
      ],
      { TEST_SMTP_PASSWORD: PASSWORD, TEST_SMTP_WRONG: WRONG },
    );
    await agg.start();
  }, 30_000);

  afterAll(async () => {
    await agg.dispose();
    await alerts.close();
    await Promise.all([starttls.stop(), implicit.stop(), nats.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the firing and then the resolved mail through STARTTLS + PLAIN and implicit TLS + LOGIN', async () => {
    const message = 'CORP\\mallory holds 5 sessions\n.a line that starts with a dot\n.';
    await alerts.publish({
      alertId: 'M',
      status: 'firing',
      severity: 'critical',
      rule: 'license-expiring',
      message,
    });
    await alerts.publish({
      alertId: 'M',
      status: 'resolved',
      severity: 'critical',
      rule: 'license-expiring',
      message,
    });
    await waitFor(
      () => starttls.messages().length >= 2 && implicit.messages().length >= 2,
      'two mails on each server',
      15_000,
    );

    for (const server of [starttls, implicit]) {
      const got = server.messages();
      expect(got).toHaveLength(2);
      expect(got.map((m) => /^Subject: (.*)$/m.exec(m.data)?.[1])).toEqual([
        '[FIRING] critical license-expiring on SENSE-NODE1',
        '[RESOLVED] critical license-expiring on SENSE-NODE1',
      ]);
      for (const m of got) {
        expect(m).toMatchObject({
          mail_from: 'sense-alerts@example.com',
          rcpt_tos: ['ops@example.com', 'oncall@example.com'],
          auth_user: USER,
          tls: true,
        });
        // Dot-stuffed on the wire, so the server gives back the lines as written.
        expect(m.data).toContain('\r\n.a line that starts with a dot\r\n.\r\n');
        expect(m.data).toMatch(/^Message-ID: <M-(f1|r)\.mail(-tls)?@sense-aggregator>$/m);
        expect(m.data).toMatch(/^References: <M@sense-aggregator>$/m);
      }
    }
    const m = await agg.metrics();
    expect(metricValue(m, 'sense_aggregator_receiver_notices_sent_total{receiver="mail"}')).toBe(2);
    expect(metricValue(m, 'sense_aggregator_receiver_notices_sent_total{receiver="mail-tls"}')).toBe(2);
  }, 30_000);

  it('counts a refused log-in, keeps the mail queued, and logs neither password', async () => {
    await waitFor(
      async () =>
        metricValue(
          await agg.metrics(),
          'sense_aggregator_receiver_failed_attempts_total{receiver="mail-wrong"}',
        ) >= 1,
      'a refused log-in',
    );
    const body = (
      await agg.get<{ receivers: { name: string; lastError: string; pending: number; state: string }[] }>(
        '/api/receivers',
      )
    ).body;
    const wrong = body.receivers.find((r) => r.name === 'mail-wrong');
    expect(wrong?.lastError).toMatch(/^authentication refused: 535 .*; check user and password$/);
    expect(wrong?.state).toBe('retrying');
    expect(wrong?.pending).toBe(2);
    expect(
      metricValue(await agg.metrics(), 'sense_aggregator_receiver_notices_sent_total{receiver="mail-wrong"}'),
    ).toBe(0);
    const logs = JSON.stringify(agg.logs);
    expect(logs).toContain('authentication refused: 535');
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain(WRONG);
    expect(logs).not.toContain(Buffer.from(`\u0000${USER}\u0000${WRONG}`).toString('base64'));
  });
});
