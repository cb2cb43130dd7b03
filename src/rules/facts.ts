import type { SidecarEvent, SidecarEventKind } from '../core/events.js';

/**
 * What live state answers for rules. Implemented by `LiveState` (src/state); pure: every
 * time-dependent answer takes `now`. `event` is the event being evaluated: `per: user` means
 * that event's user (on any host), `per: host` its host, `per: app` its app (0 when it has none).
 */
export interface StateFacts {
  activeSessions(per: 'user' | 'host', event: SidecarEvent): number;
  activeConnections(per: 'user' | 'app' | 'host', event: SidecarEvent): number;
  /** Events in the last `windowMs` (bucketed: counts whole buckets overlapping the window). */
  eventCount(
    query: {
      readonly kind?: SidecarEventKind;
      readonly per?: 'user' | 'host' | 'app';
      readonly windowMs: number;
    },
    event: SidecarEvent,
    now: number,
  ): number;
  /** Distinct users with at least one event (of `kind`, if given) in the last `windowMs`. */
  distinctUsers(query: { readonly kind?: SidecarEventKind; readonly windowMs: number }, now: number): number;
}
