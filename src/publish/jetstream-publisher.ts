import {
  DiscardPolicy,
  JetStreamApiCodes,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { isApiError, isJetStreamMissing } from './jetstream-errors.js';
import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { streamSubjects } from '../contract/subjects.js';
import type { NatsLink } from './nats-link.js';
import { raceDeadline } from './race-deadline.js';
import { publishCoreBatch } from './core-fallback.js';
import { publishWithMsgId } from './msg-id-publish.js';
import { createLink, type NatsPublisherOptions } from './publisher-link.js';
import type { OutboxRecord } from './outbox.js';
import {
  BacklogProgress,
  createPublisherStats,
  type NatsState,
  type Publisher,
  type PublisherStats,
  type PublishMode,
  Wakeup,
} from './publisher.js';

export interface JetStreamStreams {
  /** Stream for `<prefix>.events.>` and `<prefix>.rejects.>`. */
  readonly events: string;
  /** Stream for `<prefix>.alerts.>`. */
  readonly alerts: string;
  readonly replicas: number;
  readonly maxAgeMs: number;
  readonly duplicateWindowMs: number;
}

export interface JetStreamPublisherOptions extends NatsPublisherOptions {
  readonly subjectPrefix: string;
  readonly streams: JetStreamStreams;
  /** false: core NATS without trying JetStream (`jetstream.enabled`). */
  readonly jetstream: boolean;
  /** Records published and waiting for their PubAck at most (default 1,000). */
  readonly maxInFlight?: number;
  /** How long the oldest record in flight may wait for its PubAck before it is sent again (default 5 s). */
  readonly ackTimeoutMs?: number;
  /** Timeout of JetStream API requests: account info, stream info, create, update (default 5 s). */
  readonly apiTimeoutMs?: number;
  /** First pause after a failed publish; doubles with each failure in a row up to maxRetryDelayMs. */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** A backlog larger than this after a (re)connect is drained with progress in the log (default 10,000). */
  readonly progressThreshold?: number;
  readonly progressIntervalMs?: number;
}

/** The two streams the sidecar publishes into, as it creates them. */
export function desiredStreams(
  subjectPrefix: string,
  streams: JetStreamStreams,
): [
  events: Partial<StreamConfig> & { name: string; subjects: string[] },
  alerts: Partial<StreamConfig> & { name: string; subjects: string[] },
] {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: msToNanos(streams.maxAgeMs),
    duplicate_window: msToNanos(streams.duplicateWindowMs),
    num_replicas: streams.replicas,
  };
  const subjects = streamSubjects(subjectPrefix);
  return [
    { name: streams.events, subjects: subjects.events, ...common },
    { name: streams.alerts, subjects: subjects.alerts, ...common },
  ];
}

type Outcome =
  | { readonly ok: true; readonly pubAck: boolean; readonly duplicate: boolean }
  | { readonly ok: false; readonly kind: FailureKind; readonly detail: string };
type FailureKind = 'no-stream' | 'rejected' | 'timeout' | 'connection';

const STORED: Outcome = { ok: true, pubAck: true, duplicate: false };
const DUPLICATE: Outcome = { ok: true, pubAck: true, duplicate: true };
const FLUSHED: Outcome = { ok: true, pubAck: false, duplicate: false };

interface InFlight {
  readonly seq: number;
  readonly record: OutboxRecord;
  readonly sentAt: number;
  outcome: Outcome | undefined;
}

interface Prepared {
  readonly generation: number;
  readonly nc: NatsConnection;
  /** Reply subjects are `<inbox>.<seq>`; undefined in core mode. */
  readonly acks: { readonly inbox: string; readonly sub: Subscription } | undefined;
}

/** A failure or stream problem is logged again at most this often while it lasts. */
const PROBLEM_LOG_INTERVAL_MS = 30_000;

/**
 * Drains the outbox into JetStream. At start and after every reconnect it checks that the server
 * has JetStream and that the events and alerts streams exist with the configured settings
 * (creating or updating them). Records are published with a reply subject of their own and
 * their id as `Nats-Msg-Id`, up to `maxInFlight` at a time; a record leaves the outbox only
 * when it and every record before it have their PubAck. On an error (no PubAck in time, no
 * stream, a lost connection) nothing more is acknowledged: after a pause, or once reconnected,
 * publishing starts again from the first unconfirmed record with the same ids, and the stream's
 * duplicate window drops what it already has. Status messages (`<prefix>.status.>`) are not in a
 * stream: they go out on core NATS, confirmed by a flush round trip, in their place in the order.
 *
 * Without JetStream on the server (or with `jetstream: false`) it publishes on core NATS:
 * a batch, a flush round trip, then the outbox acknowledgement (at least once).
 *
 * The PubAcks are collected on one subscription of this publisher's own instead of through
 * `js.publish`, whose request-per-message path (a timer, an error for the trace and a socket
 * write per message) measured 10,000-15,000 records/s with 1,000 in flight against about
 * 40,000 records/s this way (local nats-server 2.9, file storage, 300-byte records, 2 cores).
 */
export class JetStreamPublisher implements Publisher {
  readonly stats: PublisherStats = createPublisherStats();
  private readonly link: NatsLink;
  private readonly wakeup = new Wakeup();
  private readonly progress: BacklogProgress;
  private readonly streamPrefixes: readonly string[];
  private readonly maxInFlight: number;
  private readonly refillChunk: number;
  private readonly ackTimeoutMs: number;
  private readonly minRetryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private retryDelayMs: number;
  private pumping: Promise<void> | undefined;
  private stopping = false;
  private halted = false;
  private _mode: PublishMode = 'unknown';
  private coreServerLogged: string | undefined;
  private prepared: Prepared | undefined;
  private recheck = false;
  private window: InFlight[] = [];
  private head = 0;
  private nextSeq = 1;
  private failures = 0;
  private failureLoggedAt = -Infinity;
  private readonly problemsLogged = new Map<string, { message: string; at: number }>();

  constructor(private readonly options: JetStreamPublisherOptions) {
    this.link = createLink(options);
    this.link.onChange(() => this.wakeup.wake());
    const subjects = streamSubjects(options.subjectPrefix);
    // `<prefix>.events.>` → `<prefix>.events.`: a record goes to a stream when its subject starts so.
    this.streamPrefixes = [...subjects.events, ...subjects.alerts].map((s) => s.slice(0, -1));
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1_000);
    this.refillChunk = Math.max(1, Math.floor(this.maxInFlight / 4));
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.minRetryDelayMs = options.retryDelayMs ?? 250;
    this.maxRetryDelayMs = Math.max(this.minRetryDelayMs, options.maxRetryDelayMs ?? 5_000);
    this.retryDelayMs = this.minRetryDelayMs;
    this.progress = new BacklogProgress(options.log, options.progressThreshold, options.progressIntervalMs);
  }

  get state(): NatsState {
    return this.link.state;
  }

  get mode(): PublishMode {
    return this._mode;
  }

  start(): Promise<void> {
    if (this.pumping !== undefined || this.stopping) return Promise.resolve();
    this.link.start();
    this.pumping = this.pump();
    return Promise.resolve();
  }

  /** Publishes what is left until the outbox is empty or the deadline passes, then drains NATS. */
  async stop(deadline: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { outbox, log } = this.options;
    if (this.link.state === 'connected') await raceDeadline(outbox.whenEmpty(), deadline);
    this.halted = true;
    this.wakeup.wake();
    await raceDeadline(this.pumping ?? Promise.resolve(), deadline);
    if (outbox.depth > 0)
      log.warn({ unpublished: outbox.depth }, 'stopping with records not yet confirmed by NATS');
    await this.link.close(deadline);
    this.stats.inFlight = 0;
  }

  private async pump(): Promise<void> {
    const { outbox } = this.options;
    for (;;) {
      if (this.halted) return;
      const nc = this.link.connection;
      const connected = nc !== undefined && this.link.state === 'connected';
      const generation = this.link.generation;
      const prepared = this.prepared;
      // Checked at every (re)connect, records or not: the log says at start how records will go.
      if (connected && (this.recheck || prepared?.generation !== generation || prepared.nc !== nc)) {
        if (!(await this.prepare(nc, generation))) await this.pauseAfterFailure();
        continue;
      }
      if (outbox.depth === 0) {
        if (this.stopping) return;
        await this.wakeup.until(outbox.whenNotEmpty());
        // Let the producer finish its turn: what it appends meanwhile goes out in the same write.
        await nextTurn();
        continue;
      }
      if (!connected || prepared === undefined) {
        if (this.stopping) return;
        await this.wakeup.until(this.link.whenConnected());
        continue;
      }
      if (prepared.acks !== undefined) await this.publishPipelined(nc, prepared, prepared.acks.inbox);
      else await this.publishCore(nc);
    }
  }

  // ---- per connection: JetStream or not, streams, the PubAck subscription -----------------------

  private async prepare(nc: NatsConnection, generation: number): Promise<boolean> {
    const { log, outbox } = this.options;
    const server = nc.getServer();
    this.recheck = false;
    const previous = this.prepared?.nc === nc ? this.prepared : undefined;
    if (!this.options.jetstream) {
      if (this._mode !== 'core')
        log.info(
          { server },
          'JetStream disabled (jetstream.enabled: false): publishing with core NATS (at least once, no server-side dedup)',
        );
      this._mode = 'core';
      this.prepared = { generation, nc, acks: undefined };
      this.progress.begin(outbox.depth, Date.now());
      return true;
    }
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc, { timeout: this.options.apiTimeoutMs ?? 5_000 });
    } catch (error) {
      if (!isJetStreamMissing(error)) {
        this.logProblem(
          'account',
          `could not check JetStream on ${server} (${errorMessage(error)}); trying again`,
        );
        return false;
      }
      if (this._mode !== 'core' || this.coreServerLogged !== server) {
        log.warn(
          { server },
          `JetStream not available on ${server}: publishing with core NATS (at least once, no server-side dedup)`,
        );
        this.coreServerLogged = server;
      }
      this._mode = 'core';
      previous?.acks?.sub.unsubscribe();
      this.prepared = { generation, nc, acks: undefined };
      this.progress.begin(outbox.depth, Date.now());
      return true;
    }
    await this.ensureStreams(jsm);
    if (this.link.generation !== generation || this.link.state !== 'connected') return false;
    const acks =
      previous?.acks ??
      (() => {
        const inbox = createInbox();
        const sub = nc.subscribe(`${inbox}.*`, {
          callback: (_error, msg) => {
            this.onAck(inbox, msg);
          },
        });
        return { inbox, sub };
      })();
    if (this._mode !== 'jetstream') {
      const [events, alerts] = desiredStreams(this.options.subjectPrefix, this.options.streams);
      log.info(
        { server, streams: { [events.name]: events.subjects, [alerts.name]: alerts.subjects } },
        'publishing into JetStream: a record leaves the outbox after its PubAck; re-sends within the duplicate window are dropped by Nats-Msg-Id',
      );
    }
    this._mode = 'jetstream';
    this.coreServerLogged = undefined;
    this.prepared = { generation, nc, acks };
    this.progress.begin(outbox.depth, Date.now());
    return true;
  }

  private async ensureStreams(jsm: JetStreamManager): Promise<void> {
    for (const desired of desiredStreams(this.options.subjectPrefix, this.options.streams)) {
      await this.ensureStream(jsm, desired);
    }
  }

  private async ensureStream(
    jsm: JetStreamManager,
    desired: Partial<StreamConfig> & { name: string; subjects: string[] },
  ): Promise<void> {
    const { log } = this.options;
    const { name } = desired;
    let info: StreamInfo | undefined;
    try {
      info = await jsm.streams.info(name);
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) {
        this.logProblem(name, `could not check JetStream stream ${name} (${errorMessage(error)})`);
        return;
      }
    }
    if (info === undefined) {
      try {
        await jsm.streams.add({ ...desired });
        log.info(
          {
            stream: name,
            subjects: desired.subjects,
            replicas: desired.num_replicas,
            maxAgeMs: this.options.streams.maxAgeMs,
            duplicateWindowMs: this.options.streams.duplicateWindowMs,
          },
          `created JetStream stream ${name}`,
        );
        this.problemsLogged.delete(name);
        return;
      } catch (error) {
        if (!isApiError(error, STREAM_NAME_IN_USE)) {
          this.logProblem(
            name,
            `JetStream stream ${name} could not be created (${errorMessage(error)}); records for ${desired.subjects.join(', ')} wait in the outbox until a stream takes them`,
          );
          return;
        }
        // Another sidecar created it a moment ago: check it like an existing one.
        try {
          info = await jsm.streams.info(name);
        } catch (again) {
          this.logProblem(name, `could not check JetStream stream ${name} (${errorMessage(again)})`);
          return;
        }
      }
    }
    const config = info.config;
    const changes: string[] = [];
    const update: Partial<StreamConfig> = {};
    const missing = desired.subjects.filter((s) => !config.subjects.some((have) => subjectCovers(have, s)));
    if (missing.length > 0) {
      update.subjects = [...config.subjects, ...missing];
      changes.push(`subjects ${config.subjects.join(', ')} lack ${missing.join(', ')}`);
    }
    if (config.max_age !== desired.max_age && desired.max_age !== undefined) {
      update.max_age = desired.max_age;
      changes.push(`max_age ${nanosText(config.max_age)} → ${nanosText(desired.max_age)}`);
    }
    if (config.duplicate_window !== desired.duplicate_window && desired.duplicate_window !== undefined) {
      update.duplicate_window = desired.duplicate_window;
      changes.push(
        `duplicate_window ${nanosText(config.duplicate_window)} → ${nanosText(desired.duplicate_window)}`,
      );
    }
    if (config.num_replicas !== desired.num_replicas && desired.num_replicas !== undefined) {
      update.num_replicas = desired.num_replicas;
      changes.push(`replicas ${config.num_replicas} → ${desired.num_replicas}`);
    }
    const fixed: string[] = [];
    if (config.storage !== desired.storage)
      fixed.push(`storage ${config.storage} (configured ${desired.storage})`);
    if (config.retention !== desired.retention)
      fixed.push(`retention ${config.retention} (configured ${desired.retention})`);
    if (fixed.length > 0) {
      this.logProblem(
        `${name}:fixed`,
        `JetStream stream ${name} differs from the configuration in what cannot be changed in place: ${fixed.join(', ')}; left as is (recreate the stream to apply)`,
      );
    }
    if (changes.length === 0) {
      log.debug({ stream: name }, `JetStream stream ${name} as configured`);
      this.problemsLogged.delete(name);
      return;
    }
    try {
      await jsm.streams.update(name, update);
      log.info({ stream: name, changes }, `updated JetStream stream ${name}: ${changes.join('; ')}`);
      this.problemsLogged.delete(name);
    } catch (error) {
      this.logProblem(
        name,
        `JetStream stream ${name} differs from the configuration (${changes.join('; ')}) and could not be updated (${errorMessage(error)}); left as is`,
      );
    }
  }

  // ---- JetStream: pipelined PubAcks ---------------------------------------------------------

  private async publishPipelined(nc: NatsConnection, prepared: Prepared, inbox: string): Promise<void> {
    for (;;) {
      if (this.halted) {
        this.abortWindow(false);
        return;
      }
      if (
        this.link.state !== 'connected' ||
        this.link.generation !== prepared.generation ||
        this.prepared !== prepared ||
        this.recheck
      ) {
        this.abortWindow(true);
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
      const waitMs = head.sentAt + this.ackTimeoutMs - Date.now();
      if (waitMs <= 0) {
        await this.failed(
          { ok: false, kind: 'timeout', detail: `no PubAck within ${this.ackTimeoutMs} ms` },
          head.record,
        );
        return;
      }
      await this.wakeup.until(undefined, waitMs);
      // As above: the records appended and the PubAcks received during this turn are handled
      // together, so a busy pipeline writes to the socket once per turn, not once per record.
      await nextTurn();
    }
  }

  private onAck(inbox: string, msg: Msg): void {
    const seq = Number(msg.subject.slice(inbox.length + 1));
    const first = this.window[this.head];
    if (first === undefined) return; // a late PubAck for a window given up: its record is sent again
    const entry = this.window[this.head + (seq - first.seq)];
    if (entry?.seq !== seq || entry.outcome !== undefined) return;
    entry.outcome = parsePubAck(msg);
    if (entry === first) this.wakeup.wake();
  }

  /** Acknowledges the confirmed records at the head of the window; false if the outbox disagrees. */
  private acknowledgeConfirmed(): boolean {
    const { outbox, counters, log } = this.options;
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
      this.abortWindow(false);
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
    this.stats.acks += acks;
    this.stats.duplicates += duplicates;
    this.stats.lastAckAt = now;
    this.stats.inFlight = this.window.length - this.head;
    this.recovered();
    this.progress.confirmed(count, outbox.depth, now);
    return true;
  }

  /** Sends the records after those in flight, up to maxInFlight; false if the outbox disagrees. */
  private refill(nc: NatsConnection, inbox: string): boolean {
    const { outbox, log } = this.options;
    const inFlight = this.window.length - this.head;
    if (inFlight > 0 && this.maxInFlight - inFlight < this.refillChunk) return true;
    if (outbox.depth <= inFlight) return true;
    const batch = outbox.peek(this.maxInFlight);
    const last = this.window[this.window.length - 1];
    if (inFlight > 0 && batch[inFlight - 1]?.id !== last?.record.id) {
      log.error(
        { expected: last?.record.id, found: batch[inFlight - 1]?.id },
        'the outbox changed under the publisher; sending again from its oldest record',
      );
      this.abortWindow(false);
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
    this.stats.inFlight = this.window.length - this.head;
    if (flushed !== undefined) {
      // Records outside the streams (status) are confirmed by a flush round trip.
      const entries = flushed;
      nc.flush().then(
        () => {
          for (const entry of entries) entry.outcome ??= FLUSHED;
          this.wakeup.wake();
        },
        (error: unknown) => {
          for (const entry of entries)
            entry.outcome ??= { ok: false, kind: 'connection', detail: errorMessage(error) };
          this.wakeup.wake();
        },
      );
    }
    return true;
  }

  private inStream(subject: string): boolean {
    for (const prefix of this.streamPrefixes) if (subject.startsWith(prefix)) return true;
    return false;
  }

  /** Gives up the window: nothing in it is acknowledged; it is sent again from its first record. */
  private abortWindow(countAsRetry: boolean): void {
    const inFlight = this.window.length - this.head;
    this.window = [];
    this.head = 0;
    this.stats.inFlight = 0;
    if (countAsRetry && inFlight > 0) {
      this.options.counters.publishErrors++;
      this.stats.retries++;
    }
  }

  private async failed(outcome: Outcome & { ok: false }, record: OutboxRecord): Promise<void> {
    const { counters, log } = this.options;
    const inFlight = this.window.length - this.head;
    this.abortWindow(false);
    counters.publishErrors++;
    this.stats.retries++;
    this.failures++;
    if (outcome.kind === 'no-stream') this.recheck = true;
    const now = Date.now();
    if (this.failures === 1 || now - this.failureLoggedAt >= PROBLEM_LOG_INTERVAL_MS) {
      this.failureLoggedAt = now;
      log.warn(
        {
          subject: record.subject,
          reason: outcome.kind,
          inFlight,
          failuresInARow: this.failures,
          retryInMs: this.retryDelayMs,
          backlog: this.options.outbox.depth,
        },
        `JetStream publish failed (${outcome.detail}); sending again from the first unconfirmed record`,
      );
    }
    await this.pauseAfterFailure();
  }

  private async pauseAfterFailure(): Promise<void> {
    const ms = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2);
    await this.wakeup.until(undefined, ms);
  }

  private recovered(): void {
    this.retryDelayMs = this.minRetryDelayMs;
    if (this.failures === 0) return;
    this.options.log.info({ failuresInARow: this.failures }, 'JetStream publishing recovered');
    this.failures = 0;
    this.failureLoggedAt = -Infinity;
  }

  // ---- core NATS ----------------------------------------------------------------------------

  private async publishCore(nc: NatsConnection): Promise<void> {
    const { outbox, counters } = this.options;
    const batch = outbox.peek(this.options.batchSize ?? 512);
    this.stats.inFlight = batch.length;
    try {
      await publishCoreBatch(nc, batch);
      outbox.acknowledge(batch.length);
      counters.published += batch.length;
      const now = Date.now();
      this.stats.lastAckAt = now;
      this.retryDelayMs = this.minRetryDelayMs;
      this.progress.confirmed(batch.length, outbox.depth, now);
    } catch {
      // The connection dropped under the batch: it goes out again once the client reconnected.
      counters.publishErrors++;
      this.stats.retries++;
      await this.wakeup.until(undefined, 250);
    } finally {
      this.stats.inFlight = 0;
    }
  }

  private logProblem(key: string, message: string): void {
    const now = Date.now();
    const last = this.problemsLogged.get(key);
    if (last?.message === message && now - last.at < PROBLEM_LOG_INTERVAL_MS) return;
    this.problemsLogged.set(key, { message, at: now });
    this.options.log.warn(message);
  }
}

/** JetStream API error code: a stream with that name exists already. */
const STREAM_NAME_IN_USE = 10058;

const decoder = new TextDecoder();

function parsePubAck(msg: Msg): Outcome {
  const h = msg.headers;
  if (msg.data.length === 0 && h !== undefined && h.code >= 300) {
    return h.code === 503
      ? { ok: false, kind: 'no-stream', detail: 'no stream takes the subject (503 no responders)' }
      : { ok: false, kind: 'rejected', detail: `${h.code} ${h.description}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(msg.data));
  } catch {
    return { ok: false, kind: 'rejected', detail: 'unreadable PubAck' };
  }
  if (typeof body !== 'object' || body === null)
    return { ok: false, kind: 'rejected', detail: 'invalid PubAck' };
  const ack = body as {
    stream?: unknown;
    duplicate?: unknown;
    error?: { code?: unknown; err_code?: unknown; description?: unknown };
  };
  if (ack.error !== undefined) {
    const { description, err_code: errCode, code } = ack.error;
    return {
      ok: false,
      kind: code === 503 ? 'no-stream' : 'rejected',
      detail: `${String(description)} (${String(code)}, err_code ${String(errCode)})`,
    };
  }
  if (typeof ack.stream !== 'string' || ack.stream === '')
    return { ok: false, kind: 'rejected', detail: 'invalid PubAck' };
  return ack.duplicate === true ? DUPLICATE : STORED;
}

/** Whether stream subject `pattern` takes every subject `subject` (itself possibly a wildcard) takes. */
export function subjectCovers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return i < s.length;
    const other = s[i];
    if (other === undefined) return false;
    if (other === '>') return false;
    if (token !== '*' && token !== other) return false;
  }
  return p.length === s.length;
}

function msToNanos(ms: number): number {
  return ms * 1_000_000;
}

function nanosText(nanos: number | undefined): string {
  if (nanos === undefined) return 'unset';
  if (nanos === 0) return 'unlimited';
  const ms = nanos / 1_000_000;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
