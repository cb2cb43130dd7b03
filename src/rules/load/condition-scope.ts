/**
 * What every part of the `when:` check shares: the file being read, where issues go, the lists,
 * schedules and facts a condition may name, and how an issue is placed at a value or at its key.
 */
import type { PathSegment } from '../../config/types.js';
import type { FactSpec } from './catalog.js';
import type { ListDefinition, ScheduleDefinition } from './sections.js';
import { type IssueLog, type RuleFile, keyAt, valueAt } from './source.js';

export interface ConditionScope {
  readonly file: RuleFile;
  readonly log: IssueLog;
  readonly lists: ReadonlyMap<string, ListDefinition>;
  readonly schedules: ReadonlyMap<string, ScheduleDefinition>;
  /** The facts conditions may ask for: the sidecar's FACTS, or the cluster's. */
  readonly facts: readonly FactSpec[];
  /** Filled with every fact the conditions ask for (the message's `facts.*` must be among them). */
  readonly factsUsed: Set<string>;
  /** Where each fact asked for that only exists for one rule key was first asked for. */
  readonly subjectFacts: Map<string, readonly PathSegment[]>;
}

export type Path = readonly PathSegment[];

export function typeName(spec: FactSpec): string {
  switch (spec.type) {
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'text':
      return 'text';
  }
}

export function errorAt(scope: ConditionScope, path: Path, message: string): void {
  scope.log.error(scope.file, valueAt(scope.file, path), message);
}

export function errorAtKey(scope: ConditionScope, path: Path, message: string): void {
  scope.log.error(scope.file, keyAt(scope.file, path), message);
}
