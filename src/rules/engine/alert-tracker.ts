import { createHash } from 'node:crypto';
import type { SidecarEvent } from '../../core/events.js';
import type { Rule } from '../types.js';

/** How many triggering event ids an alert carries (the most recent ones). */
const MAX_EVENT_IDS = 20;

/** What the tracker needs of a rule (sidecar and cluster rules alike). */
export type TrackedRule = Pick<Rule<string>, 'id' | 'resolve' | 'throttleMs'>;

/**
 * An episode as saved in the state snapshot (plain JSON). `E` is what the rule was last matched
 * on, kept to re-evaluate it as time passes: the sidecar's event, or a cluster rule's subject.
 */
export interface EpisodeSnapshot<E = SidecarEvent> {
  readonly ruleId: string;
  readonly key: string;
  readonly firingSince: number;
  readonly firstEventId: string;
  readonly lastNotifiedAt: number;
  readonly notifications: number;
  readonly eventIds: readonly string[];
  readonly lastEvent: E;
  readonly lastSeenAt: number;
}

interface Episode<E> {
  readonly ruleId: string;
  readonly key: string;
  readonly firingSince: number;
  readonly firstEventId: string;
  lastNotifiedAt: number;
  notifications: number;
  eventIds: string[];
  /** The last event that matched, to re-evaluate the rule later as time passes. */
  lastEvent: E;
  lastSeenAt: number;
}

export type MatchOutcome =
  | { readonly notify: false; readonly reason: 'throttled' | 'already-firing' }
  | {
      readonly notify: true;
      readonly alertId: string;
      readonly firingSince: number;
      readonly notification: number;
      readonly eventIds: readonly string[];
    };

export interface ResolveOutcome {
  readonly alertId: string;
  readonly firingSince: number;
  readonly eventIds: readonly string[];
}

/**
 * Throttle and resolve memory per (rule, key). Pure: time is an argument.
 *
 * An episode runs from the first match until it resolves (resolve rules) or, for rules without
 * resolve, until the throttle has passed (the next match starts a new episode). The alert id is
 * derived from rule, key and episode start, so a re-sent notification is the same alert.
 * Bounded: past `maxEpisodes`, the least recently matched episode is forgotten and counted.
 */
export class AlertTracker<E = SidecarEvent> {
  private readonly episodes = new Map<string, Episode<E>>();
  evicted = 0;

  constructor(private readonly maxEpisodes: number) {}

  get size(): number {
    return this.episodes.size;
  }

  match(rule: TrackedRule, key: string, eventId: string | null, event: E, now: number): MatchOutcome {
    const slot = slotOf(rule.id, key);
    let episode = this.episodes.get(slot);
    if (episode !== undefined && !rule.resolve && throttlePassed(episode, rule, now)) {
      this.episodes.delete(slot);
      episode = undefined;
    }
    if (episode === undefined) {
      episode = {
        ruleId: rule.id,
        key,
        firingSince: now,
        firstEventId: eventId ?? '',
        lastNotifiedAt: now,
        notifications: 1,
        eventIds: eventId === null ? [] : [eventId],
        lastEvent: event,
        lastSeenAt: now,
      };
      this.remember(slot, episode);
      return this.notice(episode);
    }
    // Refresh recency: Map order is insertion order, so re-insert to keep LRU order.
    this.episodes.delete(slot);
    this.episodes.set(slot, episode);
    episode.lastEvent = event;
    episode.lastSeenAt = now;
    if (eventId !== null) {
      episode.eventIds.push(eventId);
      if (episode.eventIds.length > MAX_EVENT_IDS) episode.eventIds.shift();
    }
    if (rule.throttleMs > 0 && throttlePassed(episode, rule, now)) {
      episode.lastNotifiedAt = now;
      episode.notifications++;
      return this.notice(episode);
    }
    return { notify: false, reason: rule.throttleMs > 0 ? 'throttled' : 'already-firing' };
  }

  isFiring(ruleId: string, key: string): boolean {
    return this.episodes.has(slotOf(ruleId, key));
  }

  /** The condition no longer holds for the key: a firing resolve rule resolves. */
  noMatch(rule: TrackedRule, key: string): ResolveOutcome | null {
    if (!rule.resolve) return null;
    const slot = slotOf(rule.id, key);
    const episode = this.episodes.get(slot);
    if (episode === undefined) return null;
    this.episodes.delete(slot);
    return { alertId: alertIdOf(episode), firingSince: episode.firingSince, eventIds: [...episode.eventIds] };
  }

  /** Episodes of resolve rules that are firing, for re-evaluation as time passes. */
  firing(isResolveRule: (ruleId: string) => boolean): { ruleId: string; key: string; event: E }[] {
    const out: { ruleId: string; key: string; event: E }[] = [];
    for (const episode of this.episodes.values()) {
      if (isResolveRule(episode.ruleId))
        out.push({ ruleId: episode.ruleId, key: episode.key, event: episode.lastEvent });
    }
    return out;
  }

  /** After a reload: keep the memory of rules that did not change, forget the rest. */
  retain(keep: (ruleId: string) => boolean): void {
    for (const [slot, episode] of this.episodes) if (!keep(episode.ruleId)) this.episodes.delete(slot);
  }

  /** Non-resolve episodes whose throttle has passed hold no information any more. */
  prune(throttleOf: (ruleId: string) => number | undefined, now: number): void {
    for (const [slot, episode] of this.episodes) {
      const throttle = throttleOf(episode.ruleId);
      if (throttle !== undefined && now - episode.lastNotifiedAt >= throttle) this.episodes.delete(slot);
    }
  }

  /** Oldest first, so a restore re-inserts them in recency order. */
  snapshot(): EpisodeSnapshot<E>[] {
    return [...this.episodes.values()].map((e) => ({ ...e, eventIds: [...e.eventIds] }));
  }

  /** Adds saved episodes; `keep` filters out those of rules that are gone or changed. */
  restore(episodes: readonly EpisodeSnapshot<E>[], keep: (ruleId: string) => boolean): number {
    let restored = 0;
    for (const e of episodes) {
      if (!keep(e.ruleId)) continue;
      this.remember(slotOf(e.ruleId, e.key), { ...e, eventIds: [...e.eventIds] });
      restored++;
    }
    return restored;
  }

  private remember(slot: string, episode: Episode<E>): void {
    this.episodes.set(slot, episode);
    while (this.episodes.size > this.maxEpisodes) {
      const oldest = this.episodes.keys().next();
      if (oldest.done === true) break;
      this.episodes.delete(oldest.value);
      this.evicted++;
    }
  }

  private notice(episode: Episode<E>): MatchOutcome {
    return {
      notify: true,
      alertId: alertIdOf(episode),
      firingSince: episode.firingSince,
      notification: episode.notifications,
      eventIds: [...episode.eventIds],
    };
  }
}

/** A clock stepped back (negative elapsed time) counts as passed: better a repeat than silence. */
function throttlePassed(episode: Episode<unknown>, rule: TrackedRule, now: number): boolean {
  const elapsed = now - episode.lastNotifiedAt;
  return elapsed >= rule.throttleMs || elapsed < 0;
}

function slotOf(ruleId: string, key: string): string {
  return `${ruleId}\u0000${key}`;
}

/** Rule, key and episode start; plus the first triggering event, which tells apart two episodes begun in one millisecond. */
function alertIdOf(episode: Episode<unknown>): string {
  return createHash('sha256')
    .update(`${episode.ruleId}\u0000${episode.key}\u0000${episode.firingSince}\u0000${episode.firstEventId}`)
    .digest('hex')
    .slice(0, 32);
}
