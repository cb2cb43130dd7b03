import { describe, expect, it } from 'vitest';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import { HistoryStore } from '../../src/aggregate/history-store.js';
import { answerSessions, parseIsoTime, parseSessionsQuery } from '../../src/aggregate/sessions-query.js';
import { MIN, T0, userEvent } from '../fixtures/aggregate/messages.js';

describe('GET /api/sessions query string', () => {
  const cases: { query: string; ok?: object; error?: RegExp }[] = [
    { query: '', ok: {} },
    { query: 'at=2026-11-30T08:00:00Z', ok: { at: T0 } },
    { query: 'at=2026-11-30T09:00:00%2B01:00', ok: { at: T0 } },
    { query: 'at=2026-11-30T08:00Z', ok: { at: T0 } },
    { query: 'at=2026-11-30T08:00:00.123456Z', ok: { at: T0 + 123 } },
    { query: 'host=SENSE-NODE1&user=CORP%5Cjdoe', ok: { host: 'SENSE-NODE1', user: 'CORP\\jdoe' } },
    { query: 'at=2026-11-30T08:00:00', error: /at: not an ISO 8601 time with an offset/ },
    { query: 'at=yesterday', error: /at: not an ISO 8601/ },
    { query: 'at=2026-13-45T08:00:00Z', error: /at: not an ISO 8601/ },
    { query: 'at=2026-02-30T08:00:00Z', error: /at: not an ISO 8601/ },
    { query: 'at=2028-02-29T08:00:00Z', ok: { at: Date.UTC(2028, 1, 29, 8) } },
    { query: 'at=2026-11-30T24:00:00Z', error: /at: not an ISO 8601/ },
    { query: 'at=2026-11-30T08:00:00%2B25:00', error: /at: not an ISO 8601/ },
    { query: 'user=jdoe', error: /user: expected DIRECTORY\\userId/ },
    { query: 'user=CORP%5C', error: /user: expected/ },
    { query: 'host=', error: /host: must not be empty/ },
    { query: 'app=E7AF59A0-c243', ok: { app: 'E7AF59A0-c243' } },
    { query: 'usr=CORP%5Cjdoe', error: /unknown parameter "usr"/ },
    { query: 'host=a&host=b', error: /"host" given more than once/ },
  ];
  for (const c of cases) {
    it(`?${c.query} → ${c.ok === undefined ? 'error' : JSON.stringify(c.ok)}`, () => {
      const result = parseSessionsQuery(new URLSearchParams(c.query));
      if (c.ok !== undefined) expect(result).toEqual({ ok: true, query: c.ok });
      else expect(result).toEqual({ ok: false, error: expect.stringMatching(c.error ?? /./) as unknown });
    });
  }

  it('parseIsoTime needs a full date-time with an offset', () => {
    expect(parseIsoTime('2026-11-30')).toBeNull();
    expect(parseIsoTime('2026-11-30T08:00:00-05:00')).toBe(T0 + 5 * 60 * MIN);
    expect(parseIsoTime('2026-11-30T13:30:00.5+05:30')).toBe(T0 + 500);
  });
});

describe('answerSessions', () => {
  const view = new ClusterView();
  const store = new HistoryStore(':memory:');
  const feed = (id: string, t: number, kind: 'session.start' | 'session.stop', user: string): void => {
    store.record(view.apply(userEvent({ id, time: t, kind, user }), t).changes);
  };
  feed('a', T0, 'session.start', 'CORP\\jdoe');
  feed('b', T0 + MIN, 'session.start', 'CORP\\ann');
  feed('c', T0 + 2 * MIN, 'session.stop', 'CORP\\jdoe');

  it('answers now from the view, in the API shape', () => {
    expect(answerSessions({}, T0 + 3 * MIN, view, store)).toEqual({
      ok: true,
      body: {
        at: '2026-11-30T08:03:00.000Z',
        sessions: [
          { host: 'SENSE-NODE1', user: { directory: 'CORP', id: 'ann' }, start: '2026-11-30T08:01:00.000Z' },
        ],
      },
    });
  });

  it('answers a past time from the history, with filters', () => {
    const q = parseSessionsQuery(new URLSearchParams('at=2026-11-30T08:01:30Z&user=corp%5CJDOE'));
    if (!q.ok) throw new Error(q.error);
    expect(answerSessions(q.query, T0 + 3 * MIN, view, store)).toEqual({
      ok: true,
      body: {
        at: '2026-11-30T08:01:30.000Z',
        sessions: [
          { host: 'SENSE-NODE1', user: { directory: 'CORP', id: 'jdoe' }, start: '2026-11-30T08:00:00.000Z' },
        ],
      },
    });
  });

  it('cannot answer a past time without a history', () => {
    expect(answerSessions({ at: T0 }, T0, view, null)).toEqual({
      ok: false,
      error: expect.stringMatching(/no history/) as unknown,
    });
  });
});
