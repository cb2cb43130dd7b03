import type { ReceiverSpec, RouteSpec } from '../../config/alerting-schema.js';
import type { AlertRecord } from '../types.js';
import { admit, type Admission } from './admission.js';
import type { DeliveryStore } from './delivery-store.js';
import { RateWindow } from './rate-limit.js';
import { Router } from './routing.js';

/**
 * The intake side of alert delivery: called for each alert notice the history records for the
 * first time, inside the history's transaction (HistoryStore.onFirstRecord). Routes the notice,
 * admits it to each receiver's queue (admission.ts) and counts every outcome. Synchronous, like
 * the transaction it runs in; sending happens later, in the dispatcher.
 */

export interface AdmissionCounters {
  queued: number;
  droppedQueueFull: number;
  rateLimited: number;
  stale: number;
}

interface ReceiverAdmission {
  readonly spec: ReceiverSpec;
  readonly window: RateWindow;
  readonly counters: AdmissionCounters;
}

const NO_ADMISSIONS: Readonly<AdmissionCounters> = {
  queued: 0,
  droppedQueueFull: 0,
  rateLimited: 0,
  stale: 0,
};

export class Forwarding {
  private readonly router: Router;
  /** Per receiver name: its spec, its rate window and what its admission counted. */
  private readonly receivers = new Map<string, ReceiverAdmission>();
  /** Notices no route sent anywhere. */
  unrouted = 0;

  constructor(
    receivers: readonly ReceiverSpec[],
    routes: readonly RouteSpec[],
    clusterHost: string,
    private readonly store: DeliveryStore,
    private readonly now: () => number,
    /** Told which receiver got a new notice (after the transaction, the dispatcher sends it). */
    private readonly queued: (receiver: string) => void,
    /** Told of every notice a receiver did not queue, and why. */
    private readonly dropped: (
      receiver: string,
      why: Exclude<Admission, 'queue'>,
      notice: AlertRecord,
    ) => void = () => undefined,
  ) {
    this.router = new Router(routes, clusterHost);
    for (const spec of receivers)
      this.receivers.set(spec.name, {
        spec,
        window: new RateWindow(spec.rateLimit),
        counters: { ...NO_ADMISSIONS },
      });
  }

  /** What the admission of receiver `name` counted (zeros for a name it does not know). */
  countersOf(name: string): Readonly<AdmissionCounters> {
    return this.receivers.get(name)?.counters ?? NO_ADMISSIONS;
  }

  /** The rate windows as they were before a restart (their firing notices in the last window). */
  restore(): void {
    const now = this.now();
    for (const [name, { spec, window }] of this.receivers)
      window.restore(this.store.recentAccepted(name, now - spec.rateLimit.perMs));
  }

  onRecorded(notice: AlertRecord): void {
    const names = this.router.receiversFor(notice);
    if (names.length === 0) {
      this.unrouted += 1;
      return;
    }
    const now = this.now();
    for (const name of names) {
      const receiver = this.receivers.get(name);
      // Config validation makes every route name a receiver; a stranger has nowhere to go.
      if (receiver === undefined) continue;
      const { spec, window, counters } = receiver;
      const admission: Admission = admit(
        {
          status: notice.status,
          pending: this.store.pendingCount(name),
          maxQueue: spec.maxQueue,
          firingStates: notice.status === 'resolved' ? this.store.firingStates(name, notice.alertId) : [],
          resolvedQueued: notice.status === 'firing' && this.store.hasResolved(name, notice.alertId),
        },
        window,
        now,
      );
      switch (admission) {
        case 'queue':
          if (this.store.enqueue(name, notice, now, 'pending')) {
            counters.queued += 1;
            this.queued(name);
          }
          break;
        case 'limited':
          // One `limited` row per alert is enough for its resolved notice to be judged, so a
          // storm of reminders over the limit adds no rows.
          if (notice.status === 'firing' && this.store.firingStates(name, notice.alertId).length === 0)
            this.store.enqueue(name, notice, now, 'limited');
          counters.rateLimited += 1;
          this.dropped(name, admission, notice);
          break;
        case 'queue-full':
          counters.droppedQueueFull += 1;
          this.dropped(name, admission, notice);
          break;
        case 'stale':
          counters.stale += 1;
          this.dropped(name, admission, notice);
          break;
      }
    }
  }
}
