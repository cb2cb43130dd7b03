import { describe, expect, it } from 'vitest';
import { badText, MAX_PARAM_CHARS } from '../../src/aggregate/param-text.js';
import { parseSessionsQuery } from '../../src/aggregate/sessions-query.js';

describe('badText', () => {
  it('takes ordinary values up to the limit', () => {
    expect(badText('host', 'SENSE-NODE1')).toBeNull();
    expect(badText('user', 'CORP\\jdoe')).toBeNull();
    expect(badText('host', 'x'.repeat(MAX_PARAM_CHARS))).toBeNull();
  });

  it('refuses a value over the limit, saying the limit and not echoing it', () => {
    const error = badText('host', 'x'.repeat(MAX_PARAM_CHARS + 1));
    expect(error).toBe(`host: at most ${MAX_PARAM_CHARS} characters (got ${MAX_PARAM_CHARS + 1})`);
  });

  it('refuses control characters', () => {
    expect(badText('user', 'CORP\\j\u0000doe')).toBe('user: control characters are not allowed');
    expect(badText('host', 'a\nb')).not.toBeNull();
    expect(badText('host', 'a\u007fb')).not.toBeNull();
  });

  it('is applied to the sessions query', () => {
    const parsed = parseSessionsQuery(new URLSearchParams({ host: 'x'.repeat(10_000) }));
    expect(parsed).toEqual({ ok: false, error: `host: at most ${MAX_PARAM_CHARS} characters (got 10000)` });
  });
});
