import { describe, expect, it } from 'vitest';
import { renderWhoTable } from '../../src/cli/who-table.js';

const body = {
  at: '2026-11-30T09:00:00.000Z',
  sessions: [
    { host: 'SENSE-NODE1', user: { directory: 'CORP', id: 'jdoe' }, start: '2026-11-30T08:00:00.000Z' },
    {
      host: 'sense2.corp.example.com',
      user: { directory: 'CORP', id: 'ann' },
      start: '2026-11-30T08:30:00.250Z',
    },
  ],
};

describe('who table', () => {
  it('aligns host, user and start, and says how many at what time', () => {
    expect(renderWhoTable(body)).toBe(
      [
        'HOST                     USER       START',
        'SENSE-NODE1              CORP\\jdoe  2026-11-30T08:00:00Z',
        'sense2.corp.example.com  CORP\\ann   2026-11-30T08:30:00.250Z',
        '',
        '2 sessions at 2026-11-30T09:00:00Z',
        '',
      ].join('\n'),
    );
  });

  it('adds the app column when the question was about an app', () => {
    const text = renderWhoTable({ at: body.at, sessions: body.sessions.slice(0, 1) }, { app: 'abc' });
    expect(text.split('\n').slice(0, 2)).toEqual([
      'HOST         USER       START                 APP',
      'SENSE-NODE1  CORP\\jdoe  2026-11-30T08:00:00Z  abc',
    ]);
    expect(text).toContain('1 session at');
  });

  it('says so when nobody is on', () => {
    expect(renderWhoTable({ at: body.at, sessions: [] })).toBe('no sessions at 2026-11-30T09:00:00Z\n');
  });
});
