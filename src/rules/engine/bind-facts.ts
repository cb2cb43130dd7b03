import type { Engine } from 'json-rules-engine';
import { EVENT_FIELD_FACTS } from './context.js';
import { parseDuration } from '../../core/duration.js';
import type { SidecarEventKind } from '../../core/events.js';
import type { ZoneClock } from '../schedule.js';
import type { Schedule } from '../types.js';
import type { EvaluationContext } from './context.js';
import { createTimeFacts } from './time-facts.js';

export type FactParams = Readonly<Record<string, unknown>>;
/** Fact name → how to compute it from its params (and the evaluation context it closes over). */
export type FactTable = ReadonlyMap<string, (params: FactParams) => unknown>;

/**
 * Registers the facts on an engine. No fact result caching: json-rules-engine would hash the
 * params of every call to build a cache key, which costs more than these O(1) reads of live state.
 */
export function bindFacts(engine: Engine, facts: FactTable): void {
  for (const [name, compute] of facts)
    engine.addFact(name, (params: FactParams) => compute(params), { cache: false });
}

type Params = FactParams;

/**
 * The facts rules read: event fields and live state, through the context of the evaluation
 * under way. The loader has validated every params object, so these only read; an unexpected
 * shape yields undefined, which a condition treats as "no match". The same table serves
 * json-rules-engine and the compiled predicates (predicate.ts), so both see the same values.
 */
export function createFactTable(
  context: () => EvaluationContext,
  schedules: ReadonlyMap<string, Schedule>,
  zones: ZoneClock,
  defaultTimezone: string,
): FactTable {
  const table = new Map<string, (params: Params) => unknown>();
  const windows = new Map<string, number>();
  const windowMs = (text: unknown): number => {
    const key = String(text);
    let ms = windows.get(key);
    if (ms === undefined) {
      ms = parseDuration(key) ?? 0;
      windows.set(key, ms);
    }
    return ms;
  };
  const kindOf = (params: Params): SidecarEventKind | undefined =>
    typeof params['kind'] === 'string' ? (params['kind'] as SidecarEventKind) : undefined;
  const fact = (name: string, compute: (params: Params) => unknown): void => {
    table.set(name, compute);
  };

  // The event's own fields are engine facts too, read from the context, so that a run needs no
  // runtime facts (each of which json-rules-engine would wrap in a new Fact object).
  for (const name of EVENT_FIELD_FACTS) fact(name, () => context().fields[name]);

  fact('activeSessions', (params: Params) => {
    const { state, event } = context();
    return state.activeSessions(params['per'] === 'host' ? 'host' : 'user', event);
  });
  fact('activeConnections', (params: Params) => {
    const { state, event } = context();
    const per = params['per'] === 'app' || params['per'] === 'host' ? params['per'] : 'user';
    return state.activeConnections(per, event);
  });
  fact('eventCount', (params: Params) => {
    const { state, event, now } = context();
    const per = params['per'];
    const kind = kindOf(params);
    return state.eventCount(
      {
        ...(kind === undefined ? {} : { kind }),
        ...(per === 'user' || per === 'host' || per === 'app' ? { per } : {}),
        windowMs: windowMs(params['window']),
      },
      event,
      now,
    );
  });
  fact('distinctUsers', (params: Params) => {
    const { state, now } = context();
    const kind = kindOf(params);
    return state.distinctUsers(
      { ...(kind === undefined ? {} : { kind }), windowMs: windowMs(params['window']) },
      now,
    );
  });
  for (const [name, compute] of createTimeFacts(() => context().now, schedules, zones, defaultTimezone))
    fact(name, compute);
  return table;
}
