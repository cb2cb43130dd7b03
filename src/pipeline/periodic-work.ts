/** One duty that runs every `everyMs` milliseconds. */
export interface PeriodicDuty {
  readonly everyMs: number;
  readonly run: () => void;
}

/**
 * Starts each duty on its own interval and returns the function that stops them all. The
 * intervals are unref'd: a duty never keeps the process alive on its own. Every duty is a
 * wake-up of an idle node, so each one here should earn its interval.
 */
export function startPeriodicWork(duties: readonly PeriodicDuty[]): () => void {
  const timers = duties.map(({ everyMs, run }) => setInterval(run, everyMs).unref());
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
