import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { qualifiedUser, type SessionExpired, type UserRef } from '../../src/core/events.js';
import { REJECT_REASONS, type Reject } from '../../src/core/reject.js';
import { createDecoder } from '../../src/ingest/decode.js';
import {
  REDACTED_TEXT,
  scrubAlertData,
  scrubAlertEnvelope,
  scrubEvent,
  scrubReject,
  scrubText,
  userFromKey,
} from '../../src/privacy/scrub.js';
import { loadPrivacySecret } from '../../src/privacy/secret.js';
import { createUserHasher } from '../../src/privacy/user-hasher.js';
import type { AlertData } from '../../src/contract/data.js';
import { envelope } from '../../src/contract/envelope.js';

const SECRET = 'correct horse battery staple';
const HASH = /^h:[0-9a-f]{32}$/;
const JDOE: UserRef = { directory: 'CORP', id: 'jdoe' };

interface Fixture {
  readonly name: string;
  readonly datagram: string;
  readonly expect: { readonly reject?: boolean };
}

const fixtures = readFileSync(new URL('../fixtures/user-events.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Fixture);

const decode = createDecoder();
const encoder = new TextEncoder();

describe('createUserHasher', () => {
  it('hashes directory and DIRECTORY\\id to h: and 32 hex digits of HMAC-SHA256', () => {
    const hashed = createUserHasher(SECRET).hashUser(JDOE);
    expect(hashed.directory).toMatch(HASH);
    expect(hashed.id).toMatch(HASH);
    const hmac = (text: string): string =>
      'h:' + createHmac('sha256', SECRET).update(text).digest('hex').slice(0, 32);
    // the documented contract, computable by any HMAC tool
    expect(hashed).toEqual({ directory: hmac('directory:corp'), id: hmac('user:corp\\jdoe') });
  });

  it('gives the same hash on two nodes with the same key, and another with another key', () => {
    const node1 = createUserHasher(SECRET);
    const node2 = createUserHasher(new TextEncoder().encode(SECRET));
    const other = createUserHasher('another secret, also 16+ bytes');
    expect(node2.hashUser(JDOE)).toEqual(node1.hashUser(JDOE));
    expect(other.hashUser(JDOE).id).not.toBe(node1.hashUser(JDOE).id);
    expect(other.hashUser(JDOE).directory).not.toBe(node1.hashUser(JDOE).directory);
  });

  it('ignores case (Qlik user names are case-insensitive) but not the directory', () => {
    const hasher = createUserHasher(SECRET);
    const a = hasher.hashUser({ directory: 'CORP', id: 'JDoe' });
    expect(hasher.hashUser({ directory: 'corp', id: 'jdoe' })).toEqual(a);
    expect(hasher.hashUser({ directory: 'Corp', id: 'JDOE' })).toEqual(a);
    expect(hasher.hashUser({ directory: 'TEST', id: 'jdoe' }).id).not.toBe(a.id);
    expect(hasher.hashDirectory('corp')).toBe(a.directory);
  });

  it('keeps a directory hash apart from a user hash of the same text', () => {
    const hasher = createUserHasher(SECRET);
    expect(hasher.hashDirectory('CORP\\jdoe')).not.toBe(hasher.hashUser(JDOE).id);
  });

  it('memoises in a bounded LRU: same object while cached, same value after eviction', () => {
    const hasher = createUserHasher(SECRET, { cacheSize: 2 });
    const first = hasher.hashUser(JDOE);
    expect(hasher.hashUser({ directory: 'corp', id: 'JDOE' })).toBe(first);
    hasher.hashUser({ directory: 'CORP', id: 'a' });
    hasher.hashUser(JDOE); // refreshed: now 'a' is the least recently used
    hasher.hashUser({ directory: 'CORP', id: 'b' });
    expect(hasher.hashUser(JDOE)).toBe(first);
    hasher.hashUser({ directory: 'CORP', id: 'c' });
    hasher.hashUser({ directory: 'CORP', id: 'd' });
    const again = hasher.hashUser(JDOE);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it('refuses an empty key and never shows the key', () => {
    expect(() => createUserHasher('')).toThrow(RangeError);
    const hasher = createUserHasher(SECRET);
    expect(inspect(hasher, { depth: 5, showHidden: true })).not.toContain('horse');
    expect(JSON.stringify(hasher)).not.toContain('horse');
  });
});

describe('scrubText', () => {
  const hasher = createUserHasher(SECRET);
  const hashed = hasher.hashUser(JDOE);
  const hashedQualified = qualifiedUser(hashed);

  it('replaces DIR\\id in any case and the quoted id, and leaves other text alone', () => {
    expect(scrubText("Start session for user 'CORP\\jdoe'", JDOE, hasher)).toBe(
      `Start session for user '${hashedQualified}'`,
    );
    expect(scrubText('corp\\JDOE and Corp\\JDoe', JDOE, hasher)).toBe(
      `${hashedQualified} and ${hashedQualified}`,
    );
    expect(scrubText(`user 'JDoe' and "jdoe" left`, JDOE, hasher)).toBe(
      `user '${hashed.id}' and "${hashed.id}" left`,
    );
    expect(scrubText('jdoeX and xjdoe and jdoe', JDOE, hasher)).toBe('jdoeX and xjdoe and jdoe');
    expect(scrubText('Engine connection Closed for session', JDOE, hasher)).toBe(
      'Engine connection Closed for session',
    );
  });

  it('takes ids with regular-expression characters literally', () => {
    const user = { directory: 'A.B', id: 'j(d)+e$1' };
    const h = hasher.hashUser(user);
    expect(scrubText("x A.B\\j(d)+e$1 'J(D)+E$1' AxB\\j(d)+e$1", user, hasher)).toBe(
      `x ${qualifiedUser(h)} '${h.id}' AxB\\j(d)+e$1`,
    );
  });

  it('matches what toLowerCase makes equal, also where lower-casing changes the length', () => {
    const user = { directory: 'ISTANBUL', id: 'x' };
    const h = qualifiedUser(hasher.hashUser(user));
    // toLowerCase makes "i\u0307" (i + combining dot) of "\u0130" (İ): two characters of one
    expect(scrubText('user \u0130stanbul\\X here', user, hasher)).toBe('user \u0130stanbul\\X here');
    const dotted = { directory: '\u0130', id: 'x' };
    const hd = qualifiedUser(hasher.hashUser(dotted));
    expect(scrubText('a i\u0307\\x b', dotted, hasher)).toBe(`a ${hd} b`);
    expect(scrubText('a \u0130\\X b', dotted, hasher)).toBe(`a ${hd} b`);
    expect(scrubText("\u0130 ISTANBUL\\x 'X'", user, hasher)).toBe(
      `\u0130 ${h} '${hasher.hashUser(user).id}'`,
    );
  });

  it('redacts a text the name cannot be cut out of', () => {
    // user \h: its hashed form h:…\h:… holds \h itself
    expect(scrubText('user \\h here', { directory: '', id: 'h' }, hasher)).toBe(REDACTED_TEXT);
  });
});

describe('scrubEvent', () => {
  const hasher = createUserHasher(SECRET);

  it.each(fixtures.filter((f) => f.expect.reject !== true))(
    'takes the user out of fixture "$name"',
    (fixture) => {
      const result = decode(encoder.encode(fixture.datagram));
      if (!result.ok) throw new Error('fixture did not decode');
      const { event } = result;
      const scrubbed = scrubEvent(event, hasher);
      expect(scrubbed.user).toEqual(hasher.hashUser(event.user));
      expect(scrubbed.user.directory).toMatch(HASH);
      const text = JSON.stringify(scrubbed);
      expect(text.toLowerCase()).not.toContain(
        JSON.stringify(qualifiedUser(event.user)).slice(1, -1).toLowerCase(),
      );
      expect(text).not.toContain(`'${event.user.id}'`);
      expect({ ...scrubbed, user: event.user, message: event.message }).toEqual(event);
    },
  );

  it('rewrites the fixture message "Start session for user \'CORP\\jdoe\'"', () => {
    const first = fixtures[0];
    if (first === undefined) throw new Error('no fixtures');
    const result = decode(encoder.encode(first.datagram));
    if (!result.ok) throw new Error('fixture did not decode');
    const h = hasher.hashUser(JDOE);
    expect(scrubEvent(result.event, hasher).message).toBe(`Start session for user '${h.directory}\\${h.id}'`);
  });

  it('scrubs an expiry, keeping its own fields', () => {
    const expired: SessionExpired = {
      kind: 'session.expired',
      host: 'SENSE-NODE1',
      user: { directory: 'CORP', id: 'JDoe' },
      origin: '',
      context: '',
      appId: null,
      userAgent: null,
      message: '2 session(s) of CORP\\JDoe expired after 35m without activity',
      sessions: 2,
      lastActivityAt: 123,
    };
    const scrubbed = scrubEvent(expired, hasher);
    expect(scrubbed.kind).toBe('session.expired');
    expect(scrubbed.sessions).toBe(2);
    expect(scrubbed.lastActivityAt).toBe(123);
    expect(scrubbed.message).toBe(
      `2 session(s) of ${qualifiedUser(hasher.hashUser(JDOE))} expired after 35m without activity`,
    );
  });
});

describe('scrubReject', () => {
  it('empties raw and keeps reason, bytes and a detail that cannot quote the datagram', () => {
    const reject: Reject = {
      reason: 'too-few-fields',
      detail: 'datagram has 2 fields; expected at least 7',
      raw: '/qseow-proxy-session/;CORP\\jdoe',
      bytes: 31,
    };
    expect(scrubReject(reject)).toEqual({ ...reject, raw: '' });
  });

  it('replaces a detail that quotes the datagram (unknown prefix, unknown command)', () => {
    for (const datagram of ['CORP\\jdoe;Start session', '/qseow-proxy-session/;N1;jdoe;CORP;x;y;z;m']) {
      const result = decode(encoder.encode(datagram));
      if (result.ok) throw new Error('expected a reject');
      expect(result.reject.detail).toContain('jdoe');
      const scrubbed = scrubReject(result.reject);
      expect(JSON.stringify(scrubbed)).not.toContain('jdoe');
      expect(scrubbed.detail).toContain('withheld in privacy mode');
      expect(scrubbed.reason).toBe(result.reject.reason);
    }
  });

  it('has a text for every reason', () => {
    for (const reason of REJECT_REASONS) {
      expect(scrubReject({ reason, detail: 'd', raw: 'r', bytes: 1 }).detail.length).toBeGreaterThan(0);
    }
  });
});

describe('scrubAlertData', () => {
  const hasher = createUserHasher(SECRET);
  const mallory: UserRef = { directory: 'ACME', id: 'Mallory' };
  const h = hasher.hashUser(mallory);
  const data: AlertData = {
    alertId: '0123456789abcdef0123456789abcdef',
    status: 'firing',
    rule: 'leaver-login',
    severity: 'critical',
    description: 'Someone on the leavers list started a session.',
    key: 'ACME\\Mallory',
    host: 'SENSE-NODE1',
    node: 'SENSE-NODE1',
    message: "leaver ACME\\mallory logged in on SENSE-NODE1 (user 'mallory')",
    firingSince: '2026-11-30T07:30:04.000Z',
    notification: 1,
    facts: { user: 'acme\\mallory', userId: 'MALLORY', userDirectory: 'ACME', activeSessions: 5 },
    conditions: [
      {
        fact: 'user',
        operator: 'inList',
        value: ['ACME\\mallory', 'ACME\\eve*'],
        factResult: 'ACME\\Mallory',
        result: true,
      },
      {
        fact: 'userId',
        params: { per: 'user' },
        operator: 'equal',
        value: 'mallory',
        factResult: 'Mallory',
        result: true,
      },
      { fact: 'activeSessions', operator: 'greaterThan', value: 4, factResult: 5, result: true },
    ],
    eventIds: ['01KB4Z3Q6M3V5B7X1Y2Z3A4B5C'],
  };

  it('hashes the key, the message and every fact and condition string naming the user', () => {
    const scrubbed = scrubAlertData(data, [mallory], hasher);
    const hq = qualifiedUser(h);
    expect(scrubbed.key).toBe(hq);
    expect(scrubbed.message).toBe(`leaver ${hq} logged in on SENSE-NODE1 (user '${h.id}')`);
    expect(scrubbed.facts).toEqual({ user: hq, userId: h.id, userDirectory: h.directory, activeSessions: 5 });
    expect(scrubbed.conditions[0]).toEqual({
      ...data.conditions[0],
      value: [hq, 'ACME\\eve*'],
      factResult: hq,
    });
    expect(scrubbed.conditions[1]).toMatchObject({ value: h.id, factResult: h.id, params: { per: 'user' } });
    expect(scrubbed.conditions[2]).toEqual(data.conditions[2]);
    expect(JSON.stringify(scrubbed).toLowerCase()).not.toContain('mallory');
    expect({ ...scrubbed, alertId: '', key: '', message: '', facts: {}, conditions: [] }).toEqual({
      ...data,
      alertId: '',
      key: '',
      message: '',
      facts: {},
      conditions: [],
    });
  });

  it('replaces the alert id by a keyed hash, stable per episode, and rebuilds the message id', () => {
    const a = scrubAlertData(data, [mallory], hasher);
    const b = scrubAlertData({ ...data, status: 'resolved' }, [mallory], hasher);
    expect(a.alertId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.alertId).not.toBe(data.alertId);
    expect(b.alertId).toBe(a.alertId);
    const message = envelope('sense.alert.firing', data, `${data.alertId}-f1`, 'SENSE-NODE1', 0);
    const scrubbed = scrubAlertEnvelope(message, [mallory], hasher);
    expect(scrubbed.id).toBe(`${a.alertId}-f1`);
    expect(scrubbed.data).toEqual(a);
    expect(scrubbed.type).toBe('sense.alert.firing');
  });

  it('finds the user of a user-keyed alert from its key', () => {
    expect(userFromKey('ACME\\Mallory')).toEqual(mallory);
    expect(userFromKey('SENSE-NODE1')).toBeNull();
  });
});

describe('loadPrivacySecret', () => {
  const off = { hashUsers: false, secret: '', secretFile: '' };
  const noFile = (): never => {
    throw new Error('must not read');
  };

  it('reads nothing when privacy mode is off', async () => {
    expect(await loadPrivacySecret({ ...off, secretFile: '/nope' }, noFile)).toEqual({
      key: null,
      problems: [],
    });
  });

  it('takes privacy.secret, and gives the same hashes as the same key from a file', async () => {
    const fromEnv = await loadPrivacySecret({ ...off, hashUsers: true, secret: SECRET }, noFile);
    const fromFile = await loadPrivacySecret(
      { ...off, hashUsers: true, secretFile: '/etc/sense-sidecar/privacy.key' },
      (path) => {
        expect(path).toBe('/etc/sense-sidecar/privacy.key');
        return Promise.resolve(encoder.encode(`${SECRET}\r\n`));
      },
    );
    expect(fromEnv.problems).toEqual([]);
    expect(fromFile.problems).toEqual([]);
    if (fromEnv.key === null || fromFile.key === null) throw new Error('no key');
    expect(createUserHasher(fromFile.key).hashUser(JDOE)).toEqual(
      createUserHasher(fromEnv.key).hashUser(JDOE),
    );
    expect(createUserHasher(fromEnv.key).hashUser(JDOE)).toEqual(createUserHasher(SECRET).hashUser(JDOE));
    expect(inspect(fromEnv, { depth: 5 })).not.toContain('horse');
  });

  it('lists the problems, never the secret', async () => {
    const on = { ...off, hashUsers: true };
    const missing = await loadPrivacySecret(on, noFile);
    expect(missing.key).toBeNull();
    expect(missing.problems).toEqual([expect.stringMatching(/^privacy\.hashUsers: .*no key/)]);

    const short = await loadPrivacySecret({ ...on, secret: 'hunter2-secret' }, noFile);
    expect(short.key).toBeNull();
    expect(short.problems).toEqual([
      expect.stringMatching(/^privacy\.secret: the key is 14 bytes; at least 16 are required/),
    ]);
    expect(short.problems.join('\n')).not.toContain('hunter2');

    const both = await loadPrivacySecret({ ...on, secret: SECRET, secretFile: '/k' }, noFile);
    expect(both.problems).toEqual([expect.stringContaining('set only one')]);

    const unreadable = await loadPrivacySecret({ ...on, secretFile: '/missing.key' }, () =>
      Promise.reject(new Error("ENOENT: no such file or directory, open '/missing.key'")),
    );
    expect(unreadable.problems).toEqual([
      "privacy.secretFile: cannot read /missing.key: ENOENT: no such file or directory, open '/missing.key'",
    ]);

    const empty = await loadPrivacySecret({ ...on, secretFile: '/empty.key' }, () => '\n');
    expect(empty.problems).toEqual(['privacy.secretFile: /empty.key is empty']);

    const shortFile = await loadPrivacySecret({ ...on, secretFile: '/short.key' }, () => 'tiny-key\n');
    expect(shortFile.problems).toEqual([
      expect.stringMatching(/^privacy\.secretFile: the key is 8 bytes; at least 16/),
    ]);
  });
});
