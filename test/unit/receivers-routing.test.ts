import { describe, expect, it } from 'vitest';
import type { RouteSpec } from '../../src/config/alerting-schema.js';
import { admit } from '../../src/aggregate/receivers/admission.js';
import { RateWindow } from '../../src/aggregate/receivers/rate-limit.js';
import { Router } from '../../src/aggregate/receivers/routing.js';

const route = (r: Partial<RouteSpec> & Pick<RouteSpec, 'receivers'>): RouteSpec => ({
  severities: null,
  rules: null,
  origin: 'any',
  continue: false,
  ...r,
});
const notice = (rule: string, severity: string, host = 'SENSE-NODE1') => ({ rule, severity, host });

describe('Router', () => {
  const router = new Router(
    [
      route({ receivers: ['pager', 'mail'], severities: ['critical'], continue: true }),
      route({ receivers: ['chat'], rules: ['license-*', 'Node-Silent'] }),
      route({ receivers: ['cluster-hook'], origin: 'cluster' }),
      route({ receivers: ['catch-all'] }),
    ],
    'cluster',
  );

  it('takes the first matching route, and the next ones only after continue: true', () => {
    expect(router.receiversFor(notice('license-expiring', 'critical'))).toEqual(['pager', 'mail', 'chat']);
    expect(router.receiversFor(notice('license-expiring', 'warning'))).toEqual(['chat']);
    expect(router.receiversFor(notice('parallel-session-limit', 'critical'))).toEqual([
      'pager',
      'mail',
      'catch-all',
    ]);
  });

  it('matches rule names case-insensitively and by glob, and the origin by the cluster host', () => {
    expect(router.receiversFor(notice('node-silent', 'info'))).toEqual(['chat']);
    expect(router.receiversFor(notice('user-on-several-nodes', 'info', 'cluster'))).toEqual(['cluster-hook']);
    expect(router.receiversFor(notice('user-on-several-nodes', 'info'))).toEqual(['catch-all']);
  });

  it('names each receiver once and nothing when no route matches', () => {
    const twice = new Router(
      [
        route({ receivers: ['a', 'b'], continue: true }),
        route({ receivers: ['b', 'a'], severities: ['info'] }),
      ],
      'cluster',
    );
    expect(twice.receiversFor(notice('x', 'info'))).toEqual(['a', 'b']);
    expect(
      new Router([route({ receivers: ['a'], severities: ['critical'] })], 'cluster').receiversFor(
        notice('x', 'info'),
      ),
    ).toEqual([]);
  });
});

describe('RateWindow', () => {
  it('accepts max per sliding window and frees a place when the oldest leaves it', () => {
    const w = new RateWindow({ max: 2, perMs: 1000 });
    expect([w.tryAccept(0), w.tryAccept(10), w.tryAccept(20)]).toEqual([true, true, false]);
    expect(w.nextFreeAt(20)).toBe(1000);
    expect(w.tryAccept(999)).toBe(false);
    expect(w.tryAccept(1000)).toBe(true);
    expect(w.tryAccept(1005)).toBe(false);
    expect(w.tryAccept(1010)).toBe(true);
  });

  it('restores the times accepted before a restart, keeping at most max', () => {
    const w = new RateWindow({ max: 2, perMs: 1000 });
    w.restore([500, 100, 300]);
    expect(w.tryAccept(600)).toBe(false);
    expect(w.tryAccept(1300)).toBe(true); // 300 left the window; 500 is still in it
    expect(w.tryAccept(1400)).toBe(false);
  });
});

describe('admit', () => {
  const facts = { pending: 0, maxQueue: 10, firingStates: [], resolvedQueued: false } as const;

  it('rate-limits firing notices but not the resolved one of an episode the receiver heard of', () => {
    const w = new RateWindow({ max: 1, perMs: 60_000 });
    expect(admit({ ...facts, status: 'firing' }, w, 0)).toBe('queue');
    expect(admit({ ...facts, status: 'firing' }, w, 1)).toBe('limited');
    expect(admit({ ...facts, status: 'resolved', firingStates: ['sent'] }, w, 2)).toBe('queue');
    expect(admit({ ...facts, status: 'resolved', firingStates: ['limited', 'pending'] }, w, 2)).toBe('queue');
    expect(admit({ ...facts, status: 'resolved', firingStates: [] }, w, 2)).toBe('queue');
  });

  it('drops the resolved notice of an episode whose every firing notice was limited', () => {
    const w = new RateWindow({ max: 1, perMs: 60_000 });
    expect(admit({ ...facts, status: 'resolved', firingStates: ['limited', 'limited'] }, w, 0)).toBe(
      'limited',
    );
  });

  it('drops a new notice when the queue is full, and a firing notice after its resolved one', () => {
    const w = new RateWindow({ max: 100, perMs: 60_000 });
    expect(admit({ ...facts, status: 'firing', pending: 10 }, w, 0)).toBe('queue-full');
    expect(admit({ ...facts, status: 'resolved', pending: 10 }, w, 0)).toBe('queue-full');
    expect(admit({ ...facts, status: 'firing', resolvedQueued: true }, w, 0)).toBe('stale');
  });
});
