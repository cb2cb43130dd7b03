import type { RuleResult } from 'json-rules-engine';
import type { ConditionTrace } from '../../contract/data.js';

/** The leaves of a rule result, in order: the explanation an alert carries. */
export function traceOf(result: RuleResult): ConditionTrace[] {
  const out: ConditionTrace[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    for (const group of ['all', 'any']) {
      const children = record[group];
      if (Array.isArray(children)) for (const child of children) visit(child);
    }
    if ('not' in record) visit(record['not']);
    if (typeof record['fact'] === 'string' && typeof record['operator'] === 'string') {
      const params = record['params'];
      out.push({
        fact: record['fact'],
        ...(params !== null && typeof params === 'object'
          ? { params: params as Record<string, unknown> }
          : {}),
        operator: record['operator'],
        value: record['value'],
        factResult: record['factResult'],
        result: record['result'] === true,
      });
    }
  };
  visit(result.conditions);
  return out;
}

/** Fact name → the value it resolved to (the first condition on that fact wins). */
export function factValues(trace: readonly ConditionTrace[]): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  for (const leaf of trace) if (!Object.hasOwn(facts, leaf.fact)) facts[leaf.fact] = leaf.factResult;
  return facts;
}
