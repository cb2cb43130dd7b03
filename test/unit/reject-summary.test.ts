import { describe, expect, it } from 'vitest';
import { RejectSummary } from '../../src/pipeline/reject-summary.js';

describe('RejectSummary', () => {
  it('sums rejects per period with the first as example, then starts over', () => {
    const summary = new RejectSummary();
    expect(summary.take()).toBeNull();
    summary.add('unknown-prefix', 'first', '10.0.0.1:5');
    summary.add('unknown-prefix', 'second', '10.0.0.1:5');
    summary.add('too-large', 'third', '10.0.0.2:6');
    expect(summary.take()).toEqual({
      total: 3,
      byReason: { 'unknown-prefix': 2, 'too-large': 1 },
      example: { reason: 'unknown-prefix', detail: 'first', sender: '10.0.0.1:5' },
    });
    expect(summary.take()).toBeNull();
  });
});
