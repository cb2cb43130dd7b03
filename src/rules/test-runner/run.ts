/**
 * Runs one test in virtual time through the sidecar's own parts: every event becomes the
 * datagram a Sense node would send and is decoded by the sidecar's decoder, then judged by
 * `Judge` (drop rules → state → alert rules); `judge.tick` runs every TICK_MS of virtual time,
 * before the events of the same instant, as the sidecar's timer does. Nothing waits.
 */
import { qualifiedUser } from '../../core/events.js';
import type { RejectReason } from '../../core/reject.js';
import { createDecoder, type Decoder } from '../../ingest/decode.js';
import { formatDatagram } from '../../simulate/datagram.js';
import { LIVE_STATE_DEFAULTS, LiveState } from '../../state/live-state.js';
import { compileRules } from '../engine/compile.js';
import type { AlertNotice } from '../engine/evaluator.js';
import { MAX_EPISODES, RuleEvaluator } from '../engine/evaluator.js';
import { globMatch } from '../engine/glob.js';
import { Judge } from '../judge.js';
import { MAX_WINDOW_MS } from '../load/catalog.js';
import type { RuleSet, Severity } from '../types.js';
import {
  type AlertFilter,
  REPEAT_PLACEHOLDER,
  type RuleTest,
  type SessionSettings,
  TICK_MS,
  type TestEvent,
  describeFilter,
} from './spec.js';
import { formatOffset, plural } from './text.js';

export interface PublishedAlert {
  readonly rule: string;
  readonly key: string;
  readonly status: 'firing' | 'resolved';
  readonly severity: Severity;
  readonly host: string;
  /** Offset from the test's start. */
  readonly atMs: number;
  readonly message: string;
  /** 1 for the first notice of an episode, 2, 3, … for reminders after the throttle; 0 resolved. */
  readonly notification: number;
}

export interface ExpiredSessions {
  readonly atMs: number;
  readonly user: string;
  readonly host: string;
  readonly sessions: number;
}

export interface RuleTestResult {
  readonly file: string;
  readonly name: string;
  /** `file:line:column` of the test. */
  readonly place: string;
  readonly passed: boolean;
  /** What did not hold, one sentence each, starting with the place of the expectation. */
  readonly failures: readonly string[];
  /** Everything published, in order. */
  readonly alerts: readonly PublishedAlert[];
  readonly expired: readonly ExpiredSessions[];
  /** Events dropped per drop rule (rules that dropped nothing are left out). */
  readonly dropped: readonly { readonly rule: string; readonly count: number }[];
  /** Events sent, repeats included. */
  readonly events: number;
}

interface Planned {
  readonly atMs: number;
  readonly text: string;
  /** The reason the test expects, null when it must decode; undefined for written events. */
  readonly rejected: RejectReason | null | undefined;
  readonly entry: TestEvent;
}

/** Every event with its repeats, in time order (written order within one instant). */
export function plan(test: RuleTest): Planned[] {
  const planned: Planned[] = [];
  for (const entry of test.events) {
    for (let i = 0; i < entry.repeat; i++) {
      const n = String(i + 1);
      const fill = (text: string | null): string | undefined =>
        text === null ? undefined : text.replaceAll(REPEAT_PLACEHOLDER, n);
      const { source } = entry;
      let text: string;
      let rejected: RejectReason | null | undefined;
      if (source.form === 'datagram') {
        text = fill(source.text) ?? '';
        rejected = source.rejected;
      } else {
        const user = fill(source.user) ?? '';
        const slash = user.indexOf('\\');
        text = formatDatagram({
          kind: source.kind,
          host: fill(source.host) ?? '',
          directory: user.slice(0, slash),
          userId: user.slice(slash + 1),
          origin: fill(source.origin),
          context: fill(source.context),
          appId: source.app ?? undefined,
          userAgent: fill(source.userAgent),
          message: fill(source.message),
        });
        rejected = undefined;
      }
      planned.push({ atMs: entry.atMs + i * entry.everyMs, text, rejected, entry });
    }
  }
  // Array.prototype.sort is stable: events of one instant keep their written order.
  return planned.sort((a, b) => a.atMs - b.atMs);
}

export interface RunOptions {
  readonly ruleSet: RuleSet;
  readonly timezone: string;
  readonly sessions: SessionSettings;
}

export async function runTest(test: RuleTest, options: RunOptions): Promise<RuleTestResult> {
  const state = new LiveState({
    inactivityTimeoutMs: options.sessions.inactivityTimeoutMs,
    graceMs: options.sessions.graceMs,
    maxWindowMs: MAX_WINDOW_MS,
    maxKeys: LIVE_STATE_DEFAULTS.maxKeys,
  });
  const compiled = compileRules(options.ruleSet, { defaultTimezone: options.timezone, state });
  const evaluator = new RuleEvaluator(compiled, { maxEpisodes: MAX_EPISODES });
  const judge = new Judge(state, evaluator);
  const decode: Decoder = createDecoder();
  const start = test.startMs;

  const alerts: PublishedAlert[] = [];
  const expired: ExpiredSessions[] = [];
  const failures: string[] = [];
  const reportedEntries = new Set<TestEvent>();
  let ids = 0;
  const nextId = (): string => `test-${++ids}`;
  const publish = (notices: readonly AlertNotice[]): void => {
    for (const notice of notices) {
      alerts.push({
        rule: notice.rule.id,
        key: notice.key,
        status: notice.status,
        severity: notice.rule.severity,
        host: notice.host,
        atMs: notice.at - start,
        message: notice.message,
        notification: notice.notification,
      });
    }
  };
  const tick = async (atMs: number): Promise<void> => {
    const judgement = await judge.tick(start + atMs, nextId);
    for (const { event } of judgement.expired) {
      expired.push({ atMs, user: qualifiedUser(event.user), host: event.host, sessions: event.sessions });
    }
    publish(judgement.notices);
  };
  /** One failure per written event entry, however often it repeats. */
  const failEntry = (entry: TestEvent, message: string): void => {
    if (reportedEntries.has(entry)) return;
    reportedEntries.add(entry);
    failures.push(`${entry.place}: ${message}`);
  };

  const planned = plan(test);
  let nextTickMs = TICK_MS;
  let lastTickMs = 0;
  for (const event of planned) {
    while (nextTickMs <= event.atMs) {
      await tick(nextTickMs);
      lastTickMs = nextTickMs;
      nextTickMs += TICK_MS;
    }
    const decoded = decode(Buffer.from(event.text, 'utf8'));
    const when = formatOffset(event.atMs);
    if (!decoded.ok) {
      const { reason, detail } = decoded.reject;
      if (event.rejected === undefined) {
        failEntry(
          event.entry,
          `the event at ${when} becomes a datagram the sidecar rejects (${reason}: ${detail})`,
        );
      } else if (event.rejected === null) {
        failEntry(
          event.entry,
          `the datagram at ${when} is rejected (${reason}: ${detail}); fix it, or add rejected: ${reason} if that is the point`,
        );
      } else if (event.rejected !== reason) {
        failEntry(
          event.entry,
          `expected the datagram at ${when} to be rejected as ${event.rejected}, but the reason is ${reason}: ${detail}`,
        );
      }
      continue;
    }
    if (event.rejected !== null && event.rejected !== undefined) {
      const { kind, user } = decoded.event;
      failEntry(
        event.entry,
        `expected the datagram at ${when} to be rejected as ${event.rejected}, but it decodes as ${kind} of ${qualifiedUser(user)}`,
      );
    }
    const judgement = await judge.event(decoded.event, nextId(), start + event.atMs);
    publish(judgement.notices);
  }
  const lastEventMs = planned.at(-1)?.atMs ?? 0;
  const endMs = Math.max(test.advanceToMs ?? 0, lastEventMs);
  while (nextTickMs <= endMs) {
    await tick(nextTickMs);
    lastTickMs = nextTickMs;
    nextTickMs += TICK_MS;
  }
  // advanceTo off the tick grid: time still reaches it.
  if (test.advanceToMs !== null && lastTickMs < test.advanceToMs) await tick(test.advanceToMs);

  const dropped = [...evaluator.counters.dropped]
    .filter(([, count]) => count > 0)
    .map(([rule, count]) => ({ rule, count }));
  failures.push(...checkExpectations(test, alerts, dropped));
  return {
    file: test.file,
    name: test.name,
    place: test.place,
    passed: failures.length === 0,
    failures,
    alerts,
    expired,
    dropped,
    events: planned.length,
  };
}

export function matches(filter: AlertFilter, alert: PublishedAlert): boolean {
  return (
    filter.rule === alert.rule &&
    (filter.key === undefined || filter.key === alert.key) &&
    (filter.status === undefined || filter.status === alert.status) &&
    (filter.host === undefined || filter.host === alert.host) &&
    (filter.atMs === undefined || filter.atMs === alert.atMs) &&
    (filter.message === undefined || globMatch(filter.message, alert.message))
  );
}

function times(found: readonly PublishedAlert[]): string {
  return found.length === 0 ? '' : `, at ${found.map((alert) => formatOffset(alert.atMs)).join(', ')}`;
}

function alertsWere(n: number): string {
  return n === 1 ? '1 such alert was published' : `${n} such alerts were published`;
}

function checkExpectations(
  test: RuleTest,
  alerts: readonly PublishedAlert[],
  dropped: readonly { readonly rule: string; readonly count: number }[],
): string[] {
  const failures: string[] = [];
  if (test.expectNone && alerts.length > 0) {
    failures.push(
      `${test.expectNonePlace}: expected no alerts (expect: []), but ${plural(alerts.length, 'alert was', 'alerts were')} published`,
    );
  }
  for (const { filter, count, place } of test.expect) {
    const found = alerts.filter((alert) => matches(filter, alert));
    const wanted = describeFilter(filter, count);
    if (count === null && found.length === 0) {
      failures.push(`${place}: expected ${wanted}, but no such alert was published`);
    } else if (count !== null && found.length !== count) {
      failures.push(`${place}: expected ${wanted}, but ${alertsWere(found.length)}${times(found)}`);
    }
  }
  for (const { filter, place } of test.forbid) {
    const found = alerts.filter((alert) => matches(filter, alert));
    if (found.length > 0) {
      failures.push(
        `${place}: forbidden ${describeFilter(filter)}, but ${alertsWere(found.length)}${times(found)}`,
      );
    }
  }
  for (const { rule, count, place } of test.dropped) {
    const n = dropped.find((entry) => entry.rule === rule)?.count ?? 0;
    if (count === null ? n === 0 : n !== count) {
      const wanted = count === null ? 'at least one event' : plural(count, 'event');
      failures.push(`${place}: expected ${rule} to drop ${wanted}, but it dropped ${plural(n, 'event')}`);
    }
  }
  return failures;
}
