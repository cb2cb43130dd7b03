import type { RejectReason } from './reject.js';

/**
 * Typed counters per stage. Plain numbers, owned by the composition root and passed to the
 * stages that bump them; the status publisher and tests read a snapshot.
 */
export interface StageCounters {
  /** Datagrams read from the socket (before any check). */
  received: number;
  /** Datagrams decoded into user events. */
  decoded: number;
  /** Datagrams that became rejects, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Records NATS confirmed (events, rejects and alerts alike). */
  published: number;
  /** Failed publish attempts (each retried; a record is never given up on for an error). */
  publishErrors: number;
  /** Records dropped, by cause (e.g. `intake-queue-full`, `outbox-full`). Every drop is counted. */
  dropped: Record<string, number>;
  /** Receive errors the kernel reports for the UDP socket; null where the OS does not expose them. */
  udpReceiveErrors: number | null;
}

export function createCounters(): StageCounters {
  return {
    received: 0,
    decoded: 0,
    rejected: {},
    published: 0,
    publishErrors: 0,
    dropped: {},
    udpReceiveErrors: null,
  };
}

export function countReject(counters: StageCounters, reason: RejectReason): void {
  counters.rejected[reason] = (counters.rejected[reason] ?? 0) + 1;
}

export function countDrop(counters: StageCounters, cause: string, n = 1): void {
  counters.dropped[cause] = (counters.dropped[cause] ?? 0) + n;
}

export function totalRejected(counters: StageCounters): number {
  let total = 0;
  for (const n of Object.values(counters.rejected)) total += n;
  return total;
}
