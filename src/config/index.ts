/** The sidecar's configuration: load, explain, reference. */
export { createSourceFilter } from './address-filter.js';
export { ENV_PREFIX, envNameFor } from './env-names.js';
export { formatIssue } from './issues.js';
export { type LoadConfigInput, loadConfig } from './load.js';
export { CONFIG_KEYS, type ConfigKeyReference, renderConfigReference } from './reference.js';
export { formatSize, parseSize } from './sizes.js';
export {
  type ConfigIssue,
  type ConfigResult,
  LOG_LEVELS,
  type LogLevel,
  type SidecarConfig,
} from './types.js';
