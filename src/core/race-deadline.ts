/**
 * The one way a stop waits for work with a deadline (publishers, the NATS link, the intake,
 * cluster alerting). The work is never cancelled: the caller decides what to do with whatever is
 * still running. The timer is cleared either way, so nothing keeps the process alive after a stop.
 */

/** Waits for `work` until the epoch-ms deadline at the latest. */
export async function raceDeadline(work: Promise<unknown>, deadline: number): Promise<void> {
  const ms = Math.max(0, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work.then(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
