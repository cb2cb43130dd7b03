import type { EventKind } from '../core/events.js';
import { formatDatagram, type DatagramSpec } from './datagram.js';
import { hashSeed, Rng } from './random.js';
import { DESKTOP_USER_AGENTS, MOBILE_USER_AGENTS, USER_AGENTS, type UserAgentSample } from './user-agents.js';
import { buildUserIds, SUSPICIOUS_USER_ID, SYSTEM_ACCOUNT, USER_DIRECTORY } from './users.js';

export interface ScheduledDatagram {
  /** Milliseconds after the start of the scenario, in simulated (uncompressed) time. */
  readonly atMs: number;
  readonly datagram: string;
}

export interface MorningOptions {
  /** Host names of the Sense nodes that send; a session stays on the node it started on. */
  nodes: readonly string[];
  users: number;
  apps: number;
  seed: number;
  durationMs: number;
}

/** Qlik's default virtual-proxy inactivity timeout: a session with no activity ends after it. */
export const SESSION_TIMEOUT_MS = 30 * 60_000;

/** How many sessions the suspicious user opens; one more than Qlik's limit of five per user. */
export const SUSPICIOUS_SESSIONS = 6;

const SYSTEM_SESSION_EVERY_MS = 5 * 60_000;

/* Stream indices for hashSeed, so that each part of the scenario draws from its own stream. */
const STREAM_USERS = 1;
const STREAM_APPS = 2;
const STREAM_PERSON = 3;
const STREAM_SUSPICIOUS = 4;
const STREAM_SYSTEM = 5;

/**
 * A morning on a Sense cluster: most users log in during a wave that peaks before the middle of
 * the window, open one to three apps (popular apps more often), close them, and then either log
 * out, time out after 30 idle minutes, or are still on when the window ends. A few also log in
 * from a phone later. `INTERNAL\sa_scheduler` opens a short session every five minutes, and
 * `CORP\mallory` opens six sessions on different devices within two minutes.
 *
 * Invariants (the tests check them):
 * - Pure and deterministic: the same options give the same datagrams, sorted by `atMs` (ties
 *   keep the order in which they were planned, which is causal within a session).
 * - Every datagram lies in [0, durationMs].
 * - Never a stop without its start, never a close without its open, and every connection of a
 *   session closes before the session stops. So at every prefix of the timeline, per user,
 *   starts >= stops and opens >= closes.
 * - The only intentional imbalances are the ones a real morning has: sessions and connections
 *   still open when the window ends (no stop follows), and mallory's six parallel sessions, one
 *   more than Qlik allows (a real node would refuse the sixth; it is sent anyway, so that a
 *   too-many-sessions rule has something to detect).
 */
export function buildMorningScenario(options: MorningOptions): ScheduledDatagram[] {
  validate(options);
  const { nodes, users, apps, seed, durationMs } = options;
  const planned: { atMs: number; seq: number; datagram: string }[] = [];
  const emit = (atMs: number, spec: DatagramSpec): void => {
    planned.push({ atMs: Math.round(atMs), seq: planned.length, datagram: formatDatagram(spec) });
  };

  const appRng = new Rng(hashSeed(seed, STREAM_APPS));
  const appIds = Array.from({ length: apps }, () => appRng.guid());
  const userIds = buildUserIds(users, hashSeed(seed, STREAM_USERS));

  userIds.forEach((userId, index) => {
    // One stream per person: adding users leaves the mornings of the others unchanged.
    const rng = new Rng(hashSeed(seed, STREAM_PERSON, index));
    const desktop = rng.weighted(DESKTOP_USER_AGENTS, (s) => s.weight);
    const wave = (rng.next() + rng.next() + rng.next()) / 3;
    const loginAt = durationMs * 0.85 * wave;
    const person = { rng, userId, appIds, durationMs, emit };
    planSession(person, rng.pick(nodes), desktop, loginAt);
    if (rng.chance(0.06)) {
      const phoneAt = rng.between(loginAt, durationMs);
      planSession(
        person,
        rng.pick(nodes),
        rng.weighted(MOBILE_USER_AGENTS, (s) => s.weight),
        phoneAt,
      );
    }
  });

  planSuspicious(new Rng(hashSeed(seed, STREAM_SUSPICIOUS)), nodes, appIds, durationMs, emit);
  planSystem(new Rng(hashSeed(seed, STREAM_SYSTEM)), nodes, durationMs, emit);

  planned.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
  return planned.map(({ atMs, datagram }) => ({ atMs, datagram }));
}

function validate(options: MorningOptions): void {
  if (options.nodes.length === 0 || options.nodes.some((n) => n === '')) {
    throw new RangeError('nodes must name at least one Sense node, none of them empty');
  }
  for (const key of ['users', 'apps'] as const) {
    if (!Number.isSafeInteger(options[key]) || options[key] < 0) {
      throw new RangeError(`${key} must be a non-negative integer (got ${options[key]})`);
    }
  }
  if (!Number.isFinite(options.durationMs) || options.durationMs <= 0) {
    throw new RangeError(`durationMs must be a positive number (got ${options.durationMs})`);
  }
}

interface Person {
  rng: Rng;
  userId: string;
  appIds: readonly string[];
  durationMs: number;
  emit: (atMs: number, spec: DatagramSpec) => void;
}

/** One session of a person on one device; emits nothing after the end of the window. */
function planSession(person: Person, node: string, agent: UserAgentSample, startAt: number): void {
  const { rng, userId, appIds, durationMs, emit } = person;
  if (startAt > durationMs) return;
  const base = { host: node, directory: USER_DIRECTORY, userId, userAgent: agent.ua };
  const event = (kind: EventKind, extra: Partial<DatagramSpec> = {}): DatagramSpec => ({
    ...base,
    kind,
    ...extra,
  });
  emit(startAt, event('session.start'));

  const opened = pickApps(rng, appIds, Math.min(appIds.length, rng.int(1, 3)));
  let at = startAt;
  let lastActivity = startAt;
  let stillOn = false;
  for (const appId of opened) {
    at += rng.between(2_000, at === startAt ? 20_000 : 120_000);
    if (at > durationMs) {
      stillOn = true;
      break;
    }
    const context = rng.chance(0.25)
      ? `/app/${appId}?reloaduri=https%3a%2f%2fsense.corp.example.com%2fsense%2fapp%2f${appId}`
      : undefined;
    emit(at, event('connection.open', { appId, context }));
    const closeAt = at + rng.between(60_000, 20 * 60_000);
    if (closeAt > durationMs) {
      stillOn = true;
      continue;
    }
    // Some close messages carry a `;` of their own, as seen in the wild: receivers must keep
    // everything after the seventh `;` as the message.
    const message = rng.chance(0.15)
      ? `Engine connection Closed for session; tab closed. UserAgent: '${agent.ua}'`
      : undefined;
    emit(closeAt, event('connection.close', { appId, context, message }));
    lastActivity = Math.max(lastActivity, closeAt);
  }
  if (stillOn) return;

  const stopAt = rng.chance(0.35)
    ? lastActivity + rng.between(5_000, 120_000)
    : lastActivity + SESSION_TIMEOUT_MS;
  if (stopAt <= durationMs) emit(stopAt, event('session.stop'));
}

/** Distinct apps, popular ones (low index) more often: app i has weight 1/(i+1). */
function pickApps(rng: Rng, appIds: readonly string[], count: number): string[] {
  const remaining = appIds.map((id, rank) => ({ id, weight: 1 / (rank + 1) }));
  const chosen: string[] = [];
  while (chosen.length < count && remaining.length > 0) {
    const pick = rng.weighted(remaining, (a) => a.weight);
    remaining.splice(remaining.indexOf(pick), 1);
    chosen.push(pick.id);
  }
  return chosen;
}

/**
 * Six sessions on different devices (and nodes, round robin) within two minutes, each opening
 * an app and none ending: in a window too short for two minutes the spacing shrinks so that
 * all six still fit.
 */
function planSuspicious(
  rng: Rng,
  nodes: readonly string[],
  appIds: readonly string[],
  durationMs: number,
  emit: (atMs: number, spec: DatagramSpec) => void,
): void {
  const firstAt = durationMs * 0.4;
  const spacing = Math.min(20_000, (durationMs - firstAt) / (SUSPICIOUS_SESSIONS + 1));
  for (let k = 0; k < SUSPICIOUS_SESSIONS; k++) {
    const startAt = firstAt + k * spacing + rng.between(0, spacing / 4);
    const agent = USER_AGENTS[(k * 5) % USER_AGENTS.length] ?? USER_AGENTS[0];
    const host = nodes[k % nodes.length] ?? '';
    const base = { host, directory: USER_DIRECTORY, userId: SUSPICIOUS_USER_ID, userAgent: agent?.ua };
    emit(startAt, { ...base, kind: 'session.start' });
    if (appIds.length > 0) {
      emit(startAt + spacing / 2, { ...base, kind: 'connection.open', appId: rng.pick(appIds) });
    }
  }
}

/** The scheduler's short service sessions, every five minutes from near the start. */
function planSystem(
  rng: Rng,
  nodes: readonly string[],
  durationMs: number,
  emit: (atMs: number, spec: DatagramSpec) => void,
): void {
  const firstAt = Math.min(60_000, durationMs * 0.05);
  for (let k = 0; ; k++) {
    const startAt = firstAt + k * SYSTEM_SESSION_EVERY_MS;
    const stopAt = startAt + Math.min(rng.between(1_000, 8_000), durationMs * 0.05);
    if (stopAt > durationMs) return;
    const spec = {
      host: nodes[k % nodes.length] ?? '',
      directory: SYSTEM_ACCOUNT.directory,
      userId: SYSTEM_ACCOUNT.id,
      origin: '',
      context: '/qrs/',
    };
    emit(startAt, { ...spec, kind: 'session.start' });
    emit(stopAt, { ...spec, kind: 'session.stop' });
  }
}
