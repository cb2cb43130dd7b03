/**
 * The two dialects of the rule format, as the loader is parameterised with them: the same file
 * syntax, sections, conditions, operators and checks, but each with its own facts, keys and
 * message names. The sidecar's is the default everywhere; the aggregator passes the cluster's.
 */
import { SIDECAR_TEMPLATE_VOCABULARY, type TemplateVocabulary } from '../template.js';
import { RULE_KEYS, type RuleKey } from '../types.js';
import { FACTS, type FactSpec, type RuleScope } from './catalog.js';
import {
  CLUSTER_FACTS,
  CLUSTER_FACT_NAMES,
  CLUSTER_RULE_KEYS,
  CLUSTER_TEMPLATE_FIELDS,
  type ClusterRuleKey,
} from './cluster-catalog.js';

export interface RuleCatalog<K extends string> {
  readonly scope: RuleScope;
  readonly facts: readonly FactSpec[];
  /** Values of a rule's `key:`, and the one a rule without `key:` gets. */
  readonly keys: readonly K[];
  readonly defaultKey: K;
  /** Rule fields this dialect refuses, each with what to write instead. */
  readonly refusedFields: Readonly<Record<string, string>>;
  readonly template: TemplateVocabulary;
  /** Per key, the message fields that have a value (absent: every field, always). */
  readonly keyFields?: Readonly<Record<string, readonly string[]>>;
  /** The message of a rule that has none. */
  defaultMessage(key: K): string;
}

export const SIDECAR_CATALOG: RuleCatalog<RuleKey> = {
  scope: 'sidecar',
  facts: FACTS,
  keys: RULE_KEYS,
  defaultKey: 'none',
  refusedFields: {},
  template: SIDECAR_TEMPLATE_VOCABULARY,
  defaultMessage: (key) =>
    key === 'none'
      ? '{{rule}}: {{kind}} by {{user}} on {{host}}'
      : '{{rule}} for {{key}}: {{kind}} by {{user}} on {{host}}',
};

export const CLUSTER_CATALOG: RuleCatalog<ClusterRuleKey> = {
  scope: 'cluster',
  facts: CLUSTER_FACTS,
  keys: CLUSTER_RULE_KEYS,
  defaultKey: 'cluster',
  refusedFields: {
    on: 'cluster rules are not run on event kinds: key: user runs on each change of a user, key: node and key: cluster as the view changes and time passes; remove on',
    action: 'cluster rules only alert (events are dropped by the sidecars, before they count); remove action',
  },
  template: { fieldsAre: 'a cluster field', fields: CLUSTER_TEMPLATE_FIELDS, facts: CLUSTER_FACT_NAMES },
  keyFields: {
    user: ['user', 'hosts', 'rule', 'key', 'severity'],
    node: ['node', 'hosts', 'reason', 'rule', 'key', 'severity'],
    cluster: ['rule', 'key', 'severity'],
  },
  defaultMessage: (key) => (key === 'cluster' ? '{{rule}} in the cluster' : '{{rule}} for {{key}}'),
};
