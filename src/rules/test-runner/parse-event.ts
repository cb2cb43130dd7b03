/**
 * One entry of a test's `events:`: either the event field by field (kind:, user:, ...) or a raw
 * `datagram:` (with the reason it is `rejected:`, if it is). The two forms never mix, because a
 * datagram carries all its fields itself. Everything is checked before anything is returned, so
 * one run lists every problem of the event.
 */
import type { PathSegment } from '../../config/types.js';
import { EVENT_KINDS, type EventKind } from '../../core/events.js';
import type { RejectReason } from '../../core/reject.js';
import { closestEventKind, describeValue, duration, quoteHint, suggestion } from '../load/checks.js';
import { keyAt } from '../load/source.js';
import type { Entry, FileReader } from './file-reader.js';
import {
  DEFAULT_HOST,
  type FieldsEvent,
  MAX_EVENTS_PER_TEST,
  MAX_OFFSET_MS,
  REPEAT_PLACEHOLDER,
  type TestEvent,
} from './spec.js';
import { DECODE_REASONS, EVENT_FORM, FIELD_KEYS, TEMPLATED_KEYS } from './test-keys.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function readEvent(reader: FileReader, path: PathSegment[], value: unknown): TestEvent | null {
  const { log } = reader;
  const errorsBefore = log.errorCount;
  const at = (key: string): PathSegment[] => [...path, key];
  const entry = reader.mapping(path, value, EVENT_FORM);
  if (entry === null) return null;

  let atMs: number | null = null;
  if (!entry.has('at')) {
    reader.errorAt(
      path,
      'the event has no at; add its time as an offset from start, e.g. at: 0s or at: 1m30s',
    );
  } else {
    atMs = reader.offset(at('at'), entry.get('at'), 'at');
  }

  let repeat = 1;
  if (entry.has('repeat')) {
    repeat = reader.integer(at('repeat'), entry.get('repeat'), 'repeat', 1, MAX_EVENTS_PER_TEST) ?? 1;
  }
  let everyMs = 0;
  if (entry.has('every')) {
    everyMs =
      reader.checked(
        at('every'),
        duration(entry.get('every'), 'every', { example: '10s', zeroAllowed: true, maxMs: MAX_OFFSET_MS }),
      ) ?? 0;
    if (!entry.has('repeat')) {
      log.warn(
        reader.file,
        keyAt(reader.file, at('every')),
        'every has no effect without repeat: N; the event is sent once',
      );
    }
  }

  // Text fields: `{{n}}` is the only placeholder; anything else in braces is a typo.
  for (const key of TEMPLATED_KEYS) {
    const written = entry.get(key);
    if (typeof written !== 'string') continue;
    const stray = written.replaceAll(REPEAT_PLACEHOLDER, '').match(/\{\{[^}]*\}\}/);
    if (stray !== null) {
      reader.errorAt(
        at(key),
        `${stray[0]} is not a placeholder here; only ${REPEAT_PLACEHOLDER} (the repetition number) is`,
      );
    }
  }

  if (entry.has('datagram')) {
    const beside = FIELD_KEYS.filter((key) => entry.has(key));
    for (const key of beside) {
      reader.error(
        keyAt(reader.file, at(key)),
        `"${key}" cannot sit next to datagram: a raw datagram carries all its fields itself; ` +
          'write either datagram: or kind:, user:, ...',
      );
    }
    const text = typeof entry.get('datagram') === 'string' ? (entry.get('datagram') as string) : null;
    if (text === null) {
      reader.errorAt(at('datagram'), `datagram must be text, got ${describeValue(entry.get('datagram'))}`);
    }
    let rejected: RejectReason | null = null;
    if (entry.has('rejected')) {
      const written = entry.get('rejected');
      const reason = DECODE_REASONS.find((known) => known === written);
      if (reason === undefined) {
        const hint =
          typeof written === 'string'
            ? suggestion(written, DECODE_REASONS)
            : `; use one of ${DECODE_REASONS.join(', ')}`;
        reader.errorAt(
          at('rejected'),
          `rejected must be the reason the sidecar gives, got ${describeValue(written)}${hint}`,
        );
      } else {
        rejected = reason;
      }
    }
    if (log.errorCount > errorsBefore || atMs === null || text === null) return null;
    return { atMs, repeat, everyMs, source: { form: 'datagram', text, rejected }, place: reader.place(path) };
  }

  if (entry.has('rejected')) {
    reader.error(
      keyAt(reader.file, at('rejected')),
      'rejected only applies to a raw datagram: (an event written field by field always decodes)',
    );
  }
  const kind = readKind(reader, path, entry);
  let user: string | null = null;
  if (!entry.has('user')) {
    reader.errorAt(path, "the event has no user; add one, e.g. user: 'CORP\\jdoe'");
  } else {
    user = reader.text(at('user'), entry.get('user'), 'user');
    if (user !== null) {
      const slash = user.indexOf('\\');
      if (slash < 0 || slash === user.length - 1) {
        reader.errorAt(
          at('user'),
          `user must be DIRECTORY\\userId, e.g. 'CORP\\jdoe' (in single quotes), got ${describeValue(user)}`,
        );
      }
    }
  }
  const optionalText = (key: string): string | null => {
    if (!entry.has(key)) return null;
    const written = entry.get(key);
    if (typeof written === 'string') return written;
    reader.errorAt(at(key), `${key} must be text, got ${describeValue(written)}${quoteHint(written)}`);
    return null;
  };
  const host = entry.has('host') ? reader.text(at('host'), entry.get('host'), 'host') : DEFAULT_HOST;
  const app = optionalText('app');
  if (app !== null && !GUID.test(app)) {
    reader.errorAt(
      at('app'),
      `app must be an app id (a GUID such as e7af59a0-c243-480d-9571-08727551a66f), got ${describeValue(app)}; ` +
        'for another path write context:',
    );
  }
  // The user agent goes into the message, the one field that may hold ";".
  const fields: Record<string, string | null> = {
    user,
    host,
    context: optionalText('context'),
    origin: optionalText('origin'),
  };
  const userAgent = optionalText('userAgent');
  for (const [key, text] of Object.entries(fields)) {
    if (text?.includes(';') === true) {
      reader.errorAt(
        at(key),
        `${key} contains ";", which separates the fields of a datagram, so the sidecar would read other fields; ` +
          'only message: may contain ";"',
      );
    }
  }
  const message = optionalText('message');
  if (kind !== null && kind !== 'connection.open' && kind !== 'connection.close' && entry.has('userAgent')) {
    log.warn(
      reader.file,
      keyAt(reader.file, at('userAgent')),
      'the proxy writes a user agent only in connection messages; on a session event it is part of no fact',
    );
  }
  if (log.errorCount > errorsBefore || atMs === null || kind === null || user === null || host === null)
    return null;
  const source: FieldsEvent = {
    form: 'fields',
    kind,
    user,
    host,
    app,
    context: fields['context'] ?? null,
    origin: fields['origin'] ?? null,
    userAgent,
    message,
  };
  return { atMs, repeat, everyMs, source, place: reader.place(path) };
}

function readKind(reader: FileReader, path: PathSegment[], entry: Entry): EventKind | null {
  if (!entry.has('kind')) {
    reader.errorAt(
      path,
      `the event has no kind; add one of ${EVENT_KINDS.join(', ')}, or write a raw datagram: instead`,
    );
    return null;
  }
  const written = entry.get('kind');
  const kind = EVENT_KINDS.find((known) => known === written);
  if (kind !== undefined) return kind;
  if (written === 'session.expired') {
    reader.errorAt(
      [...path, 'kind'],
      "session.expired is the sidecar's own event and cannot be sent; let virtual time pass instead " +
        "(advanceTo: past the inactivity timeout plus grace after the user's last event) and the sidecar produces it",
    );
    return null;
  }
  const near = typeof written === 'string' ? closestEventKind(written) : undefined;
  const hint = near !== undefined && near !== 'session.expired' ? `; did you mean "${near}"?` : '';
  reader.errorAt(
    [...path, 'kind'],
    `kind must be one of ${EVENT_KINDS.join(', ')}, got ${describeValue(written)}${hint}`,
  );
  return null;
}
