import { type AttemptFailure, classifyHttpStatus, parseRetryAfter } from './retry-schedule.js';

/**
 * One POST of a JSON body, within a timeout. The outcome is null (2xx) or an AttemptFailure whose
 * reason names what happened (status, refused, timed out) but never the URL or a header: the
 * URL of a Slack or Teams webhook is itself the secret.
 */

export interface HttpTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export async function postJson(
  target: HttpTarget,
  body: unknown,
  now: () => number,
): Promise<AttemptFailure | null> {
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (error) {
    return { kind: 'retry', reason: networkReason(error, target.timeoutMs), retryAfterMs: null };
  }
  // The answer's body is not needed; reading none of it frees the connection.
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 300 && response.status < 400)
    return {
      kind: 'permanent',
      reason: `HTTP ${response.status} (redirects are not followed; configure the final URL)`,
    };
  return classifyHttpStatus(response.status, parseRetryAfter(response.headers.get('retry-after'), now()));
}

const CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the receiver',
};

/** A network failure in words, from its code only (fetch's messages may quote the URL). */
export function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code =
    typeof cause?.code === 'string'
      ? cause.code
      : error instanceof Error && 'code' in error
        ? String((error as { code: unknown }).code)
        : '';
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT')
    return `TLS: ${code}`;
  return CODES[code] ?? (code === '' ? 'request failed' : `request failed (${code})`);
}
