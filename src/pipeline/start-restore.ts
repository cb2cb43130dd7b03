/**
 * What a start finds from the last run: the outbox, opened with its recovery report logged, and
 * the live-state snapshot, restored or set aside.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SidecarConfig } from '../config/schema.js';
import { DiskOutbox, type RecoveryReport } from '../publish/outbox/disk-outbox.js';
import type { RecordPriority } from '../publish/outbox.js';
import { LiveState, type LiveStateOptions } from '../state/live-state.js';
import type { SavedState, StateFile } from './state-file.js';

/** The outbox as the last run left it, its recovery logged; a directory it cannot open is a start problem. */
export async function openOutbox(
  dir: string,
  config: Pick<SidecarConfig, 'dataDir' | 'outbox'>,
  clock: Clock,
  log: Logger,
  onFull: (priority: RecordPriority) => void,
): Promise<{ ok: true; outbox: DiskOutbox } | { ok: false; problem: string }> {
  try {
    const { outbox, report } = await DiskOutbox.open({
      dir,
      maxBytes: config.outbox.maxBytes,
      segmentBytes: config.outbox.segmentBytes,
      fsyncIntervalMs: config.outbox.fsyncIntervalMs,
      fsyncRecords: config.outbox.fsyncRecords,
      now: () => clock.now(),
      onFull,
    });
    logRecovery(report, log);
    return { ok: true, outbox };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problem: `dataDir ${config.dataDir}: cannot open the outbox (${reason}); check the path and its permissions`,
    };
  }
}

function logRecovery(report: RecoveryReport, log: Logger): void {
  const { recovered, corrupt, corruptBytes, quarantined, notes } = report;
  if (recovered > 0)
    log.info({ recovered }, `outbox: ${recovered} record(s) from the last run wait for NATS`);
  if (corrupt > 0) {
    log.warn(
      { corrupt, corruptBytes, quarantined },
      `outbox: ${corrupt} corrupt record(s) set aside in quarantine; the rest will be published`,
    );
  }
  for (const note of notes) log.info({ note }, 'outbox recovery');
}

/**
 * The state from the last snapshot, or an empty one. A snapshot that cannot be used is moved
 * aside and logged: the sidecar starts rather than failing on its own file at every start.
 */
export async function restoreState(
  file: StateFile,
  options: LiveStateOptions,
  { clock, log }: { readonly clock: Clock; readonly log: Logger },
): Promise<{ state: LiveState; saved: SavedState | null }> {
  const now = clock.now();
  const { saved, problem, movedTo } = await file.load(now);
  if (problem !== null)
    log.warn({ problem, movedTo }, 'live state snapshot unusable; starting with empty state');
  if (saved === null) return { state: new LiveState(options), saved: null };
  try {
    return { state: LiveState.restore(saved.state, options, now), saved };
  } catch (error) {
    const aside = await file.setAside(now);
    log.warn({ err: error, movedTo: aside }, 'live state snapshot refused; starting with empty state');
    return { state: new LiveState(options), saved: null };
  }
}
