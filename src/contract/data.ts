import type { Reject } from '../core/reject.js';

/**
 * The `data` of each message type (README "Subjects and payloads"). The sidecar writes these
 * shapes; the aggregator reads them back through decode.ts, which trusts none of it.
 */

/** `data` of a `sense.session.expired` message: the event's fields plus what was closed. */
export interface ExpiredData {
  readonly kind: 'session.expired';
  readonly host: string;
  readonly user: { readonly directory: string; readonly id: string };
  readonly origin: string;
  readonly context: string;
  readonly appId: null | string;
  readonly userAgent: null;
  readonly message: string;
  readonly sessions: number;
  readonly lastActivityAt: string;
}

export interface RejectData {
  readonly reason: Reject['reason'];
  readonly detail: string;
  readonly sender: { readonly address: string; readonly port: number };
  readonly bytes: number;
  readonly raw: string;
}

/** One leaf condition of a rule as the engine evaluated it: what an alert explains itself with. */
export interface ConditionTrace {
  readonly fact: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly operator: string;
  readonly value: unknown;
  readonly factResult: unknown;
  readonly result: boolean;
}

/** `data` of an alert message (see README "Alerts"). */
export interface AlertData {
  readonly alertId: string;
  readonly status: 'firing' | 'resolved';
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly key: string;
  readonly host: string;
  readonly node: string;
  readonly message: string;
  readonly firingSince: string;
  readonly notification: number;
  /** Fact name → the value it had when the rule was evaluated. */
  readonly facts: Readonly<Record<string, unknown>>;
  /** Every leaf condition: fact, params, operator, threshold (`value`), the fact's value and the outcome. */
  readonly conditions: readonly ConditionTrace[];
  /** CloudEvents ids of the events that made it fire (most recent last). */
  readonly eventIds: readonly string[];
}
