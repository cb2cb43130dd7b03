import { countDrop, countReject, type StageCounters } from '../core/counters.js';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Reject } from '../core/reject.js';
import type { Decoder } from '../ingest/decode.js';
import type { SidecarEvent } from '../core/events.js';
import { alertEnvelope } from '../publish/alert-envelope.js';
import { scrubAlertEnvelope, scrubEvent, scrubReject } from '../privacy/scrub.js';
import type { UserHasher } from '../privacy/user-hasher.js';
import { eventEnvelope, expiredEnvelope, rejectEnvelope } from '../publish/cloudevents.js';
import type { Outbox, OutboxRecord, RecordPriority } from '../publish/outbox.js';
import type { Subjects } from '../contract/subjects.js';
import type { AlertNotice } from '../rules/engine/evaluator.js';
import type { Judge } from '../rules/judge.js';
import type { Datagram } from '../ingest/datagram-batch.js';
import type { RejectSummary } from './reject-summary.js';

export interface ProcessorDeps {
  readonly node: string;
  readonly decode: Decoder;
  readonly subjects: Subjects;
  readonly nextId: IdGenerator;
  readonly outbox: Outbox;
  readonly counters: StageCounters;
  readonly rejectSummary: RejectSummary;
  readonly judge: Judge;
  readonly log: Logger;
  /** Privacy mode: user directory and id replaced by keyed hashes in everything published. */
  readonly hasher: UserHasher | null;
}

export interface Processor {
  /** decode → drop rules → state → alert rules → outbox. Calls must not overlap (see Judge). */
  datagram(datagram: Datagram): Promise<void>;
  /** A datagram from a sender outside `udp.allowedSources`: counted and dead-lettered without its text. */
  foreign(datagram: Datagram): void;
  /** Expire silent sessions and re-check firing alerts as time passes. Must not overlap `datagram`. */
  tick(now: number): Promise<void>;
  /** Publishes an alert the sidecar raises itself (e.g. the outbox is full). */
  alert(notice: AlertNotice): void;
}

const utf8 = new TextEncoder();

export function createProcessor(deps: ProcessorDeps): Processor {
  const { node, decode, subjects, nextId, outbox, counters, rejectSummary, judge, log, hasher } = deps;
  // Rules and state see the clear names (lists name people); only what leaves is scrubbed.
  const outward = <E extends SidecarEvent>(event: E): E =>
    hasher === null ? event : scrubEvent(event, hasher);

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
    const published = hasher === null ? reject : scrubReject(reject);
    append(subjects.reject(), id, rejectEnvelope(published, meta, id, node), 'reject', meta.receivedAt);
  };

  const alerted = (notices: readonly AlertNotice[]): void => {
    for (const notice of notices) {
      const { rule } = notice;
      const plain = alertEnvelope(notice, node);
      const body = hasher === null ? plain : scrubAlertEnvelope(plain, [notice.user], hasher);
      // The log stays on the node, but in privacy mode it shows the scrubbed text too.
      const { key, facts, message } = body.data;
      const fields = { rule: rule.id, severity: rule.severity, key, host: notice.host, facts };
      if (notice.status === 'firing') log.warn({ alert: fields }, `alert firing: ${message}`);
      else log.info({ alert: fields }, `alert resolved: ${message}`);
      append(subjects.alert(notice.host, rule.severity, rule.id), body.id, body, 'alert', notice.at);
    }
  };

  return {
    async datagram(datagram) {
      const result = decode(datagram.bytes);
      if (!result.ok) {
        rejected(result.reject, datagram);
        return;
      }
      counters.decoded++;
      const { event } = result;
      const { meta } = datagram;
      const id = nextId();
      const judgement = await judge.event(event, id, meta.receivedAt);
      if (judgement.droppedBy !== null) return;
      append(
        subjects.event(event.host, event.kind),
        id,
        eventEnvelope(outward(event), meta, id, node),
        'event',
        meta.receivedAt,
      );
      alerted(judgement.notices);
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
    alert(notice) {
      alerted([notice]);
    },
    async tick(now) {
      const { expired, notices } = await judge.tick(now, nextId);
      for (const { event, id } of expired) {
        append(
          subjects.event(event.host, event.kind),
          id,
          expiredEnvelope(outward(event), id, node, now),
          'event',
          now,
        );
      }
      alerted(notices);
    },
  };
}
