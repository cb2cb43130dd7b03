import Bowser from 'bowser';
import { describe, expect, test } from 'vitest';
import { formatDatagram } from '../../src/simulate/datagram.js';
import { DESKTOP_USER_AGENTS, MOBILE_USER_AGENTS, USER_AGENTS } from '../../src/simulate/user-agents.js';

const APP = 'e7af59a0-c243-480d-9571-08727551a66f';
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36';
const user = { host: 'SENSE-NODE1', directory: 'CORP', userId: 'jdoe' } as const;

describe('formatDatagram', () => {
  test('session start', () => {
    expect(formatDatagram({ ...user, kind: 'session.start' })).toBe(
      "/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;jdoe;AppAccess;/hub/;Start session for user 'CORP\\jdoe'",
    );
  });

  test('session stop', () => {
    expect(formatDatagram({ ...user, kind: 'session.stop' })).toBe(
      "/qseow-proxy-session/;SENSE-NODE1;Stop session;CORP;jdoe;AppAccess;/hub/;Stop session for user 'CORP\\jdoe'",
    );
  });

  test('connection open with app and user agent', () => {
    expect(formatDatagram({ ...user, kind: 'connection.open', appId: APP, userAgent: UA })).toBe(
      `/qseow-proxy-connection/;SENSE-NODE1;Open connection;CORP;jdoe;AppAccess;/app/${APP};` +
        `Engine connection Opened for session. UserAgent: '${UA}'`,
    );
  });

  test('connection close with app and user agent', () => {
    expect(formatDatagram({ ...user, kind: 'connection.close', appId: APP, userAgent: UA })).toBe(
      `/qseow-proxy-connection/;SENSE-NODE1;Close connection;CORP;jdoe;AppAccess;/app/${APP};` +
        `Engine connection Closed for session. UserAgent: '${UA}'`,
    );
  });

  test('connection without user agent or app', () => {
    expect(formatDatagram({ ...user, kind: 'connection.open' })).toBe(
      '/qseow-proxy-connection/;SENSE-NODE1;Open connection;CORP;jdoe;AppAccess;/hub/;Engine connection Opened for session.',
    );
  });

  test('system account: empty origin, explicit context, non-ASCII ids pass through', () => {
    expect(
      formatDatagram({
        kind: 'session.stop',
        host: 'sense1.corp.example.com',
        directory: 'INTERNAL',
        userId: 'sa_scheduler',
        origin: '',
        context: '/qrs/',
      }),
    ).toBe(
      "/qseow-proxy-session/;sense1.corp.example.com;Stop session;INTERNAL;sa_scheduler;;/qrs/;Stop session for user 'INTERNAL\\sa_scheduler'",
    );
    expect(formatDatagram({ ...user, userId: 'åsa.lindström', kind: 'session.start' })).toContain(
      ";åsa.lindström;AppAccess;/hub/;Start session for user 'CORP\\åsa.lindström'",
    );
  });

  test('explicit context wins over appId, explicit message replaces the default (and may contain ;)', () => {
    const text = formatDatagram({
      ...user,
      kind: 'connection.close',
      appId: APP,
      context: `/app/${APP}?reloaduri=x`,
      message: 'Engine connection Closed for session; tab closed.',
    });
    expect(text).toBe(
      `/qseow-proxy-connection/;SENSE-NODE1;Close connection;CORP;jdoe;AppAccess;/app/${APP}?reloaduri=x;` +
        'Engine connection Closed for session; tab closed.',
    );
    // Receivers split on the first seven `;` only.
    expect(text.split(';').slice(7).join(';')).toBe('Engine connection Closed for session; tab closed.');
  });

  test('legacy prefixes', () => {
    expect(formatDatagram({ ...user, kind: 'session.start', legacyPrefix: true })).toMatch(
      /^\/proxy-session\/;/,
    );
    expect(formatDatagram({ ...user, kind: 'connection.close', legacyPrefix: true })).toMatch(
      /^\/proxy-connection\/;/,
    );
  });

  test('default messages pass the appender filters', () => {
    const filters = {
      'session.start': 'Start session for user',
      'session.stop': 'Stop session for user',
      'connection.open': 'connection Opened for session',
      'connection.close': 'connection Closed for session',
    } as const;
    for (const [kind, needle] of Object.entries(filters) as [keyof typeof filters, string][]) {
      expect(
        formatDatagram({ ...user, kind, userAgent: UA })
          .split(';')
          .slice(7)
          .join(';'),
      ).toContain(needle);
    }
  });
});

describe('user agents', () => {
  test('a dozen distinct strings, desktop and mobile', () => {
    expect(USER_AGENTS.length).toBeGreaterThanOrEqual(12);
    expect(new Set(USER_AGENTS.map((s) => s.ua)).size).toBe(USER_AGENTS.length);
    expect(DESKTOP_USER_AGENTS.length + MOBILE_USER_AGENTS.length).toBe(USER_AGENTS.length);
    expect(MOBILE_USER_AGENTS.length).toBeGreaterThan(0);
  });

  test('a real parser reads the labelled browser, OS and device type from each', () => {
    const browserNames = { Chrome: 'Chrome', Edge: 'Microsoft Edge', Firefox: 'Firefox', Safari: 'Safari' };
    for (const sample of USER_AGENTS) {
      const parsed = Bowser.parse(sample.ua);
      expect(parsed.browser.name, sample.ua).toBe(browserNames[sample.browser]);
      expect(parsed.os.name, sample.ua).toBe(sample.os);
      expect(parsed.platform.type, sample.ua).toBe(sample.mobile ? 'mobile' : 'desktop');
      expect(sample.ua).not.toContain(';;');
      expect(sample.ua).not.toContain("'");
    }
  });
});
