import type { DeliveryState } from './delivery-store.js';
import type { RateWindow } from './rate-limit.js';

/**
 * Whether one routed notice joins one receiver's queue. Pure apart from the rate window it
 * may take a place in.
 *
 * - A firing notice after the alert's resolved one is `stale` (the receiver would otherwise be
 *   left with an alert firing forever).
 * - A full queue drops the new notice (`queue-full`): what is queued keeps its order.
 * - Firing notices (first and repeats) take a place in the rate window or are `limited`.
 * - A resolved notice is not rate-limited (the receiver should learn that its alert cleared),
 *   but when every firing notice of that alert was limited for this receiver it is dropped as
 *   `limited` too: the receiver never heard of that episode.
 */

export type Admission = 'queue' | 'queue-full' | 'limited' | 'stale';

export interface AdmissionFacts {
  readonly status: 'firing' | 'resolved';
  readonly pending: number;
  readonly maxQueue: number;
  /** This receiver's rows for the alert's firing notices. */
  readonly firingStates: readonly DeliveryState[];
  readonly resolvedQueued: boolean;
}

export function admit(facts: AdmissionFacts, window: RateWindow, now: number): Admission {
  if (facts.status === 'firing') {
    if (facts.resolvedQueued) return 'stale';
    if (facts.pending >= facts.maxQueue) return 'queue-full';
    return window.tryAccept(now) ? 'queue' : 'limited';
  }
  if (facts.firingStates.length > 0 && facts.firingStates.every((s) => s === 'limited')) return 'limited';
  if (facts.pending >= facts.maxQueue) return 'queue-full';
  return 'queue';
}
