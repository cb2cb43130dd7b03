import { describe, expect, test } from 'vitest';
import { buildLoad, type LoadOptions } from '../../src/simulate/load.js';

const OPTIONS: LoadOptions = { count: 5000, nodes: ['SENSE-NODE1', 'SENSE-NODE2'], users: 100, seed: 1 };

function all(options: LoadOptions): string[] {
  const next = buildLoad(options);
  return Array.from({ length: options.count }, (_, i) => next(i));
}

function command(datagram: string): string {
  return datagram.split(';')[2] ?? '';
}

describe('buildLoad', () => {
  const datagrams = all(OPTIONS);

  test('is deterministic for a seed, and random access agrees with sequential access', () => {
    expect(all(OPTIONS)).toEqual(datagrams);
    const next = buildLoad(OPTIONS);
    for (const i of [4999, 3, 3, 0, 2500, 17]) expect(next(i)).toBe(datagrams[i]);
    expect(all({ ...OPTIONS, seed: 2 })).not.toEqual(datagrams);
  });

  test('mixes all four kinds: about two session events to four connection events', () => {
    const counts = new Map<string, number>();
    for (const d of datagrams) counts.set(command(d), (counts.get(command(d)) ?? 0) + 1);
    const share = (c: string): number => (counts.get(c) ?? 0) / datagrams.length;
    expect(share('Start session')).toBeGreaterThan(0.12);
    expect(share('Stop session')).toBeGreaterThan(0.08);
    expect(share('Open connection')).toBeGreaterThan(0.25);
    expect(share('Close connection')).toBeGreaterThan(0.2);
    expect(share('Open connection') + share('Close connection')).toBeGreaterThan(
      share('Start session') + share('Stop session'),
    );
  });

  test('per user, sessions and connections are balanced at every prefix and in causal order', () => {
    const state = new Map<string, { inSession: boolean; open: number }>();
    for (const d of datagrams) {
      const parts = d.split(';');
      const user = `${parts[3] ?? ''}\\${parts[4] ?? ''}`;
      const s = state.get(user) ?? { inSession: false, open: 0 };
      state.set(user, s);
      switch (command(d)) {
        case 'Start session':
          expect(s.inSession, d).toBe(false);
          s.inSession = true;
          break;
        case 'Open connection':
          expect(s.inSession, d).toBe(true);
          s.open++;
          break;
        case 'Close connection':
          expect(s.open, d).toBeGreaterThan(0);
          s.open--;
          break;
        case 'Stop session':
          expect(s.inSession && s.open === 0, d).toBe(true);
          s.inSession = false;
          break;
        default:
          throw new Error(`unexpected command in ${d}`);
      }
    }
    expect(state.size).toBeGreaterThan(OPTIONS.users * 0.9);
  });

  test('uses the configured nodes, CORP users and app contexts', () => {
    for (const d of datagrams) {
      const parts = d.split(';');
      expect(OPTIONS.nodes).toContain(parts[1]);
      expect(parts[3]).toBe('CORP');
      if (d.startsWith('/qseow-proxy-connection/')) {
        expect(parts[6]).toMatch(/^\/app\/[0-9a-f-]{36}$/);
        expect(parts.slice(7).join(';')).toContain("UserAgent: 'Mozilla/5.0");
      } else {
        expect(parts[6]).toBe('/hub/');
      }
    }
  });

  test('refuses indices outside the run and bad options', () => {
    const next = buildLoad({ ...OPTIONS, count: 10 });
    expect(() => next(10)).toThrow(RangeError);
    expect(() => next(-1)).toThrow(RangeError);
    expect(() => next(1.5)).toThrow(RangeError);
    expect(() => buildLoad({ ...OPTIONS, users: 0 })).toThrow(RangeError);
    expect(() => buildLoad({ ...OPTIONS, nodes: [] })).toThrow(RangeError);
    expect(() => buildLoad({ ...OPTIONS, count: -1 })).toThrow(RangeError);
  });

  test('one user and no apps: start, stop, start, stop', () => {
    expect(all({ ...OPTIONS, count: 4, users: 1, apps: 0 }).map(command)).toEqual([
      'Start session',
      'Stop session',
      'Start session',
      'Stop session',
    ]);
  });
});
