import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { createInbox, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AckWindow, type WindowCheck } from './ack-window.js';
import { publishCoreOnce, type CoreFallbackParts } from './core-fallback.js';
import { errorMessage } from './error-message.js';
import { isJetStreamMissing } from './jetstream-errors.js';
import type { NatsLink } from './nats-link.js';
import { ProblemLog } from './problem-log.js';
import { createLink, type NatsPublisherOptions } from './publisher-link.js';
import {
  BacklogProgress,
  createPublisherStats,
  type NatsState,
  type Publisher,
  type PublisherStats,
  type PublishMode,
  Wakeup,
} from './publisher.js';
import { raceDeadline } from '../core/race-deadline.js';
import { RetryBackoff } from './retry-backoff.js';
import { desiredStreams, ensureStreams, type JetStreamStreams } from './stream-setup.js';

export { desiredStreams, type JetStreamStreams, subjectCovers } from './stream-setup.js';

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

interface Prepared {
  readonly generation: number;
  readonly nc: NatsConnection;
  /** Reply subjects are `<inbox>.<seq>`; undefined in core mode. */
  readonly acks: { readonly inbox: string; readonly sub: Subscription } | undefined;
}

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
 *
 * Split by job: the per-connection check and the pump are here; the streams in
 * `stream-setup.ts`, the JetStream window in `ack-window.ts`, core NATS in `core-fallback.ts`,
 * the pause after failures in `retry-backoff.ts`.
 */
export class JetStreamPublisher implements Publisher {
  readonly stats: PublisherStats = createPublisherStats();
  private readonly link: NatsLink;
  private readonly wakeup = new Wakeup();
  private readonly progress: BacklogProgress;
  private readonly backoff: RetryBackoff;
  private readonly problems: ProblemLog;
  private readonly window: AckWindow;
  private readonly core: CoreFallbackParts;
  private pumping: Promise<void> | undefined;
  private stopping = false;
  private halted = false;
  private _mode: PublishMode = 'unknown';
  private coreServerLogged: string | undefined;
  private prepared: Prepared | undefined;
  private recheck = false;

  constructor(private readonly options: JetStreamPublisherOptions) {
    const { outbox, counters, log } = options;
    this.link = createLink(options);
    this.link.onChange(() => this.wakeup.wake());
    this.progress = new BacklogProgress(log, options.progressThreshold, options.progressIntervalMs);
    this.backoff = new RetryBackoff(
      log,
      this.wakeup,
      options.retryDelayMs ?? 250,
      options.maxRetryDelayMs ?? 5_000,
    );
    this.problems = new ProblemLog(log);
    const parts = {
      outbox,
      counters,
      stats: this.stats,
      progress: this.progress,
      wakeup: this.wakeup,
      backoff: this.backoff,
    };
    this.window = new AckWindow({
      ...parts,
      log,
      subjectPrefix: options.subjectPrefix,
      maxInFlight: Math.max(1, options.maxInFlight ?? 1_000),
      ackTimeoutMs: options.ackTimeoutMs ?? 5_000,
      onNoStream: () => {
        this.recheck = true;
      },
    });
    this.core = { ...parts, batchSize: options.batchSize ?? 512 };
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
        if (!(await this.prepare(nc, generation))) await this.backoff.pause();
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
      else await publishCoreOnce(nc, this.core);
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
        this.problems.warn(
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
    await ensureStreams(jsm, {
      subjectPrefix: this.options.subjectPrefix,
      streams: this.options.streams,
      log,
      problems: this.problems,
    });
    if (this.link.generation !== generation || this.link.state !== 'connected') return false;
    const acks =
      previous?.acks ??
      (() => {
        const inbox = createInbox();
        const sub = nc.subscribe(`${inbox}.*`, {
          callback: (_error, msg) => {
            this.window.onAck(inbox, msg);
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

  private async publishPipelined(nc: NatsConnection, prepared: Prepared, inbox: string): Promise<void> {
    const check = (): WindowCheck => {
      if (this.halted) return 'halted';
      if (
        this.link.state !== 'connected' ||
        this.link.generation !== prepared.generation ||
        this.prepared !== prepared ||
        this.recheck
      )
        return 'stale';
      return 'go';
    };
    await this.window.publish(nc, inbox, check);
  }
}
