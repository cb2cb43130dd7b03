export {
  LIVE_STATE_DEFAULTS,
  LiveState,
  type ApplyOutcome,
  type LiveStateOptions,
  type LiveStateStats,
} from './live-state.js';
export type { KeysEvicted, LiveStateSnapshot, SnapshotPresence, SnapshotStats } from './snapshot.js';
export { MAX_CONNECTIONS_PER_PRESENCE } from './session-table.js';
