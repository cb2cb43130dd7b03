import {
  AckPolicy,
  type ConsumerInfo,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  JetStreamApiCodes,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { statusSubjects, streamSubjects } from '../contract/subjects.js';
import { isApiError, isJetStreamMissing } from '../publish/jetstream-errors.js';
import {
  nanos,
  type NatsConnection,
  type NodeConnectionOptions,
  type Subscription,
} from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../core/clock.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { NatsLink } from '../publish/nats-link.js';
import { raceDeadline } from '../core/race-deadline.js';
import type { Folder } from './folder.js';

/**
 * The aggregator's NATS shell: one connection (NatsLink: auth, TLS, reconnect forever), and on
 * it
 * - `<prefix>.status.>` as a plain subscription (the sidecars publish status on core NATS);
 * - with JetStream: a durable pull consumer of its own (consumer.name) on the events stream
 *   (events and rejects) and on the alerts stream, from the first message kept, explicit acks;
 *   a message is acknowledged only once folded and committed (see Folder), so a restart resumes
 *   where the last commit was;
 * - without JetStream (jetstream.enabled false, or a server without it): plain subscriptions to
 *   `<prefix>.events.>`, `.rejects.>` and `.alerts.>`; what is published while the aggregator
 *   is away is missed (logged at start).
 *
 * The streams belong to the sidecars (they create them); until one exists the consumer waits
 * for it and says so once.
 */

export type IntakeMode = 'connecting' | 'jetstream' | 'core';

export interface NatsIntakeOptions {
  readonly connect: { readonly options: NodeConnectionOptions; readonly describe: string };
  readonly subjectPrefix: string;
  readonly jetstream: boolean;
  readonly streams: { readonly events: string; readonly alerts: string };
  readonly consumerName: string;
  /**
   * Streams to read again from their first message (the history was set aside and is rebuilt):
   * their consumer is reset to deliver everything, then `done` is called.
   */
  readonly replay?: {
    readonly pending: (stream: string) => boolean;
    readonly done: (stream: string) => void;
  };
  readonly folder: Folder;
  readonly clock: Clock;
  readonly log: Logger;
  /** Messages folded before a commit is forced (a commit also runs whenever the consumer is idle). Default 500. */
  readonly batchSize?: number;
  /** Pause between attempts while a stream is missing or a commit fails. Default 1 s. */
  readonly retryMs?: number;
  /** Unacknowledged messages the server hands this consumer at most. Default 10,000. */
  readonly maxAckPending?: number;
}

/** How long the server waits for an ack before redelivering (commits take milliseconds). */
const ACK_WAIT_MS = 30_000;
/**
 * Each pull request's expiry. The client finds a pull that the server lost (in a cluster: the
 * consumer's leader was killed and another took over) only by two missed idle heartbeats, sent
 * at half the expiry; at the client's default of 30 s that stalled the intake for 30 s after a
 * failover, at 5 s it is 5 s. An idle consumer pulls again every 5 s, which costs nothing.
 */
const PULL_EXPIRES_MS = 5_000;
/** A repeated problem (missing stream, failing commit) is logged again at most this often. */
const PROBLEM_LOG_INTERVAL_MS = 60_000;

export class NatsIntake implements Lifecycle {
  private readonly link: NatsLink;
  private readonly abort = new AbortController();
  /** Resolves on stop: every wait of the intake races it, or a stop with NATS down would hang. */
  private readonly aborted = new Promise<void>((resolve) => {
    this.abort.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  private running: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private readonly iterators = new Set<ConsumerMessages>();
  private readonly subscriptions = new Set<Subscription>();
  private commitScheduled = false;
  private _mode: IntakeMode = 'connecting';
  private readonly problemsLogged = new Map<string, number>();
  /** Streams whose consumer was set up at least once by this process. */
  private readonly setUp = new Set<string>();

  constructor(private readonly options: NatsIntakeOptions) {
    this.link = new NatsLink({
      options: options.connect.options,
      describe: options.connect.describe,
      log: options.log,
      backlog: () => options.folder.pending,
    });
  }

  get mode(): IntakeMode {
    return this._mode;
  }

  get natsState(): string {
    return this.link.state;
  }

  /** The connection while there is one (the cluster alerts are published on it). */
  get connection(): NatsConnection | undefined {
    return this.link.connection;
  }

  /** Connects in the background (NATS may be down: the API serves what the history has). */
  start(): Promise<void> {
    if (this.stopping !== null) return Promise.resolve();
    this.link.start();
    this.running ??= this.run();
    return Promise.resolve();
  }

  /**
   * Stops taking messages, commits and acknowledges what was folded, then drains the
   * connection. Idempotent; safe without start.
   */
  stop(deadline: number): Promise<void> {
    this.stopping ??= this.close(deadline);
    return this.stopping;
  }

  private async close(deadline: number): Promise<void> {
    this.abort.abort();
    this.stopConsuming();
    if (this.running !== null) await raceDeadline(this.running, deadline);
    this.commitUntilDone(true);
    await this.link.close(deadline);
  }

  /** A method, so that checks after an await are not narrowed away. */
  private isStopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.isStopped()) {
      // The link wakes its waiters only when it closes, and it closes after this loop ends.
      await Promise.race([this.link.whenConnected(), this.aborted]);
      const nc = this.link.connection;
      if (this.isStopped()) return;
      if (nc === undefined || nc.isClosed()) {
        await this.pause(100);
        continue;
      }
      try {
        await this.serve(nc);
      } catch (error) {
        this.problem('serve', { err: error }, 'NATS intake failed; starting it again');
        await this.pause(this.options.retryMs ?? 1_000);
      } finally {
        this.stopConsuming();
      }
    }
  }

  /** Everything on one connection; returns when it closes or the intake stops. */
  private async serve(nc: NatsConnection): Promise<void> {
    const { log, subjectPrefix: prefix, folder, clock } = this.options;
    const onCore = (subject: string): Subscription => {
      const sub = nc.subscribe(subject, {
        callback: (error, msg) => {
          if (error !== null) return;
          folder.fold(msg.data, clock.now(), null, msg.subject);
          this.scheduleCommit();
        },
      });
      this.subscriptions.add(sub);
      return sub;
    };
    onCore(statusSubjects(prefix));
    const jsm = await this.jetStreamOf(nc);
    const loops: Promise<void>[] = [];
    if (jsm === null) {
      const { events, alerts } = streamSubjects(prefix);
      const subjects = [...events, ...alerts];
      for (const subject of subjects) onCore(subject);
      if (this._mode !== 'core')
        log.warn(
          { subjects },
          'consuming with plain core NATS subscriptions: whatever the sidecars publish while this aggregator is not connected is missed',
        );
      this._mode = 'core';
    } else {
      const { events, alerts } = this.options.streams;
      if (this._mode !== 'jetstream')
        log.info(
          { streams: [events, alerts], consumer: this.options.consumerName },
          'consuming the JetStream streams through a durable consumer: a message is acknowledged once folded and committed to the history',
        );
      this._mode = 'jetstream';
      loops.push(this.consumeStream(nc, jsm, events), this.consumeStream(nc, jsm, alerts));
    }
    const closed = nc.closed().then(() => undefined);
    await Promise.race([closed, this.aborted]);
    this.stopConsuming();
    await Promise.allSettled(loops);
  }

  /** The manager when the server has JetStream and it is wanted; null for core subscriptions. */
  private async jetStreamOf(nc: NatsConnection): Promise<JetStreamManager | null> {
    if (!this.options.jetstream) return null;
    for (;;) {
      try {
        return await jetstreamManager(nc, { timeout: 5_000 });
      } catch (error) {
        if (isJetStreamMissing(error)) {
          this.options.log.warn(
            { server: nc.getServer() },
            'the NATS server has no JetStream: falling back to core NATS subscriptions',
          );
          return null;
        }
        if (this.isStopped() || nc.isClosed()) throw error;
        this.problem('jsm', { err: error }, 'could not check JetStream; trying again');
        await this.pause(this.options.retryMs ?? 1_000);
      }
    }
  }

  /**
   * Consumes one stream for as long as the connection lasts; any failure (the stream missing,
   * the consumer deleted, an API timeout) is logged and the consumer set up again.
   */
  private async consumeStream(nc: NatsConnection, jsm: JetStreamManager, stream: string): Promise<void> {
    while (!this.isStopped() && !nc.isClosed()) {
      try {
        await this.ensureConsumer(jsm, stream);
        this.problemsLogged.delete(`missing:${stream}`);
        await this.consumeOnce(nc, stream);
      } catch (error) {
        if (this.isStopped() || nc.isClosed()) return;
        if (isApiError(error, JetStreamApiCodes.StreamNotFound)) {
          this.problem(
            `missing:${stream}`,
            { stream },
            `JetStream stream ${stream} does not exist yet (a sidecar creates it when it connects); waiting for it`,
          );
        } else {
          this.problem(
            `consumer:${stream}`,
            { stream, err: error },
            `consuming ${stream} failed; setting the consumer up again`,
          );
        }
      }
      await this.pause(this.options.retryMs ?? 1_000);
    }
  }

  /** Folds messages until the iterator ends (stopped, connection closed, consumer gone). */
  private async consumeOnce(nc: NatsConnection, stream: string): Promise<void> {
    const { consumerName: name, folder, clock, log } = this.options;
    const consumer = await jetstream(nc).consumers.get(stream, name);
    const messages = await consumer.consume({ max_messages: 1_000, expires: PULL_EXPIRES_MS });
    this.iterators.add(messages);
    log.debug({ stream, consumer: name }, 'consuming');
    const batch = this.options.batchSize ?? 500;
    try {
      for await (const m of messages) {
        folder.fold(
          m.data,
          clock.now(),
          () => {
            m.ack();
          },
          m.subject,
        );
        if (folder.pending >= batch || messages.getPending() === 0) await this.commitWithRetry();
        // getPending() can stay above 0 after the last message of a delivery (the iterator
        // counts its own callbacks as in flight), so the end of this turn commits as well.
        else this.scheduleCommit();
      }
    } finally {
      this.iterators.delete(messages);
    }
  }

  /**
   * Creates the durable consumer when it does not exist. The first time in this process, a
   * consumer with messages delivered but never acknowledged (the last run was killed while
   * folding) is set back to the first unacknowledged message: otherwise the server would hold
   * them back for the whole ack wait, and the answers would lack them until then. What comes
   * again that was already committed is recognised by id as a duplicate.
   */
  private async ensureConsumer(jsm: JetStreamManager, stream: string): Promise<void> {
    const { consumerName: name, log } = this.options;
    const config = {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: this.options.maxAckPending ?? 10_000,
    };
    let info: ConsumerInfo | undefined;
    try {
      info = await jsm.consumers.info(stream, name);
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    }
    const first = !this.setUp.has(stream);
    this.setUp.add(stream);
    if (this.options.replay?.pending(stream) === true) {
      if (info !== undefined) await jsm.consumers.delete(stream, name);
      await jsm.consumers.add(stream, { ...config, deliver_policy: DeliverPolicy.All });
      this.options.replay.done(stream);
      log.warn(
        { stream, consumer: name },
        `the history was rebuilt: consuming ${stream} again from its first message (durable consumer ${name} reset)`,
      );
      return;
    }
    if (info === undefined) {
      await jsm.consumers.add(stream, { ...config, deliver_policy: DeliverPolicy.All });
      log.info({ stream, consumer: name }, `created durable consumer ${name} on ${stream}`);
      return;
    }
    if (!first || info.num_ack_pending === 0) return;
    const from = info.ack_floor.stream_seq + 1;
    await jsm.consumers.delete(stream, name);
    await jsm.consumers.add(stream, {
      ...config,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    log.info(
      { stream, consumer: name, fromSequence: from, unacknowledged: info.num_ack_pending },
      `the last run stopped with ${info.num_ack_pending} message(s) unacknowledged on ${stream}: consuming again from the first of them`,
    );
  }

  /** Commits; while the history refuses, waits and tries again (nothing more is taken meanwhile). */
  private async commitWithRetry(): Promise<void> {
    while (!this.commitUntilDone(false)) {
      if (this.isStopped()) return;
      await this.pause(this.options.retryMs ?? 1_000);
    }
  }

  /** One commit attempt; logs a failure (at most once a minute while it lasts). */
  private commitUntilDone(final: boolean): boolean {
    const { folder } = this.options;
    if (folder.commit()) {
      this.problemsLogged.delete('commit');
      return true;
    }
    const pending = folder.pending;
    if (final) {
      this.options.log.error(
        { err: folder.failing, pending },
        'could not commit the last messages to the history; they were not acknowledged and come again at the next start',
      );
    } else {
      this.problem(
        'commit',
        { err: folder.failing, pending },
        'history write failed; nothing is acknowledged until it works again (retrying)',
      );
    }
    return false;
  }

  /** Core subscriptions fold in callbacks: one commit per turn of the event loop. */
  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      if (!this.commitUntilDone(false) && !this.isStopped()) {
        setTimeout(() => this.scheduleCommit(), this.options.retryMs ?? 1_000).unref();
      }
    });
  }

  private stopConsuming(): void {
    for (const it of this.iterators) it.stop();
    this.iterators.clear();
    for (const sub of this.subscriptions) {
      try {
        sub.unsubscribe();
      } catch {
        // the connection is already closed
      }
    }
    this.subscriptions.clear();
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.abort.signal });
    } catch {
      // stopped
    }
  }

  private problem(key: string, fields: object, message: string): void {
    const now = Date.now();
    const last = this.problemsLogged.get(key);
    if (last !== undefined && now - last < PROBLEM_LOG_INTERVAL_MS) return;
    this.problemsLogged.set(key, now);
    this.options.log.warn(fields, message);
  }
}
