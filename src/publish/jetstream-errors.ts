import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** The server (or the account) has no JetStream: the caller falls back to core NATS. */
export function isJetStreamMissing(error: unknown): boolean {
  if (error instanceof Error && error.name === 'JetStreamNotEnabled') return true;
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.JetStreamNotEnabledForAccount || error.status === 503)
  );
}

/** A JetStream API error with this code (e.g. stream not found). */
export function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}
