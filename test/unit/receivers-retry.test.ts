import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  classifyHttpStatus,
  nextAttempt,
  parseRetryAfter,
} from '../../src/aggregate/receivers/retry-schedule.js';

describe('retry schedule', () => {
  it('doubles from 1 s up to 5 min, with ±20 % jitter', () => {
    expect([1, 2, 3, 4, 9, 10, 50].map((n) => backoffMs(n, 0.5))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000,
    ]);
    expect(backoffMs(1, 0)).toBe(800);
    expect(backoffMs(1, 0.999999)).toBe(1200);
  });

  it('honours Retry-After (seconds or a date), within 1 s .. 1 h', () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Mon, 07 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
    const base = { attempts: 1, now, queuedAt: now, giveUpAfterMs: 6 * 3_600_000, random: 0.5 };
    const retry = (ms: number | null) =>
      nextAttempt({ ...base, failure: { kind: 'retry', reason: 'HTTP 429', retryAfterMs: ms } });
    expect(retry(7000)).toEqual({ kind: 'retry', at: now + 7000 });
    expect(retry(0)).toEqual({ kind: 'retry', at: now + 1000 });
    expect(retry(10 * 3_600_000)).toEqual({ kind: 'retry', at: now + 3_600_000 });
    expect(retry(null)).toEqual({ kind: 'retry', at: now + 1000 });
  });

  it('gives up on a permanent failure at once, and when the next try would be past giveUpAfter', () => {
    const now = 1_000_000;
    expect(
      nextAttempt({
        failure: { kind: 'permanent', reason: 'HTTP 400' },
        attempts: 1,
        now,
        queuedAt: now,
        giveUpAfterMs: 60_000,
        random: 0.5,
      }),
    ).toEqual({ kind: 'give-up', reason: 'HTTP 400' });
    expect(
      nextAttempt({
        failure: { kind: 'retry', reason: 'connection refused', retryAfterMs: null },
        attempts: 6, // 32 s
        now: now + 40_000,
        queuedAt: now,
        giveUpAfterMs: 60_000,
        random: 0.5,
      }),
    ).toEqual({ kind: 'give-up', reason: 'not delivered within giveUpAfter (last: connection refused)' });
  });

  it('sends 2xx, retries 408, 429 and 5xx, and gives up on other statuses', () => {
    expect(classifyHttpStatus(204, null)).toBeNull();
    expect(classifyHttpStatus(429, 5000)).toEqual({ kind: 'retry', reason: 'HTTP 429', retryAfterMs: 5000 });
    expect(classifyHttpStatus(503, null)?.kind).toBe('retry');
    expect(classifyHttpStatus(408, null)?.kind).toBe('retry');
    expect(classifyHttpStatus(400, null)).toEqual({ kind: 'permanent', reason: 'HTTP 400' });
    expect(classifyHttpStatus(404, null)?.kind).toBe('permanent');
  });
});
