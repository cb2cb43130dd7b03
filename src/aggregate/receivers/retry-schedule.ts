/**
 * When to try a failed delivery again: exponential backoff from 1 s doubling up to 5 min, with
 * ±20 % jitter (so receivers coming back are not hit by every aggregator at once), or what the
 * receiver asked for with Retry-After (within 1 s .. 1 h). Pure: attempts, times and the
 * random number are arguments.
 */

export const RETRY = {
  firstMs: 1_000,
  maxMs: 300_000,
  jitter: 0.2,
  retryAfterMinMs: 1_000,
  retryAfterMaxMs: 3_600_000,
} as const;

/** What a failed attempt said about trying again. */
export type AttemptFailure =
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs: number | null }
  | { readonly kind: 'permanent'; readonly reason: string };

/** Delay after the `attempts`-th failed attempt (1 = the first); `random` in [0, 1). */
export function backoffMs(attempts: number, random: number): number {
  const base = Math.min(RETRY.maxMs, RETRY.firstMs * 2 ** Math.max(0, Math.min(30, attempts - 1)));
  return Math.round(base * (1 - RETRY.jitter + 2 * RETRY.jitter * random));
}

export type RetryDecision =
  { readonly kind: 'retry'; readonly at: number } | { readonly kind: 'give-up'; readonly reason: string };

/**
 * After a failure at `now`: retry at a time, or give up (permanent failure, or the next try
 * would fall after `queuedAt + giveUpAfterMs`).
 */
export function nextAttempt(input: {
  readonly failure: AttemptFailure;
  readonly attempts: number;
  readonly now: number;
  readonly queuedAt: number;
  readonly giveUpAfterMs: number;
  readonly random: number;
}): RetryDecision {
  const { failure, now } = input;
  if (failure.kind === 'permanent') return { kind: 'give-up', reason: failure.reason };
  const delay =
    failure.retryAfterMs === null
      ? backoffMs(input.attempts, input.random)
      : Math.min(RETRY.retryAfterMaxMs, Math.max(RETRY.retryAfterMinMs, failure.retryAfterMs));
  const at = now + delay;
  if (at > input.queuedAt + input.giveUpAfterMs)
    return { kind: 'give-up', reason: `not delivered within giveUpAfter (last: ${failure.reason})` };
  return { kind: 'retry', at };
}

/** Retry-After as seconds or an HTTP date → milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/** How an HTTP status is treated: 2xx sent; 408, 429 and 5xx tried again; anything else is permanent. */
export function classifyHttpStatus(status: number, retryAfterMs: number | null): AttemptFailure | null {
  if (status >= 200 && status < 300) return null;
  const reason = `HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', reason, retryAfterMs };
  return { kind: 'permanent', reason };
}
