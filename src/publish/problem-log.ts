import type { Logger } from '../core/logger.js';

/**
 * Warnings about a lasting problem (a stream that cannot be created, JetStream that cannot be
 * checked), keyed by what they are about. The same message under the same key is repeated at
 * most every PROBLEM_LOG_INTERVAL_MS, so a problem retried every few seconds does not flood the
 * log; a changed message, or one after `clear`, is logged at once. One per publisher.
 */

/** A failure or stream problem is logged again at most this often while it lasts. */
export const PROBLEM_LOG_INTERVAL_MS = 30_000;

export class ProblemLog {
  private readonly logged = new Map<string, { message: string; at: number }>();

  constructor(private readonly log: Logger) {}

  warn(key: string, message: string): void {
    const now = Date.now();
    const last = this.logged.get(key);
    if (last?.message === message && now - last.at < PROBLEM_LOG_INTERVAL_MS) return;
    this.logged.set(key, { message, at: now });
    this.log.warn(message);
  }

  /** The problem under `key` is over: if it comes back, it is logged at once. */
  clear(key: string): void {
    this.logged.delete(key);
  }
}
