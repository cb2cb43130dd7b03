import type { ScrapedMetrics } from '../../observe/scraped-metrics.js';
import type { AlertDeliveryStats, ReceiverStats } from './alert-delivery.js';

/**
 * The alert receivers' metrics (`sense_aggregator_receiver_*`), read at scrape time. Totals are
 * since the process started; a restart reads as a counter reset.
 */
export function registerReceiverMetrics(
  { counter, gauge }: ScrapedMetrics,
  read: () => AlertDeliveryStats | null,
): void {
  const each = (pick: (r: ReceiverStats) => number | null) => () =>
    (read()?.receivers ?? []).flatMap((r) => {
      const value = pick(r);
      return value === null ? [] : [[{ receiver: r.name }, value] as const];
    });
  counter(
    'receiver_notices_queued_total',
    'Alert notices queued for each receiver.',
    ['receiver'],
    each((r) => r.queued),
  );
  counter(
    'receiver_notices_sent_total',
    'Alert notices each receiver accepted.',
    ['receiver'],
    each((r) => r.sent),
  );
  counter(
    'receiver_failed_attempts_total',
    'Delivery attempts that failed (refused, timed out, 5xx, 429, SMTP 4xx, log-in refused); each is tried again or given up.',
    ['receiver'],
    each((r) => r.failedAttempts),
  );
  counter(
    'receiver_notices_given_up_total',
    'Alert notices given up: a permanent refusal (4xx, SMTP 5xx) or not delivered within giveUpAfter.',
    ['receiver'],
    each((r) => r.givenUp),
  );
  counter(
    'receiver_notices_dropped_total',
    'Alert notices not queued for a receiver: rate-limited, queue-full (maxQueue), or stale (a firing notice after its resolved one).',
    ['receiver', 'reason'],
    () =>
      (read()?.receivers ?? []).flatMap((r) => [
        [{ receiver: r.name, reason: 'rate-limited' }, r.rateLimited] as const,
        [{ receiver: r.name, reason: 'queue-full' }, r.droppedQueueFull] as const,
        [{ receiver: r.name, reason: 'stale' }, r.stale] as const,
      ]),
  );
  gauge(
    'receiver_queue_depth',
    'Alert notices waiting for each receiver.',
    ['receiver'],
    each((r) => r.pending),
  );
  gauge(
    'receiver_oldest_pending_seconds',
    'Age of the oldest notice waiting for each receiver (absent when none waits).',
    ['receiver'],
    each((r) => (r.oldestPendingAgeMs === null ? null : r.oldestPendingAgeMs / 1000)),
  );
  gauge(
    'receiver_retrying',
    '1 while the oldest notice of a receiver failed and waits for its next attempt.',
    ['receiver'],
    each((r) => (r.state === 'retrying' ? 1 : 0)),
  );
  counter(
    'alert_notices_unrouted_total',
    'Alert notices no route sent to any receiver (only counted when receivers are configured).',
    [],
    () => {
      const s = read();
      return s === null ? [] : [[{}, s.unrouted] as const];
    },
  );
}
