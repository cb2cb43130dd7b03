import type { SidecarEvent, UserRef } from '../../core/events.js';
import { qualifiedUser } from '../../core/events.js';
import type { Rule, RuleKey } from '../types.js';
import { AlertTracker, type EpisodeSnapshot } from './alert-tracker.js';
import type { CompiledRules, EngineSlot } from './compile.js';
import { eventFacts } from './context.js';
import type { RuleResult } from 'json-rules-engine';
import type { ConditionTrace } from '../../contract/data.js';
import { factValues, traceOf } from './trace.js';

export interface AlertNotice {
  readonly status: 'firing' | 'resolved';
  /** Same for every notice of one episode (rule, key, episode start). */
  readonly alertId: string;
  /** 1 for the first firing notice of an episode; repeats after the throttle count up. */
  readonly notification: number;
  /** A sidecar rule, or a cluster rule (whose key is the cluster dialect's). */
  readonly rule: Rule<string>;
  readonly key: string;
  readonly host: string;
  /** The user of the event the notice was decided on (privacy mode hashes it wherever it appears). */
  readonly user: UserRef;
  readonly firingSince: number;
  readonly at: number;
  readonly message: string;
  readonly facts: Readonly<Record<string, unknown>>;
  readonly conditions: readonly ConditionTrace[];
  readonly eventIds: readonly string[];
}

/** Per rule id; read by status and metrics. */
export interface RuleCounters {
  evaluations: Map<string, number>;
  matches: Map<string, number>;
  dropped: Map<string, number>;
  fired: Map<string, number>;
  resolved: Map<string, number>;
  throttled: Map<string, number>;
}

export interface RulesSnapshot {
  readonly version: 1;
  readonly fingerprints: Readonly<Record<string, string>>;
  readonly episodes: readonly EpisodeSnapshot[];
}

export function keyOf(key: RuleKey, event: SidecarEvent): string {
  switch (key) {
    case 'user':
      return qualifiedUser(event.user);
    case 'host':
      return event.host;
    case 'app':
      return event.appId ?? '-';
    case 'none':
      return '*';
  }
}

/** A rule held (with the engine's trace when the engine decided), or did not (null). */
type Holds = { readonly trace: ConditionTrace[] | null } | null;
const COMPILED_MATCH: Holds = { trace: null };

function bump(map: Map<string, number>, id: string): void {
  map.set(id, (map.get(id) ?? 0) + 1);
}

/**
 * Alert episodes (rule × key) remembered for throttle and resolve at most: the sidecar and
 * `rules test` use the same bound, so a test sees the forgetting the sidecar would do.
 */
export const MAX_EPISODES = 100_000;

/**
 * Runs the compiled rules for one event at a time. Callers must not overlap calls: a
 * json-rules-engine Engine is not re-entrant (overlapping runs silently skip rules), so the
 * pipeline awaits each evaluation before the next.
 */
export class RuleEvaluator {
  readonly counters: RuleCounters = {
    evaluations: new Map(),
    matches: new Map(),
    dropped: new Map(),
    fired: new Map(),
    resolved: new Map(),
    throttled: new Map(),
  };
  private readonly tracker: AlertTracker;

  constructor(
    private compiled: CompiledRules,
    options: { readonly maxEpisodes: number },
  ) {
    this.tracker = new AlertTracker(options.maxEpisodes);
  }

  get rules(): CompiledRules {
    return this.compiled;
  }

  get episodesEvicted(): number {
    return this.tracker.evicted;
  }

  /** Throttle and resolve memory, with the fingerprint of each rule it belongs to. */
  snapshot(): RulesSnapshot {
    return {
      version: 1,
      fingerprints: Object.fromEntries(this.compiled.fingerprints),
      episodes: this.tracker.snapshot(),
    };
  }

  /** Restores the memory of rules whose definition is unchanged; returns how many episodes came back. */
  restore(snapshot: RulesSnapshot): number {
    const now = this.compiled.fingerprints;
    return this.tracker.restore(snapshot.episodes, (id) => {
      const before = snapshot.fingerprints[id];
      return before !== undefined && before === now.get(id);
    });
  }

  /** Swaps in a new rule set; throttle and resolve memory survive for rules that did not change. */
  replace(next: CompiledRules): void {
    const before = this.compiled.fingerprints;
    this.tracker.retain((id) => before.get(id) !== undefined && before.get(id) === next.fingerprints.get(id));
    this.compiled = next;
  }

  /** The id of the first drop rule (in rule order) that matches, or null. Runs before state sees the event. */
  async drop(event: SidecarEvent, now: number): Promise<string | null> {
    const slot = this.compiled.drop.get(event.kind);
    if (slot === undefined) return null;
    this.prepare(slot, event, now);
    for (const rule of slot.rules.values()) {
      const held = this.holds(slot, rule, event, now);
      if ((held instanceof Promise ? await held : held) === null) continue;
      bump(this.counters.dropped, rule.id);
      return rule.id;
    }
    return null;
  }

  /** Alert rules for an event that state has already applied. */
  async alerts(event: SidecarEvent, eventId: string | null, now: number): Promise<AlertNotice[]> {
    const slot = this.compiled.alert.get(event.kind);
    const notices = slot === undefined ? [] : await this.decide(slot, event, eventId, now, true);
    for (const rule of this.compiled.resolveOnly.get(event.kind) ?? []) {
      if (!this.tracker.isFiring(rule.id, keyOf(rule.key, event))) continue;
      const single = this.compiled.single.get(rule.id);
      if (single !== undefined) notices.push(...(await this.decide(single, event, null, now, false)));
    }
    return notices;
  }

  /**
   * Re-evaluates firing alerts of resolve rules against the current time, so that a condition
   * that stops holding only because time passed (a window emptied, a schedule ended) resolves.
   */
  async recheck(now: number): Promise<AlertNotice[]> {
    const { single, byId } = this.compiled;
    const out: AlertNotice[] = [];
    const resolving = (id: string) => byId.get(id)?.resolve === true && single.has(id);
    for (const { ruleId, event } of this.tracker.firing(resolving)) {
      const slot = single.get(ruleId);
      if (slot !== undefined) out.push(...(await this.decide(slot, event, null, now, false)));
    }
    this.tracker.prune((id) => {
      const rule = this.compiled.byId.get(id);
      return rule !== undefined && !rule.resolve ? rule.throttleMs : undefined;
    }, now);
    return out;
  }

  /**
   * Matches first (in rule order), then resolves, as json-rules-engine reports them. A rule's
   * compiled conditions decide whether it holds; the engine is asked only for what a notice
   * must carry (the facts and thresholds of its conditions), which is rare: a firing episode's
   * further matches and the events of rules that do not match cost no engine run.
   */
  private async decide(
    slot: EngineSlot,
    event: SidecarEvent,
    eventId: string | null,
    now: number,
    mayFire: boolean,
  ): Promise<AlertNotice[]> {
    this.prepare(slot, event, now);
    const notices: AlertNotice[] = [];
    const failed: { rule: Rule; trace: ConditionTrace[] | null }[] = [];
    for (const rule of slot.rules.values()) {
      const held = this.holds(slot, rule, event, now);
      const matched = held instanceof Promise ? await held : held;
      if (matched === null) {
        if (rule.resolve) failed.push({ rule, trace: null });
        continue;
      }
      bump(this.counters.matches, rule.id);
      if (!mayFire || !rule.on.includes(event.kind)) continue;
      const key = keyOf(rule.key, event);
      const outcome = this.tracker.match(rule, key, eventId, event, now);
      if (!outcome.notify) {
        if (outcome.reason === 'throttled') bump(this.counters.throttled, rule.id);
        continue;
      }
      bump(this.counters.fired, rule.id);
      const conditions = matched.trace ?? (await this.explain(rule, event, now));
      notices.push(
        this.notice('firing', rule, key, event, now, conditions, {
          alertId: outcome.alertId,
          notification: outcome.notification,
          firingSince: outcome.firingSince,
          eventIds: outcome.eventIds,
        }),
      );
    }
    for (const { rule, trace } of failed) {
      const key = keyOf(rule.key, event);
      const outcome = this.tracker.noMatch(rule, key);
      if (outcome === null) continue;
      bump(this.counters.resolved, rule.id);
      const conditions = trace ?? (await this.explain(rule, event, now));
      notices.push(
        this.notice('resolved', rule, key, event, now, conditions, { ...outcome, notification: 0 }),
      );
    }
    return notices;
  }

  /**
   * Whether the rule holds for the prepared evaluation: null if not, else with the engine's
   * trace when the engine had to decide (conditions it could not compile), so it is not run twice.
   * Synchronous for compiled rules: the common event costs no promise per rule.
   */
  private holds(slot: EngineSlot, rule: Rule, event: SidecarEvent, now: number): Holds | Promise<Holds> {
    const predicate = slot.predicates.get(rule.id);
    if (predicate !== undefined && predicate !== null) return predicate() ? COMPILED_MATCH : null;
    return this.engineResult(rule, event, now).then((result) =>
      result?.result === true ? { trace: traceOf(result) } : null,
    );
  }

  /** The rule's conditions as json-rules-engine evaluated them: what an alert explains itself with. */
  private async explain(rule: Rule, event: SidecarEvent, now: number): Promise<ConditionTrace[]> {
    const result = await this.engineResult(rule, event, now);
    return result === undefined ? [] : traceOf(result);
  }

  private async engineResult(rule: Rule, event: SidecarEvent, now: number): Promise<RuleResult | undefined> {
    const single = this.compiled.single.get(rule.id);
    if (single === undefined) return undefined;
    single.context.event = event;
    single.context.fields = eventFacts(event);
    single.context.now = now;
    const { results, failureResults } = await single.engine.run();
    return results[0] ?? failureResults[0];
  }

  private prepare(slot: EngineSlot, event: SidecarEvent, now: number): void {
    slot.context.event = event;
    slot.context.fields = eventFacts(event);
    slot.context.now = now;
    for (const id of slot.rules.keys()) bump(this.counters.evaluations, id);
  }

  private notice(
    status: AlertNotice['status'],
    rule: Rule,
    key: string,
    event: SidecarEvent,
    now: number,
    conditions: readonly ConditionTrace[],
    episode: { alertId: string; notification: number; firingSince: number; eventIds: readonly string[] },
  ): AlertNotice {
    const facts = factValues(conditions);
    const template = this.compiled.templates.get(rule.id);
    const message =
      template === undefined
        ? rule.id
        : template.render({ ...eventFacts(event), rule: rule.id, key, severity: rule.severity, facts });
    return {
      status,
      rule,
      key,
      host: event.host,
      user: event.user,
      at: now,
      message,
      facts,
      conditions,
      ...episode,
    };
  }
}
