import { userKeyOf } from '../../core/events.js';
import type { AlertData } from '../../contract/data.js';
import type { CloudEvent } from '../../contract/envelope.js';
import { alertEnvelope, alertMessageId } from '../../publish/alert-envelope.js';
import { createSubjects } from '../../contract/subjects.js';
import { AlertTracker, type EpisodeSnapshot } from '../../rules/engine/alert-tracker.js';
import type { AlertNotice } from '../../rules/engine/evaluator.js';
import { factValues, traceOf } from '../../rules/engine/trace.js';
import type { RuleResult } from 'json-rules-engine';
import type { UserRef } from '../../core/events.js';
import type { ViewChange } from '../types.js';

import type { ClusterEngineSlot, ClusterRule, CompiledClusterRules } from './compile.js';
import {
  CLUSTER_TARGET,
  ClusterPass,
  type ClusterTarget,
  type ClusterViewReader,
  targetFields,
} from './facts.js';
import { LoginWindow, type LoginWindowStats } from './login-window.js';

export interface ClusterRulesOptions {
  readonly rules: CompiledClusterRules;
  /**
   * The aggregator's name: alerts carry it as `data.node` and as the CloudEvents source
   * (`sense-sidecar/<name>`, the same envelope as a sidecar's alerts). Node rules never run on
   * it: the view learns this name from the aggregator's own alerts and would call it silent.
   */
  readonly name: string;
  /** `nats.subjectPrefix`, e.g. `sense`. */
  readonly subjectPrefix: string;
  /** The `<host>` of the alert subject and `data.host`. Default `cluster`. */
  readonly host?: string;
  /** Alert episodes (rule, key) remembered; the least recently matched is forgotten and counted. Default 10,000. */
  readonly maxEpisodes?: number;
  /** Users evaluated per onChanges call; more are skipped and counted (a huge batch must not stall the aggregator). Default 10,000. */
  readonly maxUsersPerCall?: number;
  /** Sidecar nodes whose log-ins are counted separately (nodeLogins). Default 1,000. */
  readonly maxLoginNodes?: number;
}

/** One alert notice to publish, ready as it goes on the wire. */
export interface ClusterDecision {
  readonly status: 'firing' | 'resolved';
  /** `<prefix>.alerts.<host>.<severity>.<ruleId>` */
  readonly subject: string;
  /** The CloudEvents id, also the `Nats-Msg-Id` header: the same when this notice is sent again. */
  readonly messageId: string;
  readonly envelope: CloudEvent<AlertData>;
  readonly notice: AlertNotice;
}

export interface ClusterRulesStats {
  readonly rules: number;
  readonly evaluations: Readonly<Record<string, number>>;
  readonly fired: Readonly<Record<string, number>>;
  readonly resolved: Readonly<Record<string, number>>;
  readonly throttled: Readonly<Record<string, number>>;
  readonly episodes: number;
  readonly episodesEvicted: number;
  readonly usersSkipped: number;
  readonly logins: LoginWindowStats;
}

export interface ClusterRulesSnapshot {
  readonly version: 1;
  readonly fingerprints: Readonly<Record<string, string>>;
  readonly episodes: readonly EpisodeSnapshot<ClusterTarget>[];
}

export interface ClusterRules {
  /**
   * After every `view.apply` (and `view.expire`) with what it returned in `changes`: counts
   * the log-ins and evaluates the rules of the users, nodes and cluster the changes touched.
   */
  onChanges(changes: readonly ViewChange[], view: ClusterViewReader, now: number): Promise<ClusterDecision[]>;
  /** Every few seconds: node and cluster rules, and firing user alerts, as time passes. */
  tick(view: ClusterViewReader, now: number): Promise<ClusterDecision[]>;
  /** Swaps in reloaded rules; the alert memory of unchanged rules survives. */
  replace(next: CompiledClusterRules): void;
  readonly rules: CompiledClusterRules;
  stats(): ClusterRulesStats;
  snapshot(): ClusterRulesSnapshot;
  /** Restores the alert memory of rules whose definition is unchanged; returns how many episodes came back. */
  restore(snapshot: ClusterRulesSnapshot): number;
}

export const CLUSTER_RULES_DEFAULTS = {
  host: 'cluster',
  maxEpisodes: 10_000,
  maxUsersPerCall: 10_000,
  maxLoginNodes: 1000,
} as const;

const NO_USER = Object.freeze({ directory: '', id: '' });

function bump(counts: Map<string, number>, id: string): void {
  counts.set(id, (counts.get(id) ?? 0) + 1);
}

/**
 * Cluster rules over the cluster view. Pure apart from json-rules-engine's async run: time is
 * the `now` argument and nothing is published here; the caller publishes the decisions.
 * Calls are queued internally, one evaluation at a time: a json-rules-engine engine is not
 * re-entrant, and the aggregator's message handler and its timer would otherwise overlap.
 */
export function createClusterRules(options: ClusterRulesOptions): ClusterRules {
  const d = CLUSTER_RULES_DEFAULTS;
  const host = options.host ?? d.host;
  const maxUsers = options.maxUsersPerCall ?? d.maxUsersPerCall;
  const subjects = createSubjects(options.subjectPrefix, options.name);
  const tracker = new AlertTracker<ClusterTarget>(options.maxEpisodes ?? d.maxEpisodes);
  let compiled = options.rules;
  const logins = new LoginWindow({
    horizonMs: compiled.longestWindowMs,
    maxNodes: options.maxLoginNodes ?? d.maxLoginNodes,
  });
  const counters = {
    evaluations: new Map<string, number>(),
    fired: new Map<string, number>(),
    resolved: new Map<string, number>(),
    throttled: new Map<string, number>(),
  };
  let usersSkipped = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  const decision = (notice: AlertNotice): ClusterDecision => ({
    status: notice.status,
    subject: subjects.alert(notice.host, notice.rule.severity, notice.rule.id),
    messageId: alertMessageId(notice),
    envelope: alertEnvelope(notice, options.name),
    notice,
  });

  const notice = (
    status: AlertNotice['status'],
    rule: ClusterRule,
    target: ClusterTarget,
    pass: ClusterPass,
    result: RuleResult,
    episode: { alertId: string; notification: number; firingSince: number; eventIds: readonly string[] },
  ): AlertNotice => {
    const conditions = traceOf(result);
    const facts = factValues(conditions);
    const template = compiled.templates.get(rule.id);
    const fields = targetFields(target, pass);
    const message =
      template?.render({ ...fields, rule: rule.id, key: target.id, severity: rule.severity, facts }) ??
      rule.id;
    return {
      status,
      rule,
      key: target.id,
      host,
      user: target.key === 'user' ? target.user : NO_USER,
      at: pass.now,
      message,
      facts,
      conditions,
      ...episode,
    };
  };

  /** Runs the rules of one key for one target and turns the outcome into notices. */
  const evaluate = async (
    slot: ClusterEngineSlot,
    target: ClusterTarget,
    pass: ClusterPass,
    eventId: string | null,
    out: AlertNotice[],
  ): Promise<void> => {
    slot.context.target = target;
    slot.context.pass = pass;
    for (const id of slot.rules.keys()) bump(counters.evaluations, id);
    const { results, failureResults } = await slot.engine.run();
    for (const result of results) {
      const rule = slot.rules.get(result.name);
      if (rule === undefined) continue;
      const outcome = tracker.match(rule, target.id, eventId, target, pass.now);
      if (!outcome.notify) {
        if (outcome.reason === 'throttled') bump(counters.throttled, rule.id);
        continue;
      }
      bump(counters.fired, rule.id);
      out.push(notice('firing', rule, target, pass, result, outcome));
    }
    for (const result of failureResults) {
      const rule = slot.rules.get(result.name);
      if (rule === undefined) continue;
      const outcome = tracker.noMatch(rule, target.id);
      if (outcome === null) continue;
      bump(counters.resolved, rule.id);
      out.push(notice('resolved', rule, target, pass, result, { ...outcome, notification: 0 }));
    }
  };

  /** Targets of the given key with an episode (firing, or within its throttle). */
  const remembered = (key: ClusterTarget['key']): ClusterTarget[] => {
    const seen = new Set<string>();
    const out: ClusterTarget[] = [];
    for (const { event } of tracker.firing(() => true)) {
      if (event.key !== key || seen.has(event.id)) continue;
      seen.add(event.id);
      out.push(event);
    }
    return out;
  };

  const runUsers = async (
    users: ReadonlyMap<string, { target: ClusterTarget; eventId: string | null }>,
    pass: ClusterPass,
    out: AlertNotice[],
  ): Promise<void> => {
    const slot = compiled.slots.get('user');
    if (slot === undefined) return;
    for (const { target, eventId } of users.values()) await evaluate(slot, target, pass, eventId, out);
  };

  const runNodes = async (nodes: Iterable<string>, pass: ClusterPass, out: AlertNotice[]): Promise<void> => {
    const slot = compiled.slots.get('node');
    if (slot === undefined) return;
    for (const node of nodes) {
      if (node === options.name) continue;
      await evaluate(slot, { key: 'node', id: node }, pass, null, out);
    }
  };

  const runCluster = async (pass: ClusterPass, out: AlertNotice[]): Promise<void> => {
    const slot = compiled.slots.get('cluster');
    if (slot !== undefined) await evaluate(slot, CLUSTER_TARGET, pass, null, out);
  };

  const onChanges = async (
    changes: readonly ViewChange[],
    view: ClusterViewReader,
    now: number,
  ): Promise<ClusterDecision[]> => {
    const users = new Map<string, { target: ClusterTarget; eventId: string | null }>();
    const nodes = new Set<string>();
    let touched = false;
    let closed = false;
    /** The user is evaluated in this pass (once, and at most maxUsers users; the rest counted). */
    const consider = (user: UserRef, eventId: string): void => {
      const id = userKeyOf(user);
      if (users.has(id)) return;
      if (users.size >= maxUsers) {
        usersSkipped += 1;
        return;
      }
      users.set(id, { target: { key: 'user', id, user }, eventId });
    };
    for (const change of changes) {
      switch (change.kind) {
        case 'session.opened':
        case 'connection.opened': {
          touched = true;
          nodes.add(change.node);
          if (change.kind === 'session.opened') logins.add(change.node, change.start, now);
          consider(change.user, change.id);
          break;
        }
        case 'session.closed':
        case 'connection.closed': {
          touched = true;
          closed = true;
          // Fewer sessions can make a rule hold (e.g. a ceiling): the closing user is looked at too.
          if (change.user !== undefined) consider(change.user, change.id);
          break;
        }
        case 'session.reopened':
        case 'connection.reopened':
          touched = true;
          closed = true;
          break;
        case 'alert':
          break;
      }
    }
    if (!touched) return [];
    const pass = new ClusterPass(view, logins, now);
    // A close names only its interval, not the user: it can end a firing user alert, so every
    // user with one is looked at again (bounded by maxEpisodes).
    if (closed) {
      for (const target of remembered('user')) {
        if (!users.has(target.id)) users.set(target.id, { target, eventId: null });
      }
    }
    const out: AlertNotice[] = [];
    await runUsers(users, pass, out);
    await runNodes(nodes, pass, out);
    await runCluster(pass, out);
    return out.map(decision);
  };

  const tick = async (view: ClusterViewReader, now: number): Promise<ClusterDecision[]> => {
    const pass = new ClusterPass(view, logins, now);
    const out: AlertNotice[] = [];
    const users = new Map(remembered('user').map((target) => [target.id, { target, eventId: null }]));
    await runUsers(users, pass, out);
    // Every node the view knows, and nodes with an alert that the view has since forgotten
    // (evicted): their facts are gone, so the alert resolves.
    const nodes = new Set(pass.nodes().keys());
    for (const target of remembered('node')) nodes.add(target.id);
    await runNodes(nodes, pass, out);
    await runCluster(pass, out);
    tracker.prune((id) => {
      const rule = compiled.byId.get(id);
      return rule !== undefined && !rule.resolve ? rule.throttleMs : undefined;
    }, now);
    return out.map(decision);
  };

  const record = (counts: Map<string, number>): Record<string, number> => Object.fromEntries(counts);

  return {
    onChanges: (changes, view, now) => serial(() => onChanges(changes, view, now)),
    tick: (view, now) => serial(() => tick(view, now)),
    replace(next) {
      const before = compiled.fingerprints;
      tracker.retain((id) => before.get(id) !== undefined && before.get(id) === next.fingerprints.get(id));
      compiled = next;
      logins.setHorizon(next.longestWindowMs);
    },
    get rules() {
      return compiled;
    },
    stats: () => ({
      rules: compiled.ruleSet.rules.length,
      evaluations: record(counters.evaluations),
      fired: record(counters.fired),
      resolved: record(counters.resolved),
      throttled: record(counters.throttled),
      episodes: tracker.size,
      episodesEvicted: tracker.evicted,
      usersSkipped,
      logins: logins.stats(),
    }),
    snapshot: () => ({
      version: 1,
      fingerprints: Object.fromEntries(compiled.fingerprints),
      episodes: tracker.snapshot(),
    }),
    restore: (snapshot) =>
      tracker.restore(snapshot.episodes, (id) => {
        const before = snapshot.fingerprints[id];
        return before !== undefined && before === compiled.fingerprints.get(id);
      }),
  };
}
