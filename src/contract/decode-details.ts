import { isRecord } from './envelope.js';

/**
 * The parts of a message the view shows but does not reason with: a connection's browser and
 * OS, an alert's explanation. Untrusted like everything in `data`, so every text is cut to a
 * bound and every list to a length: one hostile message cannot make the view or the page big.
 */

export interface AgentSummary {
  /** `Chrome 120`, or null when the sidecar could not tell. */
  readonly browser: string | null;
  /** `Windows 10`, or null. */
  readonly os: string | null;
}

/** One leaf condition of an alert's rule: the fact, its value, the threshold and the outcome. */
export interface ConditionSummary {
  readonly fact: string;
  readonly operator: string;
  /** The rule's threshold, as JSON text. */
  readonly threshold: string;
  /** The fact's value when the rule was evaluated, as JSON text. */
  readonly value: string;
  readonly result: boolean;
}

export const DETAIL_LIMITS = { text: 200, conditions: 16 } as const;

export function boundedText(value: unknown, max: number = DETAIL_LIMITS.text): string {
  const text = typeof value === 'string' ? value : '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function jsonText(value: unknown): string {
  if (value === undefined) return '';
  try {
    return boundedText(JSON.stringify(value));
  } catch {
    return '';
  }
}

function named(name: unknown, version: unknown): string | null {
  const n = boundedText(name, 60);
  if (n === '') return null;
  const v = boundedText(version, 30);
  return v === '' ? n : `${n} ${v}`;
}

/** The sidecar's `data.userAgent` (README "Subjects and payloads"); null when absent or unusable. */
export function agentOf(value: unknown): AgentSummary | null {
  if (!isRecord(value)) return null;
  const browser = named(value.browser, value.browserVersion);
  const os = named(value.os, value.osVersion);
  return browser === null && os === null ? null : { browser, os };
}

/** An alert's `data.conditions`: the first DETAIL_LIMITS.conditions well-formed ones. */
export function conditionsOf(value: unknown): ConditionSummary[] {
  if (!Array.isArray(value)) return [];
  const out: ConditionSummary[] = [];
  for (const c of value) {
    if (out.length >= DETAIL_LIMITS.conditions) break;
    if (!isRecord(c) || typeof c.fact !== 'string' || typeof c.operator !== 'string') continue;
    out.push({
      fact: boundedText(c.fact, 80),
      operator: boundedText(c.operator, 40),
      threshold: jsonText(c.value),
      value: jsonText(c.factResult),
      result: c.result === true,
    });
  }
  return out;
}

/** ConditionSummary[] read back from storage (JSON this program wrote); anything else is dropped. */
export function storedConditionsOf(value: unknown): ConditionSummary[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter(
      (c): c is ConditionSummary =>
        isRecord(c) &&
        typeof c.fact === 'string' &&
        typeof c.operator === 'string' &&
        typeof c.threshold === 'string' &&
        typeof c.value === 'string' &&
        typeof c.result === 'boolean',
    )
    .slice(0, DETAIL_LIMITS.conditions);
}
