import { describe, expect, it } from 'vitest';
import { localTime, renderWhoTable, shortDuration, whoJson } from '../../src/cli/who-table.js';

const body = {
  at: '2026-11-30T09:00:00.000Z',
  sessions: [
    { host: 'SENSE-NODE1', user: { directory: 'CORP', id: 'jdoe' }, start: '2026-11-30T08:00:00.000Z' },
    {
      host: 'sense2.corp.example.com',
      user: { directory: 'CORP', id: 'ann' },
      start: '2026-11-30T08:59:30.250Z',
    },
  ],
};
const BERLIN = { timeZone: 'Europe/Berlin' };

describe('who table', () => {
  it('aligns host, user, local start and duration, and says how many at what time', () => {
    expect(renderWhoTable(body, BERLIN)).toBe(
      [
        'HOST                     USER       START                       FOR',
        'SENSE-NODE1              CORP\\jdoe  2026-11-30 09:00:00 +01:00  1h00m',
        'sense2.corp.example.com  CORP\\ann   2026-11-30 09:59:30 +01:00  29s',
        '',
        '2 sessions at 2026-11-30 10:00:00 +01:00 (Europe/Berlin)',
        '',
      ].join('\n'),
    );
  });

  it('shows UTC as +00:00 and half-hour zones with their offset', () => {
    expect(localTime('2026-11-30T08:00:00Z', 'UTC')).toBe('2026-11-30 08:00:00 +00:00');
    expect(localTime('2026-11-30T20:00:00Z', 'Asia/Kolkata')).toBe('2026-12-01 01:30:00 +05:30');
    expect(localTime('2026-07-01T12:00:00Z', 'America/New_York')).toBe('2026-07-01 08:00:00 -04:00');
  });

  it('writes durations to the unit that matters', () => {
    expect([0, 59_999, 60_000, 3_599_000, 3_600_000, 86_399_000, 90_000_000].map(shortDuration)).toEqual([
      '0s',
      '59s',
      '1m',
      '59m',
      '1h00m',
      '23h59m',
      '1d01h',
    ]);
    expect(shortDuration(-5)).toBe('0s');
  });

  it('adds the app column when the question was about an app', () => {
    const text = renderWhoTable(
      { at: body.at, sessions: body.sessions.slice(0, 1) },
      { ...BERLIN, app: 'abc' },
    );
    expect(text.split('\n').slice(0, 2)).toEqual([
      'HOST         USER       START                       FOR    APP',
      'SENSE-NODE1  CORP\\jdoe  2026-11-30 09:00:00 +01:00  1h00m  abc',
    ]);
    expect(text).toContain('1 session at');
  });

  it('says so when nobody is on', () => {
    expect(renderWhoTable({ at: body.at, sessions: [] }, BERLIN)).toBe(
      'no sessions at 2026-11-30 10:00:00 +01:00 (Europe/Berlin)\n',
    );
  });

  it('gives scripts both times and the seconds open', () => {
    expect(whoJson(body, BERLIN)).toEqual({
      at: body.at,
      atLocal: '2026-11-30 10:00:00 +01:00',
      timeZone: 'Europe/Berlin',
      sessions: [
        {
          host: 'SENSE-NODE1',
          user: 'CORP\\jdoe',
          start: '2026-11-30T08:00:00.000Z',
          startLocal: '2026-11-30 09:00:00 +01:00',
          durationSeconds: 3600,
        },
        {
          host: 'sense2.corp.example.com',
          user: 'CORP\\ann',
          start: '2026-11-30T08:59:30.250Z',
          startLocal: '2026-11-30 09:59:30 +01:00',
          durationSeconds: 29,
        },
      ],
    });
  });
});
