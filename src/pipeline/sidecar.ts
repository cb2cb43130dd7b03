import { BoundedQueue } from '../core/bounded-queue.js';
import type { Clock } from '../core/clock.js';
import { countDrop, createCounters, type StageCounters } from '../core/counters.js';
import { createIdGenerator, type IdGenerator } from '../core/ids.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { SidecarConfig } from '../config/schema.js';
import { createSourceFilter } from '../config/address-filter.js';
import { createDecoder } from '../ingest/decode.js';
import { readKernelUdpDrops } from '../ingest/kernel-udp-drops.js';
import { UdpSource } from '../ingest/udp-source.js';
import { envelope, STATUS_TYPE } from '../publish/cloudevents.js';
import { MemoryOutbox } from '../publish/memory-outbox.js';
import { NatsPublisher } from '../publish/nats-publisher.js';
import type { Outbox } from '../publish/outbox.js';
import { createSubjects, type Subjects } from '../publish/subjects.js';
import type { Datagram } from './intake-queue.js';
import { createProcessor, type Processor } from './processor.js';
import { RejectSummary } from './reject-summary.js';
import { buildStatus } from './status.js';

export interface SidecarDeps {
  readonly config: SidecarConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly version: string;
}

/** How many datagrams one turn of the event loop decodes before it yields to the socket again. */
const DRAIN_BATCH = 1_000;
const REJECT_LOG_INTERVAL_MS = 5_000;

/**
 * Wiring of one sidecar: socket → intake queue → processor → outbox → NATS publisher, plus the
 * status timer. Starts downstream first and stops upstream first, so nothing is read that
 * cannot be handed on, and everything read is handed on before NATS is drained.
 */
export class Sidecar implements Lifecycle {
  readonly counters: StageCounters = createCounters();
  private readonly intake: BoundedQueue<Datagram>;
  private readonly outbox: Outbox;
  private readonly subjects: Subjects;
  private readonly nextId: IdGenerator;
  private readonly processor: Processor;
  private readonly publisher: NatsPublisher;
  private readonly source: UdpSource;
  private readonly rejectSummary = new RejectSummary();
  private readonly startedAt: number;
  private drainScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly deps: SidecarDeps) {
    const { config, clock, log } = deps;
    this.startedAt = clock.now();
    this.intake = new BoundedQueue(config.intake.queueSize);
    this.outbox = new MemoryOutbox(config.outbox.maxRecords);
    this.subjects = createSubjects(config.nats.subjectPrefix, config.node);
    this.nextId = createIdGenerator(() => clock.now());
    this.processor = createProcessor({
      node: config.node,
      decode: createDecoder({ limits: { maxDatagramBytes: config.udp.maxDatagramBytes } }),
      subjects: this.subjects,
      nextId: this.nextId,
      outbox: this.outbox,
      counters: this.counters,
      rejectSummary: this.rejectSummary,
    });
    this.publisher = new NatsPublisher({
      servers: config.nats.servers,
      name: config.nats.name,
      outbox: this.outbox,
      counters: this.counters,
      log: log.child({ component: 'nats' }),
    });
    this.source = new UdpSource({
      host: config.udp.host,
      port: config.udp.port,
      receiveBufferBytes: config.udp.receiveBufferBytes,
      clock,
      log: log.child({ component: 'udp' }),
      isAllowed: createSourceFilter(config.udp.allowedSources),
      onDatagram: (bytes, meta, allowed) => {
        this.enqueue({ bytes, meta, allowed });
      },
    });
  }

  get udpPort(): number | undefined {
    return this.source.port;
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    await this.publisher.start();
    await this.source.start();
    this.timers.push(
      setInterval(() => void this.publishStatus(), config.status.intervalMs),
      setInterval(() => {
        this.logRejects();
      }, REJECT_LOG_INTERVAL_MS),
    );
    for (const timer of this.timers) timer.unref();
    log.info(
      { node: config.node, udpPort: this.source.port, subjectPrefix: config.nats.subjectPrefix },
      'sense-sidecar ready',
    );
  }

  /** Stop intake, hand on what was read, publish it (until the deadline), drain NATS. */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.source.stop(deadline);
    this.drainIntake(Number.POSITIVE_INFINITY);
    this.logRejects();
    await this.publishStatus();
    await this.publisher.stop(deadline);
    this.deps.log.info(
      {
        received: this.counters.received,
        published: this.counters.published,
        unpublished: this.outbox.depth,
      },
      'sense-sidecar stopped',
    );
  }

  // Datagrams from unlisted senders go through the same bounded queue so that a flood from
  // them is bounded the same way; they are only counted and dead-lettered, never decoded.
  private enqueue(datagram: Datagram): void {
    this.counters.received++;
    if (!this.intake.push(datagram)) {
      countDrop(this.counters, 'intake-queue-full');
      return;
    }
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drainIntake(DRAIN_BATCH);
    });
  }

  private drainIntake(max: number): void {
    for (let i = 0; i < max; i++) {
      const datagram = this.intake.shift();
      if (datagram === undefined) return;
      if (datagram.allowed) this.processor.datagram(datagram);
      else this.processor.foreign(datagram);
    }
    if (this.intake.length > 0) this.scheduleDrain();
  }

  private logRejects(): void {
    const summary = this.rejectSummary.take();
    if (summary !== null) this.deps.log.warn(summary, `rejected ${summary.total} datagram(s)`);
  }

  private async publishStatus(): Promise<void> {
    const { config, clock, version } = this.deps;
    const port = this.source.port;
    if (port !== undefined) this.counters.udpReceiveErrors = await readKernelUdpDrops(port);
    const now = clock.now();
    const data = buildStatus({
      node: config.node,
      version,
      startedAt: this.startedAt,
      now,
      counters: this.counters,
      intakeDepth: this.intake.length,
      outboxDepth: this.outbox.depth,
      nats: this.publisher.state,
    });
    const id = this.nextId();
    const payload = new TextEncoder().encode(
      JSON.stringify(envelope(STATUS_TYPE, data, id, config.node, now)),
    );
    if (
      this.outbox.append({
        id,
        subject: this.subjects.status(),
        payload,
        priority: 'status',
        appendedAt: now,
      }) === 'dropped'
    ) {
      countDrop(this.counters, 'outbox-full:status');
    }
  }
}
