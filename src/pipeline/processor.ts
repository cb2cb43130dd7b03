import { countDrop, countReject, type StageCounters } from '../core/counters.js';
import type { IdGenerator } from '../core/ids.js';
import type { Reject } from '../core/reject.js';
import type { Decoder } from '../ingest/decode.js';
import { eventEnvelope, rejectEnvelope } from '../publish/cloudevents.js';
import type { Outbox, OutboxRecord, RecordPriority } from '../publish/outbox.js';
import type { Subjects } from '../publish/subjects.js';
import type { Datagram } from './intake-queue.js';
import type { RejectSummary } from './reject-summary.js';

export interface ProcessorDeps {
  readonly node: string;
  readonly decode: Decoder;
  readonly subjects: Subjects;
  readonly nextId: IdGenerator;
  readonly outbox: Outbox;
  readonly counters: StageCounters;
  readonly rejectSummary: RejectSummary;
}

export interface Processor {
  /** decode → (state → rules, later) → outbox. Synchronous: it never waits on I/O. */
  datagram(datagram: Datagram): void;
  /** A datagram from a sender outside `udp.allowedSources`: counted and dead-lettered without its text. */
  foreign(datagram: Datagram): void;
}

const utf8 = new TextEncoder();

export function createProcessor(deps: ProcessorDeps): Processor {
  const { node, decode, subjects, nextId, outbox, counters, rejectSummary } = deps;

  const append = (subject: string, id: string, body: unknown, priority: RecordPriority, at: number): void => {
    const record: OutboxRecord = {
      id,
      subject,
      payload: utf8.encode(JSON.stringify(body)),
      priority,
      appendedAt: at,
    };
    if (outbox.append(record) === 'dropped') countDrop(counters, `outbox-full:${priority}`);
  };

  const rejected = (reject: Reject, { meta }: Datagram): void => {
    countReject(counters, reject.reason);
    rejectSummary.add(reject.reason, reject.detail, `${meta.source.address}:${meta.source.port}`);
    const id = nextId();
    append(subjects.reject(), id, rejectEnvelope(reject, meta, id, node), 'reject', meta.receivedAt);
  };

  return {
    datagram(datagram) {
      const result = decode(datagram.bytes);
      if (!result.ok) {
        rejected(result.reject, datagram);
        return;
      }
      counters.decoded++;
      const { event } = result;
      const id = nextId();
      append(
        subjects.event(event.host, event.kind),
        id,
        eventEnvelope(event, datagram.meta, id, node),
        'event',
        datagram.meta.receivedAt,
      );
    },
    foreign(datagram) {
      const reject: Reject = {
        reason: 'source-not-allowed',
        detail: `sender ${datagram.meta.source.address} is not in udp.allowedSources; its datagram is not relayed`,
        raw: '',
        bytes: datagram.bytes.byteLength,
      };
      rejected(reject, datagram);
    },
  };
}
