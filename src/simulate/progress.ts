import { systemClock, type Clock } from '../core/clock.js';

export interface ProgressState {
  done: number;
  total: number;
  elapsedMs: number;
}

/** Rounds and inserts thousands separators; fixed, so output does not depend on the machine's locale. */
export function groupDigits(n: number): string {
  const rounded = Math.round(n);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${digits}` : digits;
}

/** `4s`, `1m05s`, `2h03m`: short enough for a status line, precise enough for a wait. */
export function formatEta(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * `[#######.....]  42% 4200/10000  3,512/s  ETA 2s`. `width` is the number of cells between the
 * brackets. Rate and ETA show `--` until there is something to measure.
 */
export function renderProgressBar(state: ProgressState & { width: number }): string {
  const { done, total, elapsedMs, width } = state;
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.floor(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const perSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const rate = perSecond > 0 ? `${groupDigits(perSecond)}/s` : '--/s';
  let eta: string;
  if (done >= total) eta = '0s';
  else if (perSecond > 0) eta = formatEta(((total - done) / perSecond) * 1000);
  else eta = '--';
  return `${bar} ${percent} ${done}/${total}  ${rate}  ETA ${eta}`;
}

export interface ProgressWriter {
  update(state: ProgressState): void;
  /** Draws the final state and ends the line; later calls do nothing. */
  finish(state: ProgressState): void;
}

export interface ProgressWriterOptions {
  width?: number;
  /** Least time between two redraws on a TTY (default 100 ms, i.e. at most 10 per second). */
  minIntervalMs?: number;
  clock?: Clock;
}

/**
 * On a TTY the bar redraws in place (`\r` plus erase-to-end-of-line, so a shorter line leaves
 * no remnants), throttled so that a fast run does not spend its time writing to the terminal.
 * Anywhere else (a pipe, a CI log) redraws would only fill the log, so only the final line is
 * written.
 */
export function createProgressWriter(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  options: ProgressWriterOptions = {},
): ProgressWriter {
  const width = options.width ?? 30;
  const minIntervalMs = options.minIntervalMs ?? 100;
  const clock = options.clock ?? systemClock;
  const tty = stream.isTTY === true;
  let lastDrawAt = -Infinity;
  let finished = false;
  const line = (state: ProgressState): string => renderProgressBar({ ...state, width });
  return {
    update(state) {
      if (!tty || finished) return;
      const now = clock.now();
      if (now - lastDrawAt < minIntervalMs) return;
      lastDrawAt = now;
      stream.write(`\r${line(state)}\x1b[K`);
    },
    finish(state) {
      if (finished) return;
      finished = true;
      stream.write(tty ? `\r${line(state)}\x1b[K\n` : `${line(state)}\n`);
    },
  };
}
