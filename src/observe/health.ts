/**
 * What `/healthz` says, as a pure function of readings the sidecar takes at request time.
 *
 * - `unhealthy` (HTTP 503): the outbox cannot be written. Records would be lost, so whatever
 *   supervises the process should look at it (a full or read-only disk, a broken segment).
 * - `degraded` (HTTP 200): working, but something needs an eye: NATS is not connected (records
 *   wait in the outbox and are published once it is back) or the intake queue is over 90% full
 *   (a burst is close to being dropped).
 * - `ok` (HTTP 200): everything else.
 */

export type HealthStatus = 'ok' | 'degraded' | 'unhealthy';

export interface HealthInputs {
  /** Whether the outbox can take records now; `lastError` is its latest write error, if any. */
  readonly outbox: { readonly healthy: boolean; readonly lastError: string | null };
  /** NatsState: `connecting`, `connected`, `disconnected` or `closed`. */
  readonly nats: { readonly state: string };
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
    readonly outbox: HealthCheck & { readonly lastError: string | null };
    readonly nats: HealthCheck & { readonly state: string };
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
  const natsOk = inputs.nats.state === 'connected';
  const { intakeDepth: depth, intakeCapacity: capacity } = inputs;
  const fill = capacity > 0 ? Math.min(1, Math.max(0, depth / capacity)) : 0;
  const intakeOk = !(fill > INTAKE_DEGRADED_FILL);
  const status: HealthStatus = !outboxOk ? 'unhealthy' : natsOk && intakeOk ? 'ok' : 'degraded';
  return {
    status,
    checks: {
      outbox: { ok: outboxOk, lastError: inputs.outbox.lastError },
      nats: { ok: natsOk, state: inputs.nats.state },
      intake: { ok: intakeOk, depth, capacity, fill: Math.round(fill * 1000) / 1000 },
    },
  };
}

/** 503 for `unhealthy` (a load balancer or supervisor should act); 200 otherwise. */
export function httpStatusOf(status: HealthStatus): 200 | 503 {
  return status === 'unhealthy' ? 503 : 200;
}
