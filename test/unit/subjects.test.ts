import { describe, expect, it } from 'vitest';
import { createSubjects, subjectToken } from '../../src/contract/subjects.js';

describe('subjects', () => {
  it.each([
    ['SENSE-NODE1', 'SENSE-NODE1'],
    ['sense1.corp.example.com', 'sense1_corp_example_com'],
    ['a b*c>d', 'a_b_c_d'],
    ['nöde', 'n_de'],
    ['', '_'],
  ])('turns %j into the single token %j', (name, token) => {
    expect(subjectToken(name)).toBe(token);
  });

  it('lays out events, rejects and status under the prefix', () => {
    const subjects = createSubjects('sense', 'node.one');
    expect(subjects.event('sense1.corp', 'connection.open')).toBe('sense.events.sense1_corp.connection.open');
    expect(subjects.reject()).toBe('sense.rejects.node_one');
    expect(subjects.status()).toBe('sense.status.node_one');
    expect(createSubjects('acme.qlik', 'n').event('h', 'session.stop')).toBe(
      'acme.qlik.events.h.session.stop',
    );
  });
});
