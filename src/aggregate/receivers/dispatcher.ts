import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { DeliveryStore } from './delivery-store.js';
import { nextAttempt } from './retry-schedule.js';
import type { Redactor } from './secrets.js';
import type { Sender } from './senders.js';

/**
 * The sending side of alert delivery: one loop per receiver that sends the oldest pending
 * notice of its queue, and only that one, until it is sent or given up. So a receiver gets an
 * alert's notices in the order they were queued (firing before resolved) whatever fails in
 * between, and a receiver that is down holds up nobody else.
 *
 * A notice is marked sent only after the receiver accepted it. If the process dies in between,
 * the notice is still pending and is sent again at the next start: at most that one notice per
 * receiver can arrive twice (webhook bodies and e-mails carry a stable id for that case).
 */

export interface SendCounters {
  sent: number;
  failedAttempts: number;
  givenUp: number;
}

export interface ReceiverHealth {
  readonly name: string;
  readonly type: string;
  /** ok: the last attempt succeeded or none was needed; retrying: the oldest notice failed and waits. */
  readonly state: 'ok' | 'retrying';
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  readonly lastSentAt: number | null;
}

/** Wait for a wake-up or a timeout, whichever comes first; wake-ups before the wait count. */
class Wakeable {
  private woken = false;
  private resolve: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  wake(): void {
    this.woken = true;
    this.fire();
  }

  private fire(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const r = this.resolve;
    this.resolve = null;
    r?.();
  }

  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolve = () => {
        this.woken = false;
        resolve();
      };
      this.timer = setTimeout(() => this.fire(), Math.max(0, Math.min(ms, 2_147_000_000)));
    });
  }
}

/** How long an idle loop sleeps before looking again anyway (a missed wake-up costs at most this). */
const IDLE_LOOK_MS = 60_000;
/** After the store itself failed (disk full, locked), the loop looks again after this. */
const STORE_ERROR_PAUSE_MS = 5_000;

export class ReceiverLoop {
  readonly counters: SendCounters = { sent: 0, failedAttempts: 0, givenUp: 0 };
  private readonly wakeable = new Wakeable();
  private stopped = false;
  private running: Promise<void> | null = null;
  private retrying = false;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastSentAt: number | null = null;

  constructor(
    private readonly sender: Sender,
    private readonly store: DeliveryStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly redactor: Redactor,
    private readonly random: () => number = Math.random,
  ) {}

  get name(): string {
    return this.sender.spec.name;
  }

  start(): void {
    this.running ??= this.loop();
  }

  wake(): void {
    this.wakeable.wake();
  }

  /**
   * Stops after the attempt in flight, or at `deadline` (epoch ms) without waiting for it: the
   * notice stays pending and is sent after the next start.
   */
  async stop(deadline: number): Promise<void> {
    this.stopped = true;
    this.wakeable.wake();
    if (this.running === null) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      }),
    ]);
    clearTimeout(timer);
  }

  health(): ReceiverHealth {
    return {
      name: this.name,
      type: this.sender.spec.type,
      state: this.retrying ? 'retrying' : 'ok',
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastSentAt: this.lastSentAt,
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const pause = await this.step();
        if (pause > 0) await this.wakeable.wait(pause);
      } catch (error) {
        this.log.error(
          {
            receiver: this.name,
            err: this.redactor.scrub(error instanceof Error ? error.message : String(error)),
          },
          'alert delivery: the delivery queue could not be read or updated; trying again',
        );
        await this.wakeable.wait(STORE_ERROR_PAUSE_MS);
      }
    }
  }

  /** One look at the queue; returns how long to wait before the next (0: at once). */
  private async step(): Promise<number> {
    const head = this.store.head(this.name);
    if (head === null) {
      this.retrying = false;
      return IDLE_LOOK_MS;
    }
    const spec = this.sender.spec;
    const now = this.clock.now();
    if (head.nextAt > now) return head.nextAt - now;
    if (now > head.queuedAt + spec.giveUpAfterMs) {
      this.giveUp(head.seq, head.notice.id, now, 'not delivered within giveUpAfter', 0);
      return 0;
    }
    const failure = await this.sender.send(head.notice, now);
    const after = this.clock.now();
    if (failure === null) {
      this.store.markSent(head.seq, after);
      this.counters.sent += 1;
      this.lastSentAt = after;
      if (this.retrying)
        this.log.info({ receiver: this.name }, 'alert delivery: the receiver accepts notices again');
      this.retrying = false;
      return 0;
    }
    this.counters.failedAttempts += 1;
    const reason = this.redactor.scrub(failure.reason);
    this.lastError = reason;
    this.lastErrorAt = after;
    const decision = nextAttempt({
      failure,
      attempts: head.attempts + 1,
      now: after,
      queuedAt: head.queuedAt,
      giveUpAfterMs: spec.giveUpAfterMs,
      random: this.random(),
    });
    if (decision.kind === 'give-up') {
      this.giveUp(head.seq, head.notice.id, after, this.redactor.scrub(decision.reason), 1);
      return 0;
    }
    this.retrying = true;
    this.store.markRetry(head.seq, decision.at, reason);
    this.log.warn(
      {
        receiver: this.name,
        notice: head.notice.id,
        attempt: head.attempts + 1,
        reason,
        retryInMs: decision.at - after,
      },
      'alert delivery failed; trying again',
    );
    return decision.at - after;
  }

  private giveUp(seq: number, notice: string, now: number, reason: string, attempted: 0 | 1): void {
    this.store.markGivenUp(seq, now, reason, attempted);
    this.counters.givenUp += 1;
    this.log.error({ receiver: this.name, notice, reason }, 'alert delivery given up');
  }
}
