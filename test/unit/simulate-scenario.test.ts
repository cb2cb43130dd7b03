import { describe, expect, test } from 'vitest';
import { hashSeed, mulberry32, Rng } from '../../src/simulate/random.js';
import {
  buildMorningScenario,
  SUSPICIOUS_SESSIONS,
  type MorningOptions,
} from '../../src/simulate/scenario.js';
import { buildUserIds } from '../../src/simulate/users.js';

const OPTIONS: MorningOptions = {
  nodes: ['SENSE-NODE1', 'SENSE-NODE2'],
  users: 200,
  apps: 12,
  seed: 1,
  durationMs: 30 * 60_000,
};

interface Fields {
  prefix: string;
  host: string;
  command: string;
  directory: string;
  userId: string;
  origin: string;
  context: string;
  message: string;
}

/** Splits like a receiver: eight fields, the message being everything after the seventh `;`. */
function fields(datagram: string): Fields {
  const parts = datagram.split(';');
  const [prefix = '', host = '', command = '', directory = '', userId = '', origin = '', context = ''] =
    parts;
  return { prefix, host, command, directory, userId, origin, context, message: parts.slice(7).join(';') };
}

const PREFIX_OF: Record<string, string> = {
  'Start session': '/qseow-proxy-session/',
  'Stop session': '/qseow-proxy-session/',
  'Open connection': '/qseow-proxy-connection/',
  'Close connection': '/qseow-proxy-connection/',
};

/** Fails on the first prefix of the timeline where a user has more stops than starts (or closes than opens). */
function assertBalancedAtEveryPrefix(datagrams: readonly string[]): void {
  const counts = new Map<string, { starts: number; stops: number; opens: number; closes: number }>();
  for (const [index, datagram] of datagrams.entries()) {
    const f = fields(datagram);
    const key = `${f.directory}\\${f.userId}`;
    const c = counts.get(key) ?? { starts: 0, stops: 0, opens: 0, closes: 0 };
    counts.set(key, c);
    if (f.command === 'Start session') c.starts++;
    if (f.command === 'Stop session') c.stops++;
    if (f.command === 'Open connection') c.opens++;
    if (f.command === 'Close connection') c.closes++;
    if (c.stops > c.starts || c.closes > c.opens) {
      throw new Error(`unbalanced for ${key} at datagram ${index}: ${datagram}`);
    }
  }
}

describe('random', () => {
  test('mulberry32 is deterministic and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(mulberry32(1)()).not.toBe(mulberry32(2)());
  });

  test('hashSeed separates streams', () => {
    expect(hashSeed(1, 2, 3)).toBe(hashSeed(1, 2, 3));
    expect(hashSeed(1, 2, 3)).not.toBe(hashSeed(1, 3, 2));
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 2));
  });

  test('guids look like Qlik app ids', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 50; i++) {
      expect(rng.guid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  test('int covers both bounds; pick refuses an empty list', () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(rng.int(1, 3));
    expect([...seen].sort()).toEqual([1, 2, 3]);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});

describe('user ids', () => {
  test('distinct, deterministic, with jdoe and a non-ASCII id, never mallory', () => {
    const ids = buildUserIds(500, 9);
    expect(ids).toEqual(buildUserIds(500, 9));
    expect(new Set(ids).size).toBe(500);
    expect(ids.slice(0, 2)).toEqual(['jdoe', 'åsa.lindström']);
    expect(ids).not.toContain('mallory');
    for (const id of ids) expect(id).toMatch(/^[\p{Ll}.\d]+$/u);
  });
});

describe('buildMorningScenario', () => {
  const scenario = buildMorningScenario(OPTIONS);
  const datagrams = scenario.map((s) => s.datagram);

  test('is deterministic for a seed and differs for another seed', () => {
    expect(buildMorningScenario(OPTIONS)).toEqual(scenario);
    expect(buildMorningScenario({ ...OPTIONS, seed: 2 })).not.toEqual(scenario);
  });

  test('is sorted by time, inside the window, with integer offsets', () => {
    for (let i = 1; i < scenario.length; i++) {
      expect(scenario[i]?.atMs).toBeGreaterThanOrEqual(scenario[i - 1]?.atMs ?? 0);
    }
    for (const { atMs } of scenario) {
      expect(Number.isInteger(atMs)).toBe(true);
      expect(atMs).toBeGreaterThanOrEqual(0);
      expect(atMs).toBeLessThanOrEqual(OPTIONS.durationMs);
    }
  });

  test('every datagram is well-formed and comes from a configured node', () => {
    for (const datagram of datagrams) {
      const f = fields(datagram);
      expect(PREFIX_OF[f.command], datagram).toBe(f.prefix);
      expect(OPTIONS.nodes).toContain(f.host);
      expect(f.userId).not.toBe('');
      expect(datagram.endsWith('\n')).toBe(false);
    }
  });

  test('a log-in wave across many users, most of them in CORP, with non-ASCII ids', () => {
    const loggedIn = new Set(
      datagrams
        .map(fields)
        .filter((f) => f.command === 'Start session' && f.directory === 'CORP')
        .map((f) => f.userId),
    );
    expect(loggedIn.size).toBeGreaterThanOrEqual(OPTIONS.users);
    expect(loggedIn).toContain('jdoe');
    expect([...loggedIn].some((id) => /[^\x20-\x7e]/.test(id))).toBe(true);
    const commands = new Set(datagrams.map((d) => fields(d).command));
    expect(commands).toEqual(new Set(Object.keys(PREFIX_OF)));
  });

  test('connections name an app and carry a user agent', () => {
    const connections = datagrams.map(fields).filter((f) => f.prefix === '/qseow-proxy-connection/');
    expect(connections.length).toBeGreaterThan(OPTIONS.users);
    for (const f of connections) {
      expect(f.context).toMatch(/^\/app\/[0-9a-f-]{36}(\?|$)/);
      expect(f.message).toMatch(
        /^Engine connection (Opened|Closed) for session.* UserAgent: 'Mozilla\/5\.0 .+'$/,
      );
    }
    const apps = new Set(connections.map((f) => f.context.slice(5, 41)));
    expect(apps.size).toBeLessThanOrEqual(OPTIONS.apps);
    expect(apps.size).toBeGreaterThan(1);
  });

  test('starts >= stops and opens >= closes per user at every prefix of the timeline', () => {
    expect(() => {
      assertBalancedAtEveryPrefix(datagrams);
    }).not.toThrow();
    expect(datagrams.some((d) => fields(d).command === 'Stop session')).toBe(true);
  });

  test('the balance check itself catches a stop without a start', () => {
    expect(() => {
      assertBalancedAtEveryPrefix([
        "/qseow-proxy-session/;N;Stop session;CORP;x;AppAccess;/hub/;Stop session for user 'CORP\\x'",
      ]);
    }).toThrow(/unbalanced/);
  });

  test('CORP\\mallory opens six sessions within two minutes and keeps them', () => {
    const mallory = scenario.filter((s) => {
      const f = fields(s.datagram);
      return f.directory === 'CORP' && f.userId === 'mallory';
    });
    const starts = mallory.filter((s) => fields(s.datagram).command === 'Start session');
    expect(starts).toHaveLength(SUSPICIOUS_SESSIONS);
    expect(SUSPICIOUS_SESSIONS).toBe(6);
    const span = (starts.at(-1)?.atMs ?? 0) - (starts[0]?.atMs ?? 0);
    expect(span).toBeLessThanOrEqual(2 * 60_000);
    expect(mallory.some((s) => fields(s.datagram).command === 'Stop session')).toBe(false);
    // Different devices: six different user agents on the connections.
    const agents = new Set(
      mallory.map((s) => fields(s.datagram).message).filter((m) => m.includes('UserAgent')),
    );
    expect(agents.size).toBe(SUSPICIOUS_SESSIONS);
  });

  test('INTERNAL\\sa_scheduler has short sessions with empty origin and /qrs/ context', () => {
    const system = datagrams
      .map(fields)
      .filter((f) => f.directory === 'INTERNAL' && f.userId === 'sa_scheduler');
    expect(system.length).toBeGreaterThanOrEqual(2);
    for (const f of system) {
      expect(f.origin).toBe('');
      expect(f.context).toBe('/qrs/');
      expect(f.prefix).toBe('/qseow-proxy-session/');
    }
    expect(system.filter((f) => f.command === 'Start session').length).toBe(
      system.filter((f) => f.command === 'Stop session').length,
    );
  });

  test('a short window still has the whole cast, balanced', () => {
    for (const durationMs of [1_000, 60_000]) {
      const short = buildMorningScenario({ ...OPTIONS, users: 10, durationMs }).map((s) => s.datagram);
      expect(short.filter((d) => d.includes(';Start session;CORP;mallory;'))).toHaveLength(6);
      expect(short.some((d) => d.includes(';INTERNAL;sa_scheduler;'))).toBe(true);
      expect(() => {
        assertBalancedAtEveryPrefix(short);
      }).not.toThrow();
    }
  });

  test('adding users does not change the mornings of the existing ones', () => {
    const jdoe = (users: number): string[] =>
      buildMorningScenario({ ...OPTIONS, users })
        .map((s) => `${s.atMs} ${s.datagram}`)
        .filter((line) => line.includes(';CORP;jdoe;'));
    expect(jdoe(300)).toEqual(jdoe(200));
  });

  test('refuses options it cannot honour', () => {
    expect(() => buildMorningScenario({ ...OPTIONS, nodes: [] })).toThrow(RangeError);
    expect(() => buildMorningScenario({ ...OPTIONS, nodes: [''] })).toThrow(RangeError);
    expect(() => buildMorningScenario({ ...OPTIONS, users: -1 })).toThrow(RangeError);
    expect(() => buildMorningScenario({ ...OPTIONS, durationMs: 0 })).toThrow(RangeError);
  });

  test('without apps, users only log in and out', () => {
    const noApps = buildMorningScenario({ ...OPTIONS, apps: 0 }).map((s) => fields(s.datagram));
    expect(noApps.some((f) => f.prefix === '/qseow-proxy-connection/')).toBe(false);
  });
});
