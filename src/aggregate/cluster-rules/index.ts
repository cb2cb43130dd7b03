/**
 * Cluster rules: rules in the sidecar's file format (marked `scope: cluster`), evaluated by the
 * aggregator on the cluster view, publishing alerts shaped exactly like a sidecar's.
 *
 * ## Wiring (the aggregator's composition root)
 *
 * ```ts
 * import { createClusterRules, createClusterRulesReloader, loadClusterRuleFiles } from './aggregate/cluster-rules/index.js';
 *
 * // 1. At start: load. On errors print each issue with formatRuleIssue (file:line:column: message) and exit 2.
 * const loaded = await loadClusterRuleFiles(paths, timezone);   // paths default DEFAULT_CLUSTER_RULES_PATHS
 * if (!loaded.ok) { for (const i of loaded.issues) log.error(formatRuleIssue(i)); exit(2); }
 * for (const w of loaded.warnings) log.warn(formatRuleIssue(w));
 *
 * // 2. One instance per aggregator process.
 * const clusterRules = createClusterRules({ rules: loaded.rules, name: aggregatorName, subjectPrefix: 'sense' });
 *
 * // 3. After every view.apply(msg, now) and view.expire(now), with what it returned:
 * const result = view.apply(input, now);
 * publishAll(await clusterRules.onChanges(result.changes, view, now));
 *
 * // 4. On a timer (every 5 s; the rules' resolution in time is this interval):
 * publishAll(await clusterRules.tick(view, now));
 *
 * // 5. Hot reload (a Lifecycle: start() / stop(deadline); reload('SIGHUP') on SIGHUP):
 * const reloader = createClusterRulesReloader({ paths, timezone, rules: clusterRules, log });
 *
 * // Publishing a decision (same as a sidecar's alert):
 * function publishAll(decisions: readonly ClusterDecision[]) {
 *   for (const d of decisions) {
 *     // subject: `<prefix>.alerts.cluster.<severity>.<ruleId>`
 *     // header Nats-Msg-Id: d.messageId (= d.envelope.id, stable when the notice is re-sent)
 *     // payload: JSON.stringify(d.envelope) (CloudEvents 1.0, type sense.alert.firing / sense.alert.resolved)
 *     js.publish(d.subject, JSON.stringify(d.envelope), { msgID: d.messageId });
 *   }
 * }
 * ```
 *
 * Signatures:
 * - `loadClusterRuleFiles(paths: readonly string[], timezone: string): Promise<LoadedClusterRules>`
 * - `createClusterRules(options: ClusterRulesOptions): ClusterRules`
 * - `ClusterRules.onChanges(changes: readonly ViewChange[], view: ClusterViewReader, now: number): Promise<ClusterDecision[]>`
 * - `ClusterRules.tick(view: ClusterViewReader, now: number): Promise<ClusterDecision[]>`
 * - `ClusterRules.replace(next: CompiledClusterRules): void` (the reloader calls it)
 * - `ClusterRules.stats(): ClusterRulesStats` (per-rule evaluations/fired/resolved/throttled, for /metrics)
 * - `ClusterRules.snapshot() / restore(snapshot)`: the alert memory as JSON, to survive a restart
 *
 * Calls may be made without awaiting the previous one: they are queued and run one at a time
 * (json-rules-engine is not re-entrant). `view` is read when the call runs, `now` is the
 * aggregator's clock. Nothing here publishes, logs or reads a clock.
 *
 * The aggregator's own alerts come back to it on `<prefix>.alerts.>`; the view records them
 * under the aggregator's name as a node, and node rules skip that name (`options.name`).
 *
 * ## Evaluation model
 *
 * A rule's `key` says what it is evaluated per, and is its alert key (throttle and resolve per
 * key, as on the sidecar):
 * - `user`: for each user named by a `session.opened`/`connection.opened` change; when a batch
 *   closes or reopens something (closes name no user), also every user with a remembered alert;
 *   on each tick, every user with a remembered alert. Alert key: `dir\id` in lower case.
 * - `node`: for each sidecar node named by an opened change, and for every node on each tick
 *   (silence is a matter of time). Alert key: the node's name.
 * - `cluster`: once per call that changed sessions or connections, and on each tick. Alert key: `cluster`.
 * Log-ins (`clusterLogins`, `nodeLogins`) are counted from `session.opened` changes by the
 * session's start time, in 10 s buckets (see login-window.ts).
 */
export {
  CLUSTER_RULES_DEFAULTS,
  createClusterRules,
  type ClusterDecision,
  type ClusterRules,
  type ClusterRulesOptions,
  type ClusterRulesSnapshot,
  type ClusterRulesStats,
} from './cluster-rules.js';
export { compileClusterRules, type ClusterRule, type CompiledClusterRules } from './compile.js';
export { type ClusterTarget, type ClusterViewReader } from './facts.js';
export {
  DEFAULT_CLUSTER_RULES_PATHS,
  createClusterRulesReloader,
  loadClusterRuleFiles,
  loadClusterRuleTexts,
  type ClusterRulesReloaderOptions,
  type LoadedClusterRules,
} from './load.js';
export { LoginWindow, type LoginWindowOptions, type LoginWindowStats } from './login-window.js';
