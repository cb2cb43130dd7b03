import type { StageCounters } from '../core/counters.js';
import { totalRejected } from '../core/counters.js';
import type { NatsState } from '../publish/nats-publisher.js';

/** `data` of a `sense.status` message on `<prefix>.status.<node>`: the counters since start. */
export interface StatusData {
  readonly node: string;
  readonly version: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly received: number;
  readonly decoded: number;
  readonly rejected: number;
  readonly rejectedByReason: StageCounters['rejected'];
  readonly published: number;
  readonly publishErrors: number;
  readonly dropped: StageCounters['dropped'];
  /** Datagrams the kernel dropped for this socket (buffer full); null where the OS does not say. */
  readonly udpReceiveErrors: number | null;
  readonly intakeDepth: number;
  readonly outboxDepth: number;
  readonly nats: NatsState;
}

export interface StatusInputs {
  readonly node: string;
  readonly version: string;
  readonly startedAt: number;
  readonly now: number;
  readonly counters: StageCounters;
  readonly intakeDepth: number;
  readonly outboxDepth: number;
  readonly nats: NatsState;
}

export function buildStatus(input: StatusInputs): StatusData {
  const { counters } = input;
  return {
    node: input.node,
    version: input.version,
    startedAt: new Date(input.startedAt).toISOString(),
    uptimeSeconds: Math.round((input.now - input.startedAt) / 1000),
    received: counters.received,
    decoded: counters.decoded,
    rejected: totalRejected(counters),
    rejectedByReason: { ...counters.rejected },
    published: counters.published,
    publishErrors: counters.publishErrors,
    dropped: { ...counters.dropped },
    udpReceiveErrors: counters.udpReceiveErrors,
    intakeDepth: input.intakeDepth,
    outboxDepth: input.outboxDepth,
    nats: input.nats,
  };
}
