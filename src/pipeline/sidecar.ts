import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from '../core/clock.js';
import { checkDataDir } from '../core/data-dir.js';
import { countDrop, createCounters, type StageCounters } from '../core/counters.js';
import { createIdGenerator, type IdGenerator } from '../core/ids.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { SidecarConfig } from '../config/schema.js';
import { createDecoder } from '../ingest/decode.js';
import { readKernelUdpDrops } from '../ingest/kernel-udp-drops.js';
import { handOffPolicyOf } from '../ingest/hand-off-policy.js';
import type { DatagramSource } from '../ingest/datagram-source.js';
import { MainThreadUdpSource } from '../ingest/main-thread-udp-source.js';
import { ReaderThreadUdpSource } from '../ingest/reader-thread-udp-source.js';
import { envelope } from '../contract/envelope.js';
import { RULES_REJECTED_TYPE, STATUS_TYPE } from '../contract/types.js';
import { JetStreamPublisher } from '../publish/jetstream-publisher.js';
import { natsConnectionOptions } from '../publish/nats-connection.js';
import type { DiskOutbox } from '../publish/outbox/disk-outbox.js';
import type { RecordPriority } from '../publish/outbox.js';
import {
  createSidecarMetrics,
  refreshedBeforeRender,
  type SidecarMetrics,
  startRuntimeMetrics,
} from '../observe/metrics.js';
import { type HealthInputs, stalled } from '../observe/health.js';
import { ObserveServer } from '../observe/http-server.js';
import { LiveHeap } from '../observe/live-heap.js';
import { loadPrivacySecret } from '../privacy/secret.js';
import { createUserHasher, type UserHasher } from '../privacy/user-hasher.js';
import { readFile } from 'node:fs/promises';
import { createSubjects, type Subjects } from '../contract/subjects.js';
import { MAX_EPISODES, RuleEvaluator } from '../rules/engine/evaluator.js';
import { Judge } from '../rules/judge.js';
import { compileRules, longestWindowMs } from '../rules/engine/compile.js';
import { loadRules } from '../rules/load/index.js';
import { type ReloadOutcome, RulesReloader } from '../rules/reloader.js';
import { formatRuleIssue } from '../rules/types.js';
import type { LiveStateOptions } from '../state/live-state.js';
import { StateFile } from './state-file.js';
import { openOutbox, restoreState } from './start-restore.js';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import type { Datagram } from '../ingest/datagram-batch.js';
import { createProcessor, type Processor } from './processor.js';
import { RejectSummary } from './reject-summary.js';
import { startPeriodicWork } from './periodic-work.js';
import { buildStatus, type RulesStatus } from './status.js';
import { outboxFullNotice } from './system-alerts.js';
import { IdleTrimPolicy } from '../observe/idle-trim-policy.js';
import { MiB } from '../config/key-spec.js';
import type { HeapTrimmer } from '../observe/heap-trimmer.js';

export interface SidecarDeps {
  readonly config: SidecarConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly version: string;
  /** Hands the idle heap back to the OS (memory.idleTrimAfter); without it, never. */
  readonly heapTrimmer?: HeapTrimmer | null;
}

const STATE_FILE = 'state.json';
const OUTBOX_DIR = 'outbox';

/** Datagrams handled before the processing loop yields to the event loop, so the socket keeps being read. */
const YIELD_EVERY = 64;
/**
 * How often silent sessions are expired, firing alerts re-checked against the time and the
 * rejected datagrams summarised in the log: one wake-up for the three.
 */
const TICK_INTERVAL_MS = 5_000;
/** A quiet spell's trim is skipped unless the heap grew this much since the last (IdleTrimPolicy). */
const TRIM_MIN_GROWTH_BYTES = 8 * MiB;
/** Counts kept at least this far back even when no rule asks for a window. */
const MIN_COUNT_HORIZON_MS = 60_000;

/**
 * Wiring of one sidecar: socket (its reader thread, or the main thread) → processing loop on the main thread (decode → drop rules → state → alert
 * rules) → outbox → NATS publisher, plus status, expiry and rule reload. Starts downstream first
 * and stops upstream first, so nothing is read that cannot be handed on, and everything read is
 * handed on before NATS is drained. The processing loop is the only caller of the rules, one datagram or
 * tick at a time (json-rules-engine is not re-entrant).
 *
 * This is the start and stop order of every stage, which reads best in one place; the stages
 * themselves (processor, outbox, publisher, reader, periodic duties) live apart.
 */
export class Sidecar implements Lifecycle {
  readonly counters: StageCounters = createCounters();
  private readonly subjects: Subjects;
  private readonly nextId: IdGenerator;
  private readonly processor: Processor;
  private readonly publisher: JetStreamPublisher;
  private readonly observe: ObserveServer | null;
  private readonly metrics: SidecarMetrics | null;
  private readonly liveHeap = new LiveHeap();
  private readonly idleTrim: IdleTrimPolicy;
  private readonly heapTrims = { count: 0, releasedBytes: 0, seconds: 0 };
  private readonly source: DatagramSource;
  private readonly reloader: RulesReloader;
  private readonly rejectSummary = new RejectSummary();
  private readonly startedAt: number;
  private rulesStatus: RulesStatus;
  private stopTimers: () => void = () => undefined;
  private stopped = false;
  private tickDue = false;
  private snapshotDue = false;
  private wakeLoop: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private closing = false;

  /**
   * Everything that can refuse a start is checked here, before anything listens: rule files,
   * NATS credentials and TLS files, the privacy secret, the outbox directory. Problems come back
   * as lines for the operator (rule problems as file:line:column), not as exceptions.
   */
  static async create(
    deps: SidecarDeps,
  ): Promise<{ ok: true; sidecar: Sidecar } | { ok: false; problems: readonly string[] }> {
    const { config, clock, log } = deps;
    // Before anything opens a file in it (the state file below, the outbox on start).
    const dataDirProblem = await checkDataDir(config.dataDir);
    if (dataDirProblem !== null) return { ok: false, problems: [dataDirProblem] };
    const loaded = await loadRules(config.rules.paths, { defaultTimezone: config.rules.timezone });
    if (!loaded.ok) return { ok: false, problems: loaded.issues.map(formatRuleIssue) };
    for (const warning of loaded.warnings) log.warn(formatRuleIssue(warning));
    const connection = await natsConnectionOptions(config.nats);
    if (!connection.ok) return { ok: false, problems: connection.problems };
    const secret = await loadPrivacySecret(config.privacy, readFile);
    if (secret.problems.length > 0) return { ok: false, problems: secret.problems };
    const hasher = secret.key === null ? null : createUserHasher(secret.key);

    // Counts are kept as far back as the longest window the rules ask for at start (memory per
    // active key grows with it); a reload that asks for more sees counts clamped to this until
    // the next restart.
    const options: LiveStateOptions = {
      inactivityTimeoutMs: config.sessions.inactivityTimeoutMs,
      graceMs: config.sessions.expiryGraceMs,
      maxKeys: config.state.maxKeys,
      maxWindowMs: Math.max(MIN_COUNT_HORIZON_MS, longestWindowMs(loaded.ruleSet)),
    };
    const stateFile = new StateFile(join(config.dataDir, STATE_FILE));
    const { state, saved } = await restoreState(stateFile, options, deps);
    const compiled = compileRules(loaded.ruleSet, { defaultTimezone: config.rules.timezone, state });
    const evaluator = new RuleEvaluator(compiled, { maxEpisodes: MAX_EPISODES });
    if (saved !== null) {
      const episodes = evaluator.restore(saved.rules);
      const stats = state.stats();
      log.info(
        {
          takenAt: new Date(saved.takenAt).toISOString(),
          users: stats.users,
          sessions: stats.sessions,
          alertEpisodes: episodes,
        },
        'live state restored from the last snapshot',
      );
    }

    // The full hook needs the sidecar, which needs the outbox: bound once both exist.
    let onFull: (priority: RecordPriority) => void = () => undefined;
    const opened = await openOutbox(join(config.dataDir, OUTBOX_DIR), config, clock, log, (priority) => {
      onFull(priority);
    });
    if (!opened.ok) return { ok: false, problems: [opened.problem] };
    const sidecar = new Sidecar(
      deps,
      new Judge(state, evaluator),
      stateFile,
      opened.outbox,
      connection,
      hasher,
    );
    onFull = (priority) => {
      sidecar.outboxFull(priority);
    };
    return { ok: true, sidecar };
  }

  private constructor(
    private readonly deps: SidecarDeps,
    private readonly judge: Judge,
    private readonly stateFile: StateFile,
    private readonly outbox: DiskOutbox,
    connection: { readonly options: NodeConnectionOptions; readonly describe: string },
    hasher: UserHasher | null,
  ) {
    const { config, clock, log } = deps;
    this.startedAt = clock.now();
    this.idleTrim = new IdleTrimPolicy(
      { afterMs: config.memory.idleTrimAfterMs, minGrowthBytes: TRIM_MIN_GROWTH_BYTES },
      this.startedAt,
    );
    const { ruleSet } = judge.evaluator.rules;
    this.rulesStatus = { rules: ruleSet.rules.length, files: [...ruleSet.files], lastReload: null };
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
      judge,
      log: log.child({ component: 'rules' }),
      hasher,
    });
    this.publisher = new JetStreamPublisher({
      servers: config.nats.servers,
      name: config.nats.name,
      connection,
      outbox: this.outbox,
      counters: this.counters,
      log: log.child({ component: 'nats' }),
      subjectPrefix: config.nats.subjectPrefix,
      jetstream: config.jetstream.enabled,
      streams: {
        events: config.jetstream.eventsStream,
        alerts: config.jetstream.alertsStream,
        replicas: config.jetstream.replicas,
        maxAgeMs: config.jetstream.maxAgeMs,
        duplicateWindowMs: config.jetstream.duplicateWindowMs,
      },
    });
    // The runtime metrics (prom-client's defaults) start with the housekeeping tick, in start().
    this.metrics = config.http.enabled
      ? createSidecarMetrics(
          {
            counters: () => this.syncCounters(),
            outbox: () => this.outbox,
            nats: () => ({
              state: this.publisher.state,
              mode: this.publisher.mode,
              ...this.publisher.stats,
            }),
            rules: () => this.judge.evaluator.counters,
            state: () => this.judge.state.stats(),
            now: () => clock.now(),
            info: () => ({ node: config.node, version: deps.version }),
            intake: () => ({ depth: this.source.depth, capacity: config.intake.queueSize }),
            liveHeap: () => this.liveHeap,
            heapTrims: () => this.heapTrims,
          },
          { defaultMetrics: false },
        )
      : null;
    this.observe =
      this.metrics === null
        ? null
        : new ObserveServer({
            host: config.http.host,
            port: config.http.port,
            // The kernel's drop count is read when asked for (a scrape, a status message), not
            // polled: a file read every second woke the thread pool of an idle node.
            metrics: refreshedBeforeRender(() => this.readKernelDrops(), this.metrics),
            health: () => this.healthInputs(),
            log: log.child({ component: 'http' }),
          });
    const Source = config.intake.readerThread ? ReaderThreadUdpSource : MainThreadUdpSource;
    this.source = new Source({
      host: config.udp.host,
      port: config.udp.port,
      receiveBufferBytes: config.udp.receiveBufferBytes,
      allowedSources: config.udp.allowedSources,
      queueSize: config.intake.queueSize,
      handOff: handOffPolicyOf(config.intake),
      log: log.child({ component: 'udp' }),
      onReadable: () => this.wakeLoop?.(),
    });
    this.reloader = new RulesReloader({
      paths: config.rules.paths,
      timezone: config.rules.timezone,
      state: judge.state,
      evaluator: judge.evaluator,
      log: log.child({ component: 'rules' }),
      onReload: (outcome, reason) => {
        this.reloaded(outcome, reason);
      },
    });
  }

  get udpPort(): number | undefined {
    return this.source.port;
  }

  /** Reload the rule files now (SIGHUP). */
  reloadRules(reason: string): Promise<ReloadOutcome> {
    return this.reloader.reload(reason);
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    await this.publisher.start();
    await this.observe?.start();
    await this.liveHeap.start();
    this.loop = this.processingLoop();
    await this.source.start();
    await this.reloader.start();
    // The event-loop sample and the housekeeping tick share their interval and their wake-up
    // (both timers armed in this turn); 50 ms apart they were two wake-ups every 5 s.
    if (this.metrics !== null) startRuntimeMetrics(this.metrics.registry, TICK_INTERVAL_MS);
    this.stopTimers = startPeriodicWork([
      {
        everyMs: config.status.intervalMs,
        run: () => {
          this.publishStatus();
        },
      },
      {
        everyMs: TICK_INTERVAL_MS,
        run: () => {
          this.logRejects();
          this.tickDue = true;
          this.wakeLoop?.();
        },
      },
      {
        everyMs: config.state.snapshotIntervalMs,
        run: () => {
          this.snapshotDue = true;
          this.wakeLoop?.();
        },
      },
    ]);
    log.info(
      {
        node: config.node,
        udpPort: this.source.port,
        subjectPrefix: config.nats.subjectPrefix,
        rules: this.rulesStatus.rules,
        ruleFiles: this.rulesStatus.files,
        http: this.observe?.url ?? null,
        outboxDepth: this.outbox.depth,
      },
      'sense-sidecar ready',
    );
  }

  /** Stop intake, hand on what was read, publish it (until the deadline), drain NATS. */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopTimers();
    await this.reloader.stop(deadline);
    await this.source.stop(deadline);
    this.closing = true;
    this.wakeLoop?.();
    await this.loop;
    await this.saveState();
    this.logRejects();
    this.publishStatus();
    await this.publisher.stop(deadline);
    await this.outbox.close();
    await this.observe?.stop(deadline);
    await this.liveHeap.stop();
    this.deps.log.info(
      {
        received: this.counters.received,
        published: this.counters.published,
        unpublished: this.outbox.depth,
      },
      'sense-sidecar stopped',
    );
  }

  /** One memory-reducing collection once the node has been quiet long enough (IdleTrimPolicy). */
  private trimIfIdle(now: number): void {
    const trimmer = this.deps.heapTrimmer;
    if (trimmer === undefined || trimmer === null) return;
    if (!this.idleTrim.due(now, this.source.totals.received, trimmer.heapBytes())) return;
    const trim = trimmer.trim();
    this.idleTrim.trimmed(trim.afterBytes);
    this.heapTrims.count++;
    this.heapTrims.releasedBytes += Math.max(0, trim.beforeBytes - trim.afterBytes);
    this.heapTrims.seconds += trim.ms / 1000;
    const mb = (bytes: number): number => Number((bytes / MiB).toFixed(1));
    this.deps.log.info(
      { heapBeforeMb: mb(trim.beforeBytes), heapAfterMb: mb(trim.afterBytes), ms: Math.round(trim.ms) },
      'idle: heap trimmed',
    );
  }

  /** Received and intake drops are counted by the socket's reader; brought in here. */
  private syncCounters(): StageCounters {
    const { received, dropped } = this.source.totals;
    this.counters.received = received;
    if (dropped > 0) this.counters.dropped['intake-queue-full'] = dropped;
    return this.counters;
  }

  /**
   * The single consumer of the reader's batches and the only caller of the rules. Datagrams
   * from unlisted senders come through the same bounded queue (a flood from them is bounded
   * the same way); they are only counted and dead-lettered, never decoded.
   */
  private async processingLoop(): Promise<void> {
    let handled = 0;
    let batch: readonly Datagram[] = [];
    let next = 0;
    for (;;) {
      if (this.tickDue) {
        this.tickDue = false;
        const now = this.deps.clock.now();
        await this.processor.tick(now);
        this.trimIfIdle(now);
      }
      if (this.snapshotDue) {
        this.snapshotDue = false;
        await this.saveState();
      }
      if (next >= batch.length) {
        batch = this.source.take();
        next = 0;
        this.syncCounters();
      }
      const datagram = batch[next++];
      if (datagram === undefined) {
        // Hand what this turn appended to the OS before waiting: a kill -9 then loses none of it,
        // and a quiet node writes in the turn it already woke for rather than on a timer.
        this.outbox.flush();
        if (this.closing && this.source.exhausted) return;
        await new Promise<void>((resolve) => {
          this.wakeLoop = resolve;
        });
        this.wakeLoop = undefined;
        continue;
      }
      if (datagram.allowed) await this.processor.datagram(datagram);
      else this.processor.foreign(datagram);
      // Lets the publisher, its acknowledgements and the timers run during a long backlog.
      if (++handled % YIELD_EVERY === 0) await nextTurn();
    }
  }

  private reloaded(outcome: ReloadOutcome, reason: string): void {
    const { clock, config } = this.deps;
    const at = new Date(clock.now()).toISOString();
    if (outcome.ok) {
      this.rulesStatus = {
        rules: outcome.rules,
        files: [...outcome.files],
        lastReload: { at, ok: true, errors: [] },
      };
      return;
    }
    const errors = outcome.issues.map(formatRuleIssue);
    this.rulesStatus = { ...this.rulesStatus, lastReload: { at, ok: false, errors } };
    const id = this.nextId();
    const body = envelope(
      RULES_REJECTED_TYPE,
      { node: config.node, reason, errors },
      id,
      config.node,
      clock.now(),
    );
    this.appendStatusRecord(id, body);
  }

  /** The outbox refused a record for lack of room (called at most once a minute per priority). */
  outboxFull(priority: RecordPriority): void {
    const { config, clock, log } = this.deps;
    const notice = outboxFullNotice(
      {
        priority,
        bytes: this.outbox.bytes,
        maxBytes: config.outbox.maxBytes,
        node: config.node,
        diskFull: this.outbox.diskFull,
      },
      clock.now(),
    );
    log.error(
      {
        priority,
        outboxBytes: this.outbox.bytes,
        maxBytes: config.outbox.maxBytes,
        diskFull: this.outbox.diskFull,
      },
      notice.message,
    );
    this.processor.alert(notice);
  }

  private healthInputs(): HealthInputs {
    return {
      outbox: {
        healthy: this.outbox.healthy,
        lastError: this.outbox.lastError,
        diskFull: this.outbox.diskFull,
      },
      nats: { state: this.publisher.state, stalled: stalled(this.publisher.stats) },
      intakeDepth: this.source.depth,
      intakeCapacity: this.deps.config.intake.queueSize,
    };
  }

  /** Taken by the processing loop between two datagrams, so state and outbox agree on what was handled. */
  private async saveState(): Promise<void> {
    const { config, clock, log } = this.deps;
    const rules = this.judge.evaluator.snapshot();
    try {
      // With no event decoded and no alert memory changed since the last save, the file on disk
      // restores to the same state (what time alone does, expiry and window ageing, is redone on
      // restore): an idle node does not rewrite and fsync it every interval.
      await this.stateFile.saveIfChanged(`${this.counters.decoded} ${JSON.stringify(rules)}`, () => ({
        version: 1,
        node: config.node,
        takenAt: clock.now(),
        state: this.judge.state.snapshot(),
        rules,
      }));
    } catch (error) {
      countDrop(this.counters, 'state-snapshot-failed');
      log.error({ err: error, path: this.stateFile.path }, 'cannot save the live state snapshot');
    }
  }

  private logRejects(): void {
    const summary = this.rejectSummary.take();
    if (summary !== null) this.deps.log.warn(summary, `rejected ${summary.total} datagram(s)`);
  }

  private publishStatus(): void {
    const { config, clock, version } = this.deps;
    this.readKernelDrops();
    const now = clock.now();
    const { evaluator, state } = this.judge;
    const data = buildStatus({
      node: config.node,
      version,
      startedAt: this.startedAt,
      now,
      counters: this.syncCounters(),
      intakeDepth: this.source.depth,
      outboxDepth: this.outbox.depth,
      nats: this.publisher.state,
      state: state.stats(),
      rules: this.rulesStatus,
      ruleCounters: evaluator.counters,
    });
    const id = this.nextId();
    this.appendStatusRecord(id, envelope(STATUS_TYPE, data, id, config.node, now));
  }

  private readKernelDrops(): void {
    const port = this.source.port;
    if (port !== undefined) this.counters.udpReceiveErrors = readKernelUdpDrops(port);
  }

  private appendStatusRecord(id: string, body: unknown): void {
    const now = this.deps.clock.now();
    const payload = new TextEncoder().encode(JSON.stringify(body));
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
