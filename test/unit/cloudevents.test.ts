import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../src/core/events.js';
import { eventEnvelope, rejectEnvelope } from '../../src/publish/cloudevents.js';

const meta = {
  receivedAt: Date.UTC(2026, 10, 29, 8, 0, 0, 123),
  source: { address: '10.1.2.3', port: 50000 },
};

describe('CloudEvents envelopes', () => {
  it('wraps an event exactly as the documented contract', () => {
    const event: UserEvent = {
      kind: 'session.start',
      host: 'SENSE-NODE1',
      user: { directory: 'CORP', id: 'jdoe' },
      origin: 'AppAccess',
      context: '/hub/',
      appId: null,
      userAgent: null,
      message: "Start session for user 'CORP\\jdoe'",
    };
    expect(JSON.stringify(eventEnvelope(event, meta, 'ID1', 'SENSE-NODE1'))).toBe(
      '{"specversion":"1.0","id":"ID1","source":"sense-sidecar/SENSE-NODE1","type":"sense.session.start",' +
        '"time":"2026-11-29T08:00:00.123Z","datacontenttype":"application/json","data":{"kind":"session.start",' +
        '"host":"SENSE-NODE1","user":{"directory":"CORP","id":"jdoe"},"origin":"AppAccess","context":"/hub/",' +
        '"appId":null,"userAgent":null,"message":"Start session for user \'CORP\\\\jdoe\'"}}',
    );
  });

  it('wraps a reject with reason, detail, sender, size and raw text', () => {
    const reject = { reason: 'unknown-prefix' as const, detail: 'd', raw: 'just text', bytes: 9 };
    expect(rejectEnvelope(reject, meta, 'ID2', 'n')).toEqual({
      specversion: '1.0',
      id: 'ID2',
      source: 'sense-sidecar/n',
      type: 'sense.reject',
      time: '2026-11-29T08:00:00.123Z',
      datacontenttype: 'application/json',
      data: {
        reason: 'unknown-prefix',
        detail: 'd',
        sender: { address: '10.1.2.3', port: 50000 },
        bytes: 9,
        raw: 'just text',
      },
    });
  });
});
