import { describe, expect, it } from 'vitest';
import {
  agentOf,
  conditionsOf,
  DETAIL_LIMITS,
  storedConditionsOf,
} from '../../src/contract/decode-details.js';

describe('the details the view shows', () => {
  it('names browser and OS with their versions, and null for what the sidecar could not tell', () => {
    expect(
      agentOf({ raw: 'x', browser: 'Chrome', browserVersion: '120.0', os: 'Windows', osVersion: '10' }),
    ).toEqual({ browser: 'Chrome 120.0', os: 'Windows 10' });
    expect(
      agentOf({ raw: 'x', browser: 'Firefox', browserVersion: null, os: null, osVersion: null }),
    ).toEqual({
      browser: 'Firefox',
      os: null,
    });
    expect(agentOf({ raw: 'x', browser: null, os: null })).toBeNull();
    expect(agentOf(null)).toBeNull();
    expect(agentOf('Chrome')).toBeNull();
  });

  it('cuts hostile texts and lists to their bounds', () => {
    const long = 'x'.repeat(10_000);
    const agent = agentOf({ browser: long, os: long });
    expect(agent?.browser?.length).toBeLessThanOrEqual(60);
    const many = Array.from({ length: 1_000 }, () => ({
      fact: long,
      operator: 'equal',
      value: long,
      factResult: { deep: long },
      result: true,
    }));
    const conditions = conditionsOf(many);
    expect(conditions).toHaveLength(DETAIL_LIMITS.conditions);
    expect(conditions[0]?.fact.length).toBeLessThanOrEqual(80);
    expect(conditions[0]?.threshold.length).toBeLessThanOrEqual(DETAIL_LIMITS.text);
    expect(conditions[0]?.value.endsWith('…')).toBe(true);
  });

  it('keeps well-formed conditions as JSON text and drops the rest', () => {
    expect(
      conditionsOf([
        { fact: 'activeSessions', operator: 'greaterThan', value: 3, factResult: 4, result: true },
        { fact: 'x' },
        'nonsense',
        { fact: 'hour', params: { tz: 'UTC' }, operator: 'in', value: [8, 9], factResult: 10, result: false },
      ]),
    ).toEqual([
      { fact: 'activeSessions', operator: 'greaterThan', threshold: '3', value: '4', result: true },
      { fact: 'hour', operator: 'in', threshold: '[8,9]', value: '10', result: false },
    ]);
    expect(conditionsOf('nope')).toEqual([]);
  });

  it('reads back only what it stored', () => {
    const stored = [{ fact: 'a', operator: 'equal', threshold: '1', value: '1', result: true }];
    expect(storedConditionsOf(stored)).toEqual(stored);
    expect(storedConditionsOf([{ fact: 'a' }, 3])).toEqual([]);
    expect(storedConditionsOf({})).toEqual([]);
  });
});
