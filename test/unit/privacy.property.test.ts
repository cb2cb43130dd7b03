import { userKeyOf } from '../../src/core/events.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { qualifiedUser, type UserEvent, type UserRef } from '../../src/core/events.js';
import { scrubAlertData, scrubEvent, scrubText } from '../../src/privacy/scrub.js';
import { createUserHasher } from '../../src/privacy/user-hasher.js';
import type { AlertData } from '../../src/contract/data.js';

/**
 * Whatever the user and wherever the name sits in the text, nothing scrubbed still holds the
 * clear-text `DIRECTORY\id` in any case.
 */

const hasher = createUserHasher('property-test-secret-0123456789');

const realistic = (min: number): fc.Arbitrary<string> =>
  fc.stringMatching(min === 0 ? /^[A-Za-z0-9_.\- ]{0,12}$/ : /^[A-Za-z0-9_.-]{1,12}$/);
const anyText = (min: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', minLength: min, maxLength: 8 });

const users: fc.Arbitrary<UserRef> = fc.record({
  directory: fc.oneof(realistic(0), anyText(0)),
  id: fc.oneof({ weight: 3, arbitrary: realistic(1) }, { weight: 1, arbitrary: anyText(1) }),
});

/** The text with each character upper- or lower-cased at random. */
function recased(text: string, flips: readonly boolean[]): string {
  return Array.from(text, (ch, i) =>
    (flips[i % Math.max(1, flips.length)] ?? false) ? ch.toUpperCase() : ch.toLowerCase(),
  ).join('');
}

/** A message made of filler and the user's name in the forms the proxy and templates write. */
function messages(user: UserRef): fc.Arbitrary<string> {
  const name = fc
    .tuple(
      fc.constantFrom('qualified', 'quoted', 'double-quoted', 'bare'),
      fc.array(fc.boolean(), { maxLength: 16 }),
    )
    .map(([form, flips]) => {
      const q = recased(qualifiedUser(user), flips);
      const id = recased(user.id, flips);
      switch (form) {
        case 'qualified':
          return q;
        case 'quoted':
          return `'${q}'`;
        case 'double-quoted':
          return `"${id}"`;
        case 'bare':
          return `user ${q}:${q}`;
      }
    });
  return fc
    .array(fc.oneof(name, fc.string({ maxLength: 10 }), fc.constantFrom(';', '\\', "'", ' ')), {
      maxLength: 10,
    })
    .map((parts) => parts.join(''));
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) strings(item, out);
  return out;
}

function leaks(value: unknown, user: UserRef): string[] {
  const needle = qualifiedUser(user).toLowerCase();
  return strings(value).filter((s) => s.toLowerCase().includes(needle));
}

const withMessages = users.chain((user) => fc.tuple(fc.constant(user), messages(user), messages(user)));

describe('privacy properties', () => {
  it('scrubText leaves no DIR\\id in any case', () => {
    fc.assert(
      fc.property(withMessages, ([user, message]) => {
        expect(leaks(scrubText(message, user, hasher), user)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('scrubEvent leaves no DIR\\id in any string of the event', () => {
    fc.assert(
      fc.property(withMessages, ([user, message, context]) => {
        const event: UserEvent = {
          kind: 'connection.open',
          host: 'SENSE-NODE1',
          user,
          origin: 'AppAccess',
          context,
          appId: null,
          userAgent: { raw: message, browser: 'Chrome', browserVersion: null, os: null, osVersion: null },
          message,
        };
        const scrubbed = scrubEvent(event, hasher);
        expect(leaks(scrubbed, user)).toEqual([]);
        expect(scrubbed.user).toBe(hasher.hashUser(user));
      }),
      { numRuns: 300 },
    );
  });

  it('scrubAlertData leaves no DIR\\id in any string of the alert', () => {
    fc.assert(
      fc.property(withMessages, ([user, message, other]) => {
        const q = qualifiedUser(user);
        const data: AlertData = {
          alertId: '0123456789abcdef0123456789abcdef',
          status: 'firing',
          rule: 'watchlist',
          severity: 'info',
          description: other,
          key: q,
          host: 'SENSE-NODE1',
          node: 'SENSE-NODE1',
          message,
          firingSince: '2026-11-30T07:30:04.000Z',
          notification: 1,
          facts: { user: q, userId: user.id, note: other },
          conditions: [
            { fact: 'user', operator: 'inList', value: [q, other], factResult: message, result: true },
          ],
          eventIds: [],
        };
        expect(leaks(scrubAlertData(data, [user], hasher), user)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('hashes a user alike in any case and two users (by userKeyOf) apart', () => {
    fc.assert(
      fc.property(users, users, fc.array(fc.boolean(), { maxLength: 16 }), (a, b, flips) => {
        const recasedA = { directory: recased(a.directory, flips), id: recased(a.id, flips) };
        if (userKeyOf(recasedA) === userKeyOf(a))
          expect(hasher.hashUser(recasedA)).toEqual(hasher.hashUser(a));
        const same = userKeyOf(a) === userKeyOf(b);
        expect(hasher.hashUser(a).id === hasher.hashUser(b).id).toBe(same);
      }),
      { numRuns: 500 },
    );
  });
});
