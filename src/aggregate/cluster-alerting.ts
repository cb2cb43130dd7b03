import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { raceDeadline } from '../core/race-deadline.js';
import type { ReloadOutcome, RuleFilesReloader } from '../rules/reloader.js';
import { defaultOrShipped } from '../rules/load/shipped-paths.js';
import { formatRuleIssue } from '../rules/types.js';
import {
  AlertOutbox,
  type AlertOutboxStats,
  ClusterRuleFeed,
  type ClusterRuleFeedStats,
} from './cluster-rule-hand-offs.js';
import {
  DEFAULT_CLUSTER_RULES_PATHS,
  type ClusterDecision,
  type ClusterRules,
  type ClusterRulesSnapshot,
  type ClusterRulesStats,
  type ClusterViewReader,
  createClusterRules,
  createClusterRulesReloader,
  loadClusterRuleFiles,
} from './cluster-rules/index.js';
import type { ViewChange } from './types.js';

/**
 * The aggregator's cluster rules, wired: loaded at start (refused with `file:line:column`
 * problems), fed every fold's and expiry's changes, ticked every 5 s, reloaded on a file change
 * or SIGHUP (the last good rules stay), their decisions published through `send`, and their
 * alert memory kept in a JSON file across restarts.
 */

/** The rules' resolution in time: node silence, windows and schedules are looked at this often. */
export const CLUSTER_TICK_MS = 5_000;
/** The alert memory is written this often (and at stop). */
const SNAPSHOT_INTERVAL_MS = 30_000;
/** A failing publish is logged again at most this often. */
const PUBLISH_LOG_INTERVAL_MS = 60_000;

export interface ClusterAlertingOptions {
  readonly paths: readonly string[];
  readonly timezone: string;
  /** The aggregator's name: `data.node` and the CloudEvents source of its alerts. */
  readonly name: string;
  readonly subjectPrefix: string;
  /** `data.host` and the host token of the subject. */
  readonly host: string;
  readonly view: ClusterViewReader;
  readonly send: (decision: ClusterDecision) => Promise<void>;
  /** The JSON file holding the alert memory. */
  readonly memoryFile: string;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface ClusterAlertingStats {
  readonly rules: ClusterRulesStats;
  readonly feed: ClusterRuleFeedStats;
  readonly outbox: AlertOutboxStats;
  readonly reloads: Readonly<Record<'ok' | 'refused', number>>;
}

/**
 * The cluster rule paths to load. Like the sidecar's `rules.paths`, they are relative to the
 * working directory; left at the default (`rules/cluster`), see defaultOrShipped.
 */
export function clusterRulePaths(
  paths: readonly string[],
  exists: (path: string) => boolean,
  shipped: string,
): { readonly paths: readonly string[]; readonly shipped: boolean } {
  return defaultOrShipped(paths, DEFAULT_CLUSTER_RULES_PATHS, exists, shipped);
}

export type ClusterAlertingResult =
  | { readonly ok: true; readonly alerting: ClusterAlerting }
  | { readonly ok: false; readonly problems: string[] };

export class ClusterAlerting {
  private timers: NodeJS.Timeout[] = [];
  private readonly reloads = { ok: 0, refused: 0 };
  private readonly feed: ClusterRuleFeed;
  private readonly outbox: AlertOutbox;
  private readonly reloader: RuleFilesReloader;
  private publishLoggedAt = -Infinity;

  private constructor(
    private readonly options: ClusterAlertingOptions,
    private readonly rules: ClusterRules,
  ) {
    const { log, view } = options;
    this.outbox = new AlertOutbox({
      send: options.send,
      failed: (error, d) => {
        const now = Date.now();
        if (now - this.publishLoggedAt < PUBLISH_LOG_INTERVAL_MS) return;
        this.publishLoggedAt = now;
        log.warn(
          { err: error, subject: d.subject, queued: this.outbox.stats().queued },
          'could not publish a cluster alert; trying again every second',
        );
      },
    });
    this.feed = new ClusterRuleFeed({
      rules,
      view,
      decided: (decisions) => {
        this.announce(decisions);
      },
      failed: (error) => log.error({ err: error }, 'cluster rules evaluation failed'),
    });
    this.reloader = createClusterRulesReloader({
      paths: options.paths,
      timezone: options.timezone,
      rules,
      log,
      onReload: (outcome: ReloadOutcome) => {
        this.reloads[outcome.ok ? 'ok' : 'refused'] += 1;
      },
    });
  }

  /** Loads the rule files; every problem comes back as a `file:line:column: message` line. */
  static async create(options: ClusterAlertingOptions): Promise<ClusterAlertingResult> {
    const { log } = options;
    const loaded = await loadClusterRuleFiles(options.paths, options.timezone);
    if (!loaded.ok) return { ok: false, problems: loaded.issues.map(formatRuleIssue) };
    for (const w of loaded.warnings) log.warn(formatRuleIssue(w));
    const rules = createClusterRules({
      rules: loaded.rules,
      name: options.name,
      subjectPrefix: options.subjectPrefix,
      host: options.host,
    });
    const alerting = new ClusterAlerting(options, rules);
    alerting.restoreMemory();
    log.info(
      { paths: options.paths, rules: loaded.rules.ruleSet.rules.length, files: loaded.rules.ruleSet.files },
      'cluster rules loaded',
    );
    return { ok: true, alerting };
  }

  /** After every fold and expiry (Folder's onChanges). */
  changes(changes: readonly ViewChange[], now: number): void {
    this.feed.add(changes, now);
  }

  async start(): Promise<void> {
    const { clock } = this.options;
    await this.reloader.start();
    this.timers.push(
      setInterval(() => void this.feed.tick(clock.now()), CLUSTER_TICK_MS),
      setInterval(() => {
        this.saveMemory();
      }, SNAPSHOT_INTERVAL_MS),
    );
    for (const t of this.timers) t.unref();
  }

  /** SIGHUP. */
  reload(reason: string): Promise<ReloadOutcome> {
    return this.reloader.reload(reason);
  }

  /**
   * Evaluates what was handed in and publishes what is queued (until the deadline), then keeps
   * the alert memory. Call it while the NATS connection is still open.
   */
  async stop(deadline: number): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.reloader.stop(deadline);
    await raceDeadline(
      this.feed.idle().then(() => this.outbox.settled()),
      deadline,
    );
    await this.outbox.stop();
    const lost = this.outbox.stats().queued;
    if (lost > 0) this.options.log.warn({ lost }, 'cluster alerts not published before the stop');
    this.saveMemory();
  }

  stats(): ClusterAlertingStats {
    return {
      rules: this.rules.stats(),
      feed: this.feed.stats(),
      outbox: this.outbox.stats(),
      reloads: { ...this.reloads },
    };
  }

  private announce(decisions: readonly ClusterDecision[]): void {
    if (decisions.length === 0) return;
    for (const d of decisions) {
      const n = d.notice;
      this.options.log.info(
        { rule: n.rule.id, key: n.key, severity: n.rule.severity, subject: d.subject },
        `cluster alert ${n.status}: ${n.message}`,
      );
    }
    this.outbox.enqueue(decisions);
  }

  private restoreMemory(): void {
    const { memoryFile: file, log } = this.options;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // the first start
    }
    const snapshot = parseSnapshot(text);
    if (snapshot === null) {
      log.warn({ file }, 'the cluster alert memory is unreadable; starting without it');
      return;
    }
    try {
      const episodes = this.rules.restore(snapshot);
      log.info({ file, episodes }, 'cluster alert memory restored');
    } catch (error) {
      log.warn({ file, err: error }, 'the cluster alert memory could not be restored; starting without it');
    }
  }

  private saveMemory(): void {
    const { memoryFile: file, log } = this.options;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(this.rules.snapshot()));
      renameSync(`${file}.tmp`, file);
    } catch (error) {
      log.warn({ file, err: error }, 'could not write the cluster alert memory');
    }
  }
}

/** The snapshot as this process wrote it; null for anything else (a truncated or edited file). */
export function parseSnapshot(text: string): ClusterRulesSnapshot | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.version !== 1 || !Array.isArray(v.episodes)) return null;
  if (typeof v.fingerprints !== 'object' || v.fingerprints === null || Array.isArray(v.fingerprints))
    return null;
  if (!v.episodes.every(isEpisode)) return null;
  return value as ClusterRulesSnapshot;
}

function isEpisode(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const r = e as Record<string, unknown>;
  const target = r.lastEvent;
  return (
    typeof r.ruleId === 'string' &&
    typeof r.key === 'string' &&
    typeof r.firstEventId === 'string' &&
    ['firingSince', 'lastNotifiedAt', 'notifications', 'lastSeenAt'].every((k) => Number.isFinite(r[k])) &&
    Array.isArray(r.eventIds) &&
    r.eventIds.every((id) => typeof id === 'string') &&
    typeof target === 'object' &&
    target !== null &&
    typeof (target as Record<string, unknown>).key === 'string' &&
    typeof (target as Record<string, unknown>).id === 'string'
  );
}
