import type { EventKind } from '../core/events.js';
import { formatDatagram } from './datagram.js';
import { hashSeed, Rng } from './random.js';
import { USER_AGENTS } from './user-agents.js';
import { buildUserIds, USER_DIRECTORY } from './users.js';

export interface LoadOptions {
  /** How many datagrams the run sends; the generator refuses indices beyond it. */
  count: number;
  nodes: readonly string[];
  users: number;
  seed: number;
  /** How many distinct apps connections open (default 12). */
  apps?: number | undefined;
}

const STREAM_USERS = 1;
const STREAM_APPS = 2;
const STREAM_AGENT = 3;
const STREAM_CYCLE = 4;
const STREAM_PICK = 5;

/**
 * Datagram `i` of a load run. Each step picks a random user and advances that user's own cycle:
 * session start, one to three connection opens, their closes, session stop, then a new cycle
 * (possibly on another node). So per user, events are always in causal order and at every
 * prefix starts >= stops and opens >= closes; across users they interleave, and the first
 * datagrams lean towards session starts like a real log-in wave. A full cycle averages two
 * session events to four connection events.
 *
 * The returned function is pure: the same `i` always gives the same text. Internally it keeps
 * the state of the last index so that sequential calls (how the sender uses it) cost O(1) and
 * need no memory per datagram; going back to an earlier index replays from the start.
 */
export function buildLoad(options: LoadOptions): (i: number) => string {
  const { count, nodes, users, seed } = options;
  const apps = options.apps ?? 12;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer (got ${count})`);
  }
  if (nodes.length === 0 || nodes.some((n) => n === '')) {
    throw new RangeError('nodes must name at least one Sense node, none of them empty');
  }
  if (!Number.isSafeInteger(users) || users < 1) {
    throw new RangeError(`users must be a positive integer (got ${users})`);
  }
  if (!Number.isSafeInteger(apps) || apps < 0) {
    throw new RangeError(`apps must be a non-negative integer (got ${apps})`);
  }

  const userIds = buildUserIds(users, hashSeed(seed, STREAM_USERS));
  const appRng = new Rng(hashSeed(seed, STREAM_APPS));
  const appIds = Array.from({ length: apps }, () => appRng.guid());
  const agents = userIds.map(
    (_, u) => new Rng(hashSeed(seed, STREAM_AGENT, u)).weighted(USER_AGENTS, (s) => s.weight).ua,
  );

  /** What cycle `cycle` of user `u` does; derived, so it needs no storage. */
  const planCycle = (u: number, cycle: number): { node: string; apps: string[] } => {
    const rng = new Rng(hashSeed(seed, STREAM_CYCLE, u, cycle));
    const node = rng.pick(nodes);
    const opened = apps === 0 ? [] : Array.from({ length: rng.int(1, 3) }, () => rng.pick(appIds));
    return { node, apps: opened };
  };

  let pick = new Rng(hashSeed(seed, STREAM_PICK));
  let cycles = new Uint32Array(users);
  let positions = new Uint8Array(users);
  let next = 0;
  let last = '';

  const step = (): string => {
    const u = pick.int(0, users - 1);
    const cycle = cycles[u] ?? 0;
    const position = positions[u] ?? 0;
    const plan = planCycle(u, cycle);
    const n = plan.apps.length;
    let kind: EventKind;
    let appId: string | undefined;
    if (position === 0) kind = 'session.start';
    else if (position <= n) [kind, appId] = ['connection.open', plan.apps[position - 1]];
    else if (position <= 2 * n) [kind, appId] = ['connection.close', plan.apps[position - n - 1]];
    else kind = 'session.stop';
    if (kind === 'session.stop') {
      cycles[u] = cycle + 1;
      positions[u] = 0;
    } else {
      positions[u] = position + 1;
    }
    const connection = kind === 'connection.open' || kind === 'connection.close';
    return formatDatagram({
      kind,
      host: plan.node,
      directory: USER_DIRECTORY,
      userId: userIds[u] ?? '',
      appId,
      userAgent: connection ? agents[u] : undefined,
    });
  };

  return (i: number): string => {
    if (!Number.isSafeInteger(i) || i < 0 || i >= count) {
      throw new RangeError(`datagram index must be an integer from 0 to ${count - 1} (got ${i})`);
    }
    if (i < next - 1) {
      pick = new Rng(hashSeed(seed, STREAM_PICK));
      cycles = new Uint32Array(users);
      positions = new Uint8Array(users);
      next = 0;
    }
    while (next <= i) {
      last = step();
      next++;
    }
    return last;
  };
}
