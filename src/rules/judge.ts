import type { SessionExpired, UserEvent } from '../core/events.js';
import type { LiveState } from '../state/live-state.js';
import type { AlertNotice, RuleEvaluator } from './engine/evaluator.js';

export interface EventJudgement {
  /** The drop rule that matched: the event is neither published nor counted in state. */
  readonly droppedBy: string | null;
  readonly notices: readonly AlertNotice[];
}

export interface TickJudgement {
  /** Sessions expired since the last tick, each with its id, to publish like events. */
  readonly expired: readonly { readonly event: SessionExpired; readonly id: string }[];
  readonly notices: readonly AlertNotice[];
}

/**
 * The order of judgement, shared by the running sidecar and `rules test` so both behave alike:
 * drop rules first (a dropped event never reaches state), then state, then alert rules against
 * the state that includes the event. `tick` expires silent sessions and re-checks firing
 * alerts as time passes. Calls must not overlap (see RuleEvaluator).
 */
export class Judge {
  constructor(
    readonly state: LiveState,
    readonly evaluator: RuleEvaluator,
  ) {}

  async event(event: UserEvent, eventId: string, now: number): Promise<EventJudgement> {
    const droppedBy = await this.evaluator.drop(event, now);
    if (droppedBy !== null) return { droppedBy, notices: [] };
    this.state.apply(event, now);
    return { droppedBy: null, notices: await this.evaluator.alerts(event, eventId, now) };
  }

  async tick(now: number, nextId: () => string): Promise<TickJudgement> {
    const expired: { event: SessionExpired; id: string }[] = [];
    const notices: AlertNotice[] = [];
    for (const event of this.state.expire(now)) {
      if ((await this.evaluator.drop(event, now)) !== null) continue;
      const id = nextId();
      expired.push({ event, id });
      notices.push(...(await this.evaluator.alerts(event, id, now)));
    }
    notices.push(...(await this.evaluator.recheck(now)));
    return { expired, notices };
  }
}
