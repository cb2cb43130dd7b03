import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { streamSubjects } from '../contract/subjects.js';
import type { StageCounters } from '../core/counters.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from './error-message.js';
import { publishWithMsgId } from './msg-id-publish.js';
import type { Outbox, OutboxRecord } from './outbox.js';
import { type Failure, FLUSHED, type Outcome, parsePubAck } from './pub-ack.js';
import { type BacklogProgress, countRetry, type PublisherStats, type Wakeup } from './publisher.js';
import type { RetryBackoff } from './retry-backoff.js';

/**
 * The records published into JetStream and waiting for their PubAck, in outbox order. Each is
 * sent with the reply subject `<inbox>.<seq>`, so a PubAck finds its record by sequence number
 * alone. The invariant: the window holds exactly the oldest outbox records, in order. A record
 * leaves the outbox only when it and every record before it are confirmed; on any failure (a
 * rejected record, no PubAck in time, an outbox that no longer matches) the whole window is
 * given up and sent again from its first record with the same ids, and the stream's duplicate
 * window drops what it already has. One per publisher, used from its pump only.
 */

interface InFlight {
  readonly seq: number;
  readonly record: OutboxRecord;
  readonly sentAt: number;
  outcome: Outcome | undefined;
}

export interface AckWindowOptions {
  readonly outbox: Outbox;
  readonly counters: StageCounters;
  readonly log: Logger;
  readonly stats: PublisherStats;
  readonly progress: BacklogProgress;
  readonly wakeup: Wakeup;
  readonly backoff: RetryBackoff;
  readonly subjectPrefix: string;
  /** Records sent and waiting for their PubAck at most. */
  readonly maxInFlight: number;
  /** How long the oldest record may wait for its PubAck before the window is sent again. */
  readonly ackTimeoutMs: number;
  /** A PubAck said no stream takes a subject: the publisher checks its streams again. */
  readonly onNoStream: () => void;
}

/** Asked before every step: go on, stop for good (nothing counted), or stop because the connection changed. */
export type WindowCheck = 'go' | 'halted' | 'stale';

export class AckWindow {
  private window: InFlight[] = [];
  private head = 0;
  private nextSeq = 1;
  private readonly refillChunk: number;
  private readonly streamPrefixes: readonly string[];

  constructor(private readonly o: AckWindowOptions) {
    this.refillChunk = Math.max(1, Math.floor(o.maxInFlight / 4));
    const subjects = streamSubjects(o.subjectPrefix);
    // `<prefix>.events.>` → `<prefix>.events.`: a record goes to a stream when its subject starts so.
    this.streamPrefixes = [...subjects.events, ...subjects.alerts].map((s) => s.slice(0, -1));
  }

  /**
   * Publishes the outbox through the window until it is empty, a failure, or `check` says stop.
   * PubAcks arrive through `onAck` meanwhile.
   */
  async publish(nc: NatsConnection, inbox: string, check: () => WindowCheck): Promise<void> {
    const { wakeup, ackTimeoutMs } = this.o;
    for (;;) {
      const state = check();
      if (state !== 'go') {
        this.abort(state === 'stale');
        return;
      }
      if (!this.acknowledgeConfirmed()) return;
      let head = this.window[this.head];
      if (head?.outcome?.ok === false) {
        await this.failed(head.outcome, head.record);
        return;
      }
      if (!this.refill(nc, inbox)) return;
      head = this.window[this.head];
      if (head === undefined) return; // the outbox is empty
      if (head.outcome !== undefined) continue;
      const waitMs = head.sentAt + ackTimeoutMs - Date.now();
      if (waitMs <= 0) {
        await this.failed(
          { ok: false, kind: 'timeout', detail: `no PubAck within ${ackTimeoutMs} ms` },
          head.record,
        );
        return;
      }
      await wakeup.until(undefined, waitMs);
      // As above: the records appended and the PubAcks received during this turn are handled
      // together, so a busy pipeline writes to the socket once per turn, not once per record.
      await nextTurn();
    }
  }

  /** A reply on `<inbox>.<seq>`: the PubAck (or the error) for the record sent with that seq. */
  onAck(inbox: string, msg: Msg): void {
    const seq = Number(msg.subject.slice(inbox.length + 1));
    const first = this.window[this.head];
    if (first === undefined) return; // a late PubAck for a window given up: its record is sent again
    const entry = this.window[this.head + (seq - first.seq)];
    if (entry?.seq !== seq || entry.outcome !== undefined) return;
    entry.outcome = parsePubAck(msg);
    if (entry === first) this.o.wakeup.wake();
  }

  /** Gives up the window: nothing in it is acknowledged; it is sent again from its first record. */
  abort(countAsRetry: boolean): void {
    const inFlight = this.window.length - this.head;
    this.window = [];
    this.head = 0;
    this.o.stats.inFlight = 0;
    if (countAsRetry && inFlight > 0) {
      this.o.counters.publishErrors++;
      countRetry(this.o.stats);
    }
  }

  /** Acknowledges the confirmed records at the head of the window; false if the outbox disagrees. */
  private acknowledgeConfirmed(): boolean {
    const { outbox, counters, log, stats } = this.o;
    const start = this.head;
    let acks = 0;
    let duplicates = 0;
    let end = start;
    for (; end < this.window.length; end++) {
      const outcome = this.window[end]?.outcome;
      if (outcome?.ok !== true) break;
      if (outcome.pubAck) acks++;
      if (outcome.duplicate) duplicates++;
    }
    const count = end - start;
    if (count === 0) return true;
    const first = this.window[start];
    if (first === undefined || outbox.peek(1)[0]?.id !== first.record.id) {
      log.error(
        { expected: first?.record.id, found: outbox.peek(1)[0]?.id },
        'the outbox changed under the publisher; sending again from its oldest record',
      );
      this.abort(false);
      return false;
    }
    this.head = end;
    if (this.head === this.window.length) {
      this.window = [];
      this.head = 0;
    } else if (this.head >= 4_096) {
      this.window = this.window.slice(this.head);
      this.head = 0;
    }
    outbox.acknowledge(count);
    counters.published += count;
    const now = Date.now();
    stats.acks += acks;
    stats.duplicates += duplicates;
    stats.lastAckAt = now;
    stats.inFlight = this.window.length - this.head;
    this.o.backoff.recovered();
    this.o.progress.confirmed(count, outbox.depth, now);
    return true;
  }

  /** Sends the records after those in flight, up to maxInFlight; false if the outbox disagrees. */
  private refill(nc: NatsConnection, inbox: string): boolean {
    const { outbox, log, maxInFlight, wakeup } = this.o;
    const inFlight = this.window.length - this.head;
    if (inFlight > 0 && maxInFlight - inFlight < this.refillChunk) return true;
    if (outbox.depth <= inFlight) return true;
    const batch = outbox.peek(maxInFlight);
    const last = this.window[this.window.length - 1];
    if (inFlight > 0 && batch[inFlight - 1]?.id !== last?.record.id) {
      log.error(
        { expected: last?.record.id, found: batch[inFlight - 1]?.id },
        'the outbox changed under the publisher; sending again from its oldest record',
      );
      this.abort(false);
      return false;
    }
    const now = Date.now();
    let flushed: InFlight[] | undefined;
    for (let i = inFlight; i < batch.length; i++) {
      const record = batch[i];
      if (record === undefined) break;
      const entry: InFlight = { seq: this.nextSeq++, record, sentAt: now, outcome: undefined };
      this.window.push(entry);
      try {
        if (this.inStream(record.subject)) {
          publishWithMsgId(nc, record.subject, record.payload, record.id, `${inbox}.${entry.seq}`);
        } else {
          publishWithMsgId(nc, record.subject, record.payload, record.id);
          (flushed ??= []).push(entry);
        }
      } catch (error) {
        entry.outcome = { ok: false, kind: 'connection', detail: errorMessage(error) };
        break;
      }
    }
    this.o.stats.inFlight = this.window.length - this.head;
    if (flushed !== undefined) {
      // Records outside the streams (status) are confirmed by a flush round trip.
      const entries = flushed;
      nc.flush().then(
        () => {
          for (const entry of entries) entry.outcome ??= FLUSHED;
          wakeup.wake();
        },
        (error: unknown) => {
          for (const entry of entries)
            entry.outcome ??= { ok: false, kind: 'connection', detail: errorMessage(error) };
          wakeup.wake();
        },
      );
    }
    return true;
  }

  private inStream(subject: string): boolean {
    for (const prefix of this.streamPrefixes) if (subject.startsWith(prefix)) return true;
    return false;
  }

  private async failed(outcome: Failure, record: OutboxRecord): Promise<void> {
    const { counters, log, stats, backoff, outbox } = this.o;
    const inFlight = this.window.length - this.head;
    this.abort(false);
    counters.publishErrors++;
    const now = Date.now();
    countRetry(stats, now);
    const logIt = backoff.failed(now);
    if (outcome.kind === 'no-stream') this.o.onNoStream();
    if (logIt) {
      log.warn(
        {
          subject: record.subject,
          reason: outcome.kind,
          inFlight,
          failuresInARow: backoff.failuresInARow,
          retryInMs: backoff.delayMs,
          backlog: outbox.depth,
        },
        `JetStream publish failed (${outcome.detail}); sending again from the first unconfirmed record`,
      );
    }
    await backoff.pause();
  }
}
