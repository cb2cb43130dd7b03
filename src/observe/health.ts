/**
 * What `/healthz` says, as a pure function of readings the sidecar takes at request time.
 *
 * - `unhealthy` (HTTP 503): the outbox cannot be written. Records would be lost, so whatever
 *   supervises the process should look at it (a full or read-only disk, a broken segment).
 * - `degraded` (HTTP 200): working, but something needs an eye: the filesystem under the outbox
 *   is full (`checks.outbox.diskFull`: records are refused by priority, alerts still taken, and
 *   it recovers by itself as NATS confirms the backlog; a restart would not help), NATS is not connected, or is
 *   connected but stalled (its last acknowledgement is older than the last re-send: a frozen or
 *   overloaded server; records wait in the outbox and are published once it answers), or the
 *   intake queue is over 90% full (a burst is close to being dropped).
 * - `ok` (HTTP 200): everything else.
 */

export type HealthStatus = 'ok' | 'degraded' | 'unhealthy';

export interface HealthInputs {
  /** Whether the outbox can take records now; `lastError` is its latest write error, if any. */
  readonly outbox: {
    readonly healthy: boolean;
    readonly lastError: string | null;
    readonly diskFull?: boolean;
  };
  /** NatsState: `connecting`, `connected`, `disconnected` or `closed`. */
  readonly nats: { readonly state: string; readonly stalled?: boolean };
  /** Datagrams waiting between socket and decoder, and how many the queue holds at most. */
  readonly intakeDepth: number;
  readonly intakeCapacity: number;
}

export interface HealthCheck {
  readonly ok: boolean;
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: {
    readonly outbox: HealthCheck & { readonly lastError: string | null; readonly diskFull: boolean };
    readonly nats: HealthCheck & { readonly state: string; readonly stalled: boolean };
    readonly intake: HealthCheck & {
      readonly depth: number;
      readonly capacity: number;
      /** depth / capacity, 0..1 (rounded to 3 decimals; 0 when the capacity is unknown). */
      readonly fill: number;
    };
  };
}

/** Above this share of its capacity the intake queue makes the sidecar `degraded`. */
export const INTAKE_DEGRADED_FILL = 0.9;

export function healthOf(inputs: HealthInputs): HealthReport {
  const outboxOk = inputs.outbox.healthy;
  const diskFull = !outboxOk && (inputs.outbox.diskFull ?? false);
  const stalled = inputs.nats.stalled ?? false;
  const natsOk = inputs.nats.state === 'connected' && !stalled;
  const { intakeDepth: depth, intakeCapacity: capacity } = inputs;
  const fill = capacity > 0 ? Math.min(1, Math.max(0, depth / capacity)) : 0;
  const intakeOk = !(fill > INTAKE_DEGRADED_FILL);
  const status: HealthStatus =
    !outboxOk && !diskFull ? 'unhealthy' : outboxOk && natsOk && intakeOk ? 'ok' : 'degraded';
  return {
    status,
    checks: {
      outbox: { ok: outboxOk, diskFull, lastError: inputs.outbox.lastError },
      nats: { ok: natsOk, state: inputs.nats.state, stalled },
      intake: { ok: intakeOk, depth, capacity, fill: Math.round(fill * 1000) / 1000 },
    },
  };
}

/** 503 for `unhealthy` (a load balancer or supervisor should act); 200 otherwise. */
export function httpStatusOf(status: HealthStatus): 200 | 503 {
  return status === 'unhealthy' ? 503 : 200;
}

/** NATS confirms nothing: the publisher started again after its last acknowledgement (or never had one). */
export function stalled(stats: {
  readonly lastAckAt: number | null;
  readonly lastRetryAt: number | null;
}): boolean {
  return stats.lastRetryAt !== null && (stats.lastAckAt === null || stats.lastRetryAt > stats.lastAckAt);
}
