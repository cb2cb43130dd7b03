import type { StageCounters } from '../core/counters.js';
import { totalRejected } from '../core/counters.js';
import type { NatsState } from '../publish/publisher.js';
import type { RuleCounters } from '../rules/engine/evaluator.js';
import type { LiveStateStats } from '../state/live-state.js';

export interface RulesStatus {
  readonly rules: number;
  readonly files: readonly string[];
  readonly lastReload: {
    readonly at: string;
    readonly ok: boolean;
    readonly errors: readonly string[];
  } | null;
}

/** Per rule id: evaluations, matches, drops, alerts fired and resolved, notices held back by throttle. */
export type RuleCounts = Record<
  string,
  {
    evaluations: number;
    matches: number;
    dropped: number;
    fired: number;
    resolved: number;
    throttled: number;
  }
>;

/** `data` of a `sense.status` message on `<prefix>.status.<node>`: the counters since start. */
export interface StatusData {
  readonly node: string;
  readonly version: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly received: number;
  readonly decoded: number;
  readonly rejected: number;
  readonly rejectedByReason: StageCounters['rejected'];
  readonly published: number;
  readonly publishErrors: number;
  readonly dropped: StageCounters['dropped'];
  /** Datagrams the kernel dropped for this socket (buffer full); null where the OS does not say. */
  readonly udpReceiveErrors: number | null;
  readonly intakeDepth: number;
  readonly outboxDepth: number;
  readonly nats: NatsState;
  readonly state: LiveStateStats;
  readonly rules: RulesStatus & { readonly counts: RuleCounts };
}

export interface StatusInputs {
  readonly node: string;
  readonly version: string;
  readonly startedAt: number;
  readonly now: number;
  readonly counters: StageCounters;
  readonly intakeDepth: number;
  readonly outboxDepth: number;
  readonly nats: NatsState;
  readonly state: LiveStateStats;
  readonly rules: RulesStatus;
  readonly ruleCounters: RuleCounters;
}

export function ruleCounts(counters: RuleCounters): RuleCounts {
  const out: RuleCounts = {};
  const ids = new Set([...counters.evaluations.keys(), ...counters.dropped.keys()]);
  for (const id of ids) {
    out[id] = {
      evaluations: counters.evaluations.get(id) ?? 0,
      matches: counters.matches.get(id) ?? 0,
      dropped: counters.dropped.get(id) ?? 0,
      fired: counters.fired.get(id) ?? 0,
      resolved: counters.resolved.get(id) ?? 0,
      throttled: counters.throttled.get(id) ?? 0,
    };
  }
  return out;
}

export function buildStatus(input: StatusInputs): StatusData {
  const { counters } = input;
  return {
    node: input.node,
    version: input.version,
    startedAt: new Date(input.startedAt).toISOString(),
    uptimeSeconds: Math.round((input.now - input.startedAt) / 1000),
    received: counters.received,
    decoded: counters.decoded,
    rejected: totalRejected(counters),
    rejectedByReason: { ...counters.rejected },
    published: counters.published,
    publishErrors: counters.publishErrors,
    dropped: { ...counters.dropped },
    udpReceiveErrors: counters.udpReceiveErrors,
    intakeDepth: input.intakeDepth,
    outboxDepth: input.outboxDepth,
    nats: input.nats,
    state: input.state,
    rules: { ...input.rules, counts: ruleCounts(input.ruleCounters) },
  };
}
