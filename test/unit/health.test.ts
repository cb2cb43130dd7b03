import { describe, expect, it } from 'vitest';
import { healthOf, httpStatusOf, stalled, type HealthInputs } from '../../src/observe/health.js';

function inputs(over: Partial<HealthInputs> = {}): HealthInputs {
  return {
    outbox: { healthy: true, lastError: null },
    nats: { state: 'connected' },
    intakeDepth: 0,
    intakeCapacity: 65536,
    ...over,
  };
}

describe('healthOf', () => {
  it('is ok when the outbox takes records, NATS is connected and the intake has room', () => {
    const report = healthOf(inputs({ intakeDepth: 100 }));
    expect(report).toEqual({
      status: 'ok',
      checks: {
        outbox: { ok: true, diskFull: false, lastError: null },
        nats: { ok: true, state: 'connected', stalled: false },
        intake: { ok: true, depth: 100, capacity: 65536, fill: 0.002 },
      },
    });
    expect(httpStatusOf(report.status)).toBe(200);
  });

  it('is unhealthy (503) when the outbox cannot be written, whatever else holds', () => {
    const report = healthOf(inputs({ outbox: { healthy: false, lastError: 'EIO: i/o error, write' } }));
    expect(report.status).toBe('unhealthy');
    expect(report.checks.outbox).toEqual({ ok: false, diskFull: false, lastError: 'EIO: i/o error, write' });
    expect(httpStatusOf(report.status)).toBe(503);
    const worse = healthOf(
      inputs({ outbox: { healthy: false, lastError: null }, nats: { state: 'disconnected' } }),
    );
    expect(worse.status).toBe('unhealthy');
  });

  it.each(['disconnected', 'connecting', 'closed'])(
    'is degraded (still 200) when NATS is %s: the outbox covers it',
    (state) => {
      const report = healthOf(inputs({ nats: { state } }));
      expect(report.status).toBe('degraded');
      expect(report.checks.nats).toEqual({ ok: false, state, stalled: false });
      expect(httpStatusOf(report.status)).toBe(200);
    },
  );

  it('is degraded while NATS is connected but confirms nothing (a frozen server)', () => {
    const report = healthOf(inputs({ nats: { state: 'connected', stalled: true } }));
    expect(report.status).toBe('degraded');
    expect(report.checks.nats).toEqual({ ok: false, state: 'connected', stalled: true });
    expect(httpStatusOf(report.status)).toBe(200);
  });

  it('calls NATS stalled when the last re-send came after the last acknowledgement', () => {
    expect(stalled({ lastAckAt: null, lastRetryAt: null })).toBe(false);
    expect(stalled({ lastAckAt: 1_000, lastRetryAt: null })).toBe(false);
    expect(stalled({ lastAckAt: null, lastRetryAt: 1_000 })).toBe(true);
    expect(stalled({ lastAckAt: 1_000, lastRetryAt: 2_000 })).toBe(true);
    expect(stalled({ lastAckAt: 2_000, lastRetryAt: 1_000 })).toBe(false);
  });

  it('is degraded when the intake queue is over 90% full, not at 90%', () => {
    expect(healthOf(inputs({ intakeDepth: 90, intakeCapacity: 100 })).status).toBe('ok');
    const over = healthOf(inputs({ intakeDepth: 91, intakeCapacity: 100 }));
    expect(over.status).toBe('degraded');
    expect(over.checks.intake).toEqual({ ok: false, depth: 91, capacity: 100, fill: 0.91 });
    expect(healthOf(inputs({ intakeDepth: 100, intakeCapacity: 100 })).checks.intake.fill).toBe(1);
  });

  it('does not divide by a zero capacity', () => {
    const report = healthOf(inputs({ intakeDepth: 5, intakeCapacity: 0 }));
    expect(report.checks.intake).toEqual({ ok: true, depth: 5, capacity: 0, fill: 0 });
  });

  it('keeps the last outbox error on a healthy outbox (it recovered)', () => {
    const report = healthOf(inputs({ outbox: { healthy: true, lastError: 'EIO' } }));
    expect(report.status).toBe('ok');
    expect(report.checks.outbox).toEqual({ ok: true, diskFull: false, lastError: 'EIO' });
  });

  it('is degraded, not unhealthy, while the outbox fails only for a full disk (it refuses by priority)', () => {
    const full = healthOf(inputs({ outbox: { healthy: false, diskFull: true, lastError: 'ENOSPC' } }));
    expect(full.status).toBe('degraded');
    expect(httpStatusOf(full.status)).toBe(200);
    expect(full.checks.outbox).toEqual({ ok: false, diskFull: true, lastError: 'ENOSPC' });
    const broken = healthOf(inputs({ outbox: { healthy: false, diskFull: false, lastError: 'EIO' } }));
    expect(broken.status).toBe('unhealthy');
  });
});
