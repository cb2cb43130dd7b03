import type { Msg } from '@nats-io/transport-node';

/**
 * What became of one record sent in the JetStream window: stored (or dropped as a duplicate of
 * what the stream has), flushed on core NATS (status, which no stream takes), or failed and why.
 * `parsePubAck` reads the reply JetStream sends to a record's own reply subject; anything it
 * cannot read counts as a rejection, so a record is never taken as stored without a PubAck.
 */

export type Outcome =
  | { readonly ok: true; readonly pubAck: boolean; readonly duplicate: boolean }
  | { readonly ok: false; readonly kind: FailureKind; readonly detail: string };
export type Failure = Outcome & { ok: false };
export type FailureKind = 'no-stream' | 'rejected' | 'timeout' | 'connection';

const STORED: Outcome = { ok: true, pubAck: true, duplicate: false };
const DUPLICATE: Outcome = { ok: true, pubAck: true, duplicate: true };
/** A record outside the streams, confirmed by a flush round trip instead of a PubAck. */
export const FLUSHED: Outcome = { ok: true, pubAck: false, duplicate: false };

const decoder = new TextDecoder();

export function parsePubAck(msg: Msg): Outcome {
  const h = msg.headers;
  if (msg.data.length === 0 && h !== undefined && h.code >= 300) {
    return h.code === 503
      ? { ok: false, kind: 'no-stream', detail: 'no stream takes the subject (503 no responders)' }
      : { ok: false, kind: 'rejected', detail: `${h.code} ${h.description}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(msg.data));
  } catch {
    return { ok: false, kind: 'rejected', detail: 'unreadable PubAck' };
  }
  if (typeof body !== 'object' || body === null)
    return { ok: false, kind: 'rejected', detail: 'invalid PubAck' };
  const ack = body as {
    stream?: unknown;
    duplicate?: unknown;
    error?: { code?: unknown; err_code?: unknown; description?: unknown };
  };
  if (ack.error !== undefined) {
    const { description, err_code: errCode, code } = ack.error;
    return {
      ok: false,
      kind: code === 503 ? 'no-stream' : 'rejected',
      detail: `${String(description)} (${String(code)}, err_code ${String(errCode)})`,
    };
  }
  if (typeof ack.stream !== 'string' || ack.stream === '')
    return { ok: false, kind: 'rejected', detail: 'invalid PubAck' };
  return ack.duplicate === true ? DUPLICATE : STORED;
}
