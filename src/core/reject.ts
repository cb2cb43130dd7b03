/**
 * A datagram that is not a user event. Rejects are never dropped silently: they are counted
 * by reason and published to the dead-letter subject with the (capped) raw text.
 */

export const REJECT_REASONS = [
  'empty',
  'too-large',
  'invalid-utf8',
  'unknown-prefix',
  'too-few-fields',
  'unknown-command',
  'command-prefix-mismatch',
  'empty-user-id',
  'empty-host',
  'source-not-allowed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Reject {
  readonly reason: RejectReason;
  /** One sentence for an operator: what was wrong with this datagram. */
  readonly detail: string;
  /** The datagram as text (invalid UTF-8 replaced, control characters escaped), capped. */
  readonly raw: string;
  /** Length of the datagram in bytes before capping. */
  readonly bytes: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly event: import('./events.js').UserEvent }
  | { readonly ok: false; readonly reject: Reject };
