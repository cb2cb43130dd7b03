/**
 * Loads the aggregator's configuration: YAML file (optional) + `SENSE_AGGREGATOR_*` environment
 * + defaults → AggregatorConfig, or every issue with its position. Pure, like loadConfig.
 */
import {
  AGGREGATOR_ENV_PREFIX,
  AGGREGATOR_KEY_SPECS,
  AGGREGATOR_KEYS as K,
  type AggregatorConfig,
} from './aggregator-schema.js';
import { formatIssueWithPrefix } from './issues.js';
import { type LoadResult, loadKeys } from './key-reader.js';
import { keyReferences, renderConfigReference } from './reference.js';
import { readNatsSection } from './shared-keys.js';
import type { DefaultContext } from './key-spec.js';
import type { ConfigIssue } from './types.js';

export interface LoadAggregatorConfigInput {
  readonly text?: string | undefined;
  readonly fileName?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default for nats.name and consumer.name. */
  readonly hostname: string;
  /** Default for rules.timezone (the system's zone); default UTC. */
  readonly timezone?: string | undefined;
}

export type AggregatorConfigResult = LoadResult<AggregatorConfig>;

export function loadAggregatorConfig(input: LoadAggregatorConfigInput): AggregatorConfigResult {
  const catalog = { specs: AGGREGATOR_KEY_SPECS, envPrefix: AGGREGATOR_ENV_PREFIX };
  return loadKeys(input, catalog, ({ read }) => {
    const c: DefaultContext = {
      hostname: input.hostname,
      node: input.hostname,
      timezone: input.timezone ?? 'UTC',
    };
    const config: AggregatorConfig = {
      nats: readNatsSection(read, K, c),
      jetstream: {
        enabled: read(K.jetstreamEnabled, c),
        eventsStream: read(K.jetstreamEventsStream, c),
        alertsStream: read(K.jetstreamAlertsStream, c),
      },
      consumer: { name: read(K.consumerName, c) },
      http: {
        host: read(K.httpHost, c),
        port: read(K.httpPort, c),
        maxStreamClients: read(K.httpMaxStreamClients, c),
        tokenFile: read(K.httpTokenFile, c),
        tlsCertFile: read(K.httpTlsCertFile, c),
        tlsKeyFile: read(K.httpTlsKeyFile, c),
      },
      dataDir: read(K.dataDir, c),
      history: { retentionMs: read(K.historyRetention, c) },
      sessions: { idleTimeoutMs: read(K.sessionsIdleTimeout, c) },
      nodes: {
        expected: read(K.nodesExpected, c),
        statusSilentAfterMs: read(K.nodesStatusSilentAfter, c),
        datagramsSilentAfterMs: read(K.nodesDatagramsSilentAfter, c),
      },
      rules: { paths: read(K.rulesPaths, c), timezone: read(K.rulesTimezone, c) },
      alerting: read(K.alerting, c),
      log: { level: read(K.logLevel, c) },
      shutdown: { timeoutMs: read(K.shutdownTimeout, c) },
    };
    return config;
  });
}

/** One issue as the operator reads it, with the aggregator's variable names. */
export function formatAggregatorIssue(issue: ConfigIssue): string {
  return formatIssueWithPrefix(issue, AGGREGATOR_ENV_PREFIX);
}

export const AGGREGATOR_CONFIG_KEYS = keyReferences(AGGREGATOR_KEY_SPECS, AGGREGATOR_ENV_PREFIX);

/** The aggregator's key table (markdown), as the README shows it. */
export function renderAggregatorConfigReference(): string {
  return renderConfigReference(AGGREGATOR_CONFIG_KEYS);
}
