/**
 * Rule files (as text) → one validated RuleSet, or every problem found. Pure: the caller reads
 * the files (see files.ts), so tests pass inline strings.
 *
 * Two passes. First each file's `timezone`, `lists` and `schedules` are read into one shared
 * namespace; then the rules are checked against the whole of it, so a rule may use a list
 * defined in any file (files are loaded in name order, which must not decide what is visible).
 */
import { readYamlSource } from '../../config/yaml-source.js';
import type { Rule, RuleIssue, RuleKey, RuleLoadResult, Schedule } from '../types.js';
import { RULE_FIELDS, RULE_SCOPES, type RuleScope, TOP_LEVEL_KEYS } from './catalog.js';
import type { ClusterRuleKey } from './cluster-catalog.js';
import { CLUSTER_CATALOG, type RuleCatalog, SIDECAR_CATALOG } from './scopes.js';
import { describeValue } from './checks.js';
import { readRule } from './rules.js';
import { readMapping } from './key-table.js';
import {
  type ListDefinition,
  type ScheduleDefinition,
  readLists,
  readSchedules,
  readTimezone,
} from './sections.js';
import { IssueLog, type RuleFile, keyAt, placeText, readRuleFile, valueAt } from './source.js';

/** One rule file: `name` is what issues print (the path), `text` its content. */
export interface RuleSource {
  readonly name: string;
  readonly text: string;
}

export interface LoadRuleOptions {
  /**
   * The timezone of rules and schedules when no rule file sets a top-level `timezone`
   * (the sidecar passes its config's). Without it, such rules get `timezone: null` and a
   * schedule without a zone is an error.
   */
  readonly defaultTimezone?: string;
}

/** The result plus what a summary line needs, known even when the load fails. */
export interface RuleLoadReport<K extends string = RuleKey> {
  readonly result: RuleLoadResult<K>;
  /** Entries under `rules:` in all files, valid or not. */
  readonly ruleCount: number;
  readonly fileCount: number;
}

export function loadRuleSources(
  sources: readonly RuleSource[],
  options: LoadRuleOptions = {},
): RuleLoadResult {
  return inspectRuleSources(sources, options).result;
}

/** Cluster rule files (`scope: cluster`), for the aggregator; otherwise as loadRuleSources. */
export function loadClusterRuleSources(
  sources: readonly RuleSource[],
  options: LoadRuleOptions = {},
): RuleLoadResult<ClusterRuleKey> {
  return inspectClusterRuleSources(sources, options).result;
}

export function inspectClusterRuleSources(
  sources: readonly RuleSource[],
  options: LoadRuleOptions = {},
  external: readonly RuleIssue[] = [],
): RuleLoadReport<ClusterRuleKey> {
  return inspectWith(CLUSTER_CATALOG, sources, options, external);
}

/**
 * The scope a file declares (`scope: cluster`), read without validating anything else, so that
 * `rules check` can hand each file to the right loader; `sidecar` when it declares none or
 * cannot be read (the loader then reports why).
 */
export function declaredScope(source: RuleSource): RuleScope {
  const { root } = readYamlSource(source.text, source.name);
  return root instanceof Map && (root as Map<string, unknown>).get('scope') === 'cluster'
    ? 'cluster'
    : 'sidecar';
}

interface RuleEntry {
  readonly file: RuleFile;
  readonly index: number;
  readonly value: unknown;
}

interface SetTimezone {
  readonly name: string;
  readonly file: RuleFile;
}

/**
 * `loadRuleSources` with the counts for a summary. `external` are issues found before the
 * text was available (unreadable paths); they come first and fail the load like any error.
 */
export function inspectRuleSources(
  sources: readonly RuleSource[],
  options: LoadRuleOptions = {},
  external: readonly RuleIssue[] = [],
): RuleLoadReport {
  return inspectWith(SIDECAR_CATALOG, sources, options, external);
}

function inspectWith<K extends string>(
  catalog: RuleCatalog<K>,
  sources: readonly RuleSource[],
  options: LoadRuleOptions,
  external: readonly RuleIssue[],
): RuleLoadReport<K> {
  const log = new IssueLog();
  for (const issue of external) log.addExternal(issue);
  const lists = new Map<string, ListDefinition>();
  const schedules = new Map<string, ScheduleDefinition>();
  const entries: RuleEntry[] = [];
  let setTimezone: SetTimezone | null = null;

  for (const [index, source] of sources.entries()) {
    const file = readRuleFile(source.name, source.text, index, log);
    const root = readTopLevel(file, log);
    if (root === null || !inScope(catalog.scope, file, root, log)) continue;
    if (root.has('timezone')) {
      const name = readTimezone(file, ['timezone'], root.get('timezone'), log);
      if (name !== null && setTimezone === null) {
        setTimezone = { name, file };
      } else if (name !== null && setTimezone !== null && setTimezone.name !== name) {
        log.error(
          file,
          valueAt(file, ['timezone']),
          `timezone ${name} differs from ${setTimezone.name} set at ${placeText(setTimezone.file, valueAt(setTimezone.file, ['timezone']))}; ` +
            'the top-level timezone applies to all rule files: set it once, or per rule and schedule',
        );
      }
    }
    readLists(file, root.get('lists'), lists, log);
    readSchedules(file, root.get('schedules'), schedules, log);
    const rules = root.get('rules');
    if (Array.isArray(rules)) {
      for (const [position, value] of (rules as unknown[]).entries())
        entries.push({ file, index: position, value });
    } else if (rules !== undefined && rules !== null) {
      log.error(
        file,
        valueAt(file, ['rules']),
        `rules must be a list, each rule starting with "- id:", got ${describeValue(rules)}`,
      );
    }
  }

  const fallbackTimezone = setTimezone?.name ?? options.defaultTimezone ?? null;
  const resolvedSchedules = new Map<string, Schedule>();
  for (const schedule of schedules.values()) {
    const timezone = schedule.timezone ?? fallbackTimezone;
    if (timezone !== null) {
      resolvedSchedules.set(schedule.name, { name: schedule.name, timezone, windows: schedule.windows });
    } else if (!schedule.timezoneWritten) {
      log.error(
        schedule.file,
        keyAt(schedule.file, schedule.path),
        `schedule "${schedule.name}" has no timezone and no rule file sets one; ` +
          'add timezone: Europe/Stockholm (or your zone) to the schedule or at the top of a rule file',
      );
    }
  }

  const rules: Rule<K>[] = [];
  const ids = new Map<string, string>();
  for (const entry of entries) {
    const { file } = entry;
    const context = { catalog, file, log, lists, schedules, fallbackTimezone };
    const { rule, id } = readRule(context, entry.index, entry.value);
    if (id !== null) {
      const where = valueAt(file, ['rules', entry.index, 'id']);
      const first = ids.get(id);
      if (first === undefined) {
        ids.set(id, placeText(file, where));
      } else {
        log.error(
          file,
          where,
          `rule id "${id}" is already used at ${first}; ids must be unique across all rule files`,
        );
      }
    }
    if (rule !== null) rules.push(rule);
  }

  for (const definition of [...lists.values(), ...schedules.values()]) {
    if (definition.used) continue;
    const what = 'patterns' in definition ? 'list' : 'schedule';
    log.warn(
      definition.file,
      keyAt(definition.file, definition.path),
      `${what} "${definition.name}" is not used by any rule`,
    );
  }

  const issues = log.sorted();
  const counts = { ruleCount: entries.length, fileCount: sources.length };
  if (log.hasErrors) return { result: { ok: false, issues }, ...counts };
  return {
    result: {
      ok: true,
      ruleSet: {
        lists: new Map([...lists.values()].map((list) => [list.name, list.patterns])),
        schedules: resolvedSchedules,
        rules,
        files: sources.map((source) => source.name),
      },
      warnings: issues,
    },
    ...counts,
  };
}

/** The file's top-level mapping with its keys checked, or null when there is nothing to read. */
function readTopLevel(file: RuleFile, log: IssueLog): Map<string, unknown> | null {
  const { root } = file.yaml;
  if (root === undefined) return null; // unreadable: the reader's issues say why
  if (root === null) {
    log.warn(file, { line: 1, column: 1 }, 'the file is empty: it defines no lists, schedules or rules');
    return null;
  }
  return readMapping(file, log, [], root, {
    what: 'a rule file',
    example: 'rules:',
    mustBe: 'a rule file must be a mapping with lists:, schedules:, rules: or timezone:',
    keyNoun: 'top-level key',
    keys: TOP_LEVEL_KEYS,
    hints: RULE_KEY_HINTS,
  });
}

/** A rule's key written at the top level: the one mistake a suggestion would not explain. */
const RULE_KEY_HINTS: Readonly<Record<string, string>> = Object.fromEntries(
  RULE_FIELDS.map((key) => [key, `"${key}" belongs to a rule: write it inside an entry of rules:`]),
);

/**
 * Whether the file is of the loader's scope. A file of the other scope is an error and is not
 * read further: its rules would only add errors about facts that belong to the other side.
 */
function inScope(scope: RuleScope, file: RuleFile, root: Map<string, unknown>, log: IssueLog): boolean {
  const written = root.get('scope');
  if (written !== undefined && !(RULE_SCOPES as readonly unknown[]).includes(written)) {
    log.error(
      file,
      valueAt(file, ['scope']),
      `scope must be cluster (a cluster rule file, for the aggregator) or sidecar (the default), got ${describeValue(written)}`,
    );
    return false;
  }
  const declared = written === 'cluster' ? 'cluster' : 'sidecar';
  if (declared === scope) return true;
  if (scope === 'sidecar') {
    log.error(
      file,
      valueAt(file, ['scope']),
      'this file holds cluster rules (scope: cluster): the aggregator loads them, not the sidecar; ' +
        'keep it out of rules.paths, e.g. in rules/cluster/ (rule directories are not read recursively)',
    );
  } else {
    log.error(
      file,
      { line: 1, column: 1 },
      'this is not a cluster rule file: add scope: cluster at the top (without it, it holds sidecar rules, ' +
        'which the sidecar loads from rules.paths)',
    );
  }
  return false;
}
