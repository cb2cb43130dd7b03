export { bucketBounds, MAX_BUCKETS, type BucketUnit } from './buckets.js';
export {
  CLUSTER_VIEW_DEFAULTS,
  ClusterView,
  type AppCount,
  type ApplyOutcome,
  type ApplyResult,
  type ClusterViewOptions,
  type ConnectionEntry,
  type ConnectionFilter,
  type HostCount,
  type NodeInfo,
  type SilentReason,
  type Totals,
  type UserNow,
  type ViewStats,
} from './cluster-view.js';
export {
  HistoryStore,
  SCHEMA_VERSION,
  type HistoryStoreOptions,
  type RecordResult,
} from './history-store.js';
export {
  decodeInput,
  nodeOfSource,
  toAggregateInput,
  type AggregateInput,
  type InvalidReason,
  type StatusSummary,
} from './input.js';
export type { AddOutcome } from './ledger.js';
export {
  answerSessions,
  parseIsoTime,
  parseSessionsQuery,
  type AnswerResult,
  type ParseResult,
  type SessionsBody,
  type SessionsQuery,
} from './sessions-query.js';
export * from './types.js';
