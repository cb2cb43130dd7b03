/**
 * The intervals of one key: the sessions of one user on one host, or the connections of one
 * user to one app on one host. Nothing on the wire says which session a stop ends, so a key's
 * sessions are a multiset of start times, and the ends are matched to starts by a fixed rule:
 *
 *   replay the key's starts and ends in order of (time, id); an end closes the OLDEST open
 *   interval(s) (a stop or close one, an expiry `sessions` of them); an end with nothing open
 *   is unmatched (a stale stop: its start was lost or came before the aggregator did) and
 *   never makes a count negative.
 *
 * Why the oldest: the API shows a session's start, and a user who logs in again while an older
 * session lingers (a lost stop, a forgotten tab) most likely ended the older one first; FIFO
 * also makes a lost stop leave the newest session open, which an expiry then closes. The rule
 * is the same whatever order the events arrive in, which is what makes the view independent of
 * arrival order: ids are ULIDs, so (time, id) is the sidecar's own order within a millisecond.
 *
 * Arrival order: an event that sorts after every event of the key is matched at once (the fast
 * path). An earlier one (a stop that arrived before its start, a redelivery after a restart) is
 * inserted in order and the key's recent events are replayed; the intervals whose end changed
 * are reported (closed with a new end, or reopened). To stay bounded, events more than the
 * reorder window older than the key's newest are folded into a base: what was open at that
 * point. An event older than the last folded one cannot be placed exactly; it is replayed as if
 * it were the oldest event of the window (`beyond-window`, counted by the view), and an end
 * still never closes a start newer than itself.
 */

import type { UserRef } from '../core/events.js';

export type EndKind = 'stop' | 'expired' | 'close' | 'timeout' | 'evicted';

export interface LedgerItem {
  readonly id: string;
  readonly time: number;
  /** For an end: how many intervals it closes (1, or an expiry's `sessions`); 0 for a start. */
  readonly ends: number;
  /** Null for a start. */
  readonly reason: EndKind | null;
  /** A start: the user as its event spelled it (shown for this interval); null for an end. */
  readonly user: UserRef | null;
  /** A start: the end that closes it now, or null while it is open. */
  endedBy: LedgerItem | null;
  /** An end: how many intervals it closes now. */
  closed: number;
}

export function startItem(id: string, time: number, user: UserRef | null = null): LedgerItem {
  return { id, time, ends: 0, reason: null, user, endedBy: null, closed: 0 };
}

export function endItem(id: string, time: number, ends: number, reason: EndKind): LedgerItem {
  return { id, time, ends, reason, user: null, endedBy: null, closed: 0 };
}

/** An interval opened, closed (or its end moved) or reopened, by the last add. */
export interface LedgerChange {
  readonly type: 'opened' | 'closed' | 'reopened';
  readonly start: LedgerItem;
}

export type AddOutcome = 'in-order' | 'late' | 'beyond-window';

/** Events kept per key however recent; more are folded oldest first (a flood on one key). */
export const MAX_LEDGER_EVENTS = 4096;

/** Order of replay: time, then id (ULIDs count up within a millisecond). */
export function compareItems(a: LedgerItem, b: LedgerItem): number {
  if (a.time !== b.time) return a.time - b.time;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class Ledger {
  /**
   * Folded starts that are open, or closed by an end still in `events` (a replay may give
   * that end to another start). Sorted.
   */
  private base: LedgerItem[] = [];
  /** Starts and ends within the reorder window, sorted. */
  private events: LedgerItem[] = [];
  /** Open starts, oldest first. */
  open: LedgerItem[] = [];
  /** End counts that closed nothing (stale stops/closes), including folded ones. */
  unmatched = 0;
  /** The part of `unmatched` owed to expiries. */
  unmatchedExpired = 0;
  private foldedUnmatched = 0;
  private foldedUnmatchedExpired = 0;
  /** The greatest folded item: an add below it is beyond the window. */
  private folded: LedgerItem | null = null;
  /** The greatest item added. */
  last: LedgerItem | null = null;

  /** True when nothing is open and nothing is kept for reordering. */
  get empty(): boolean {
    return this.open.length === 0 && this.events.length === 0 && this.base.length === 0;
  }

  /** Adds a start or end, reporting what changed into `out`. The item must be new (ids unique). */
  add(item: LedgerItem, out: LedgerChange[]): AddOutcome {
    if (this.last === null || compareItems(item, this.last) > 0) {
      this.last = item;
      this.events.push(item);
      this.step(item, out);
      return 'in-order';
    }
    const outcome = this.folded !== null && compareItems(item, this.folded) < 0 ? 'beyond-window' : 'late';
    insertSorted(this.events, item);
    this.replay(item, out);
    return outcome;
  }

  /** A start that was open before this process (restored from the history): base, no change. */
  restoreOpen(item: LedgerItem): void {
    insertSorted(this.base, item);
    insertSorted(this.open, item);
    if (this.last === null || compareItems(item, this.last) > 0) this.last = item;
    if (this.folded === null || compareItems(item, this.folded) > 0) this.folded = item;
  }

  /** Folds events older than `horizon` (and any beyond MAX_LEDGER_EVENTS) into the base. */
  fold(horizon: number): void {
    let n = 0;
    while (n < this.events.length) {
      const e = this.events[n];
      if (e === undefined || (e.time >= horizon && this.events.length - n <= MAX_LEDGER_EVENTS)) break;
      n += 1;
      if (this.folded === null || compareItems(e, this.folded) > 0) this.folded = e;
      if (e.reason === null) {
        insertSorted(this.base, e);
      } else {
        this.foldedUnmatched += e.ends - e.closed;
        if (e.reason === 'expired') this.foldedUnmatchedExpired += e.ends - e.closed;
        if (e.closed > 0) this.base = this.base.filter((s) => s.endedBy !== e);
      }
    }
    if (n > 0) this.events.splice(0, n);
  }

  /**
   * Removes an open start altogether (the view's cap on open intervals per key, timeouts):
   * it takes no further part in matching. Returns false when it is not open.
   */
  removeOpen(start: LedgerItem): boolean {
    const at = this.open.indexOf(start);
    if (at < 0) return false;
    this.open.splice(at, 1);
    removeItem(this.base, start);
    removeItem(this.events, start);
    return true;
  }

  private step(item: LedgerItem, out: LedgerChange[]): void {
    if (item.reason === null) {
      this.open.push(item);
      out.push({ type: 'opened', start: item });
      return;
    }
    const k = Math.min(item.ends, this.open.length);
    for (let i = 0; i < k; i++) {
      const s = this.open[i];
      if (s === undefined) continue;
      s.endedBy = item;
      out.push({ type: 'closed', start: s });
    }
    if (k > 0) this.open.splice(0, k);
    item.closed = k;
    this.unmatched += item.ends - k;
    if (item.reason === 'expired') this.unmatchedExpired += item.ends - k;
  }

  /** Matches again from the base; reports every start whose end changed. */
  private replay(added: LedgerItem, out: LedgerChange[]): void {
    const starts: LedgerItem[] = [...this.base];
    for (const e of this.events) if (e.reason === null) starts.push(e);
    const before = starts.map((s) => s.endedBy);
    for (const s of starts) s.endedBy = null;
    const queue = [...this.base];
    let unmatched = this.foldedUnmatched;
    let unmatchedExpired = this.foldedUnmatchedExpired;
    for (const e of this.events) {
      if (e.reason === null) {
        insertSorted(queue, e);
        continue;
      }
      // Only starts before the end: always so in order, but base items can be newer than an
      // event placed beyond the window.
      let k = 0;
      while (k < e.ends && k < queue.length) {
        const s = queue[k];
        if (s === undefined || compareItems(s, e) > 0) break;
        s.endedBy = e;
        k += 1;
      }
      if (k > 0) queue.splice(0, k);
      e.closed = k;
      unmatched += e.ends - k;
      if (e.reason === 'expired') unmatchedExpired += e.ends - k;
    }
    this.open = queue;
    this.unmatched = unmatched;
    this.unmatchedExpired = unmatchedExpired;
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i];
      if (s === undefined) continue;
      if (s === added) {
        out.push({ type: 'opened', start: s });
        if (s.endedBy !== null) out.push({ type: 'closed', start: s });
      } else if (s.endedBy !== before[i]) {
        out.push({ type: s.endedBy === null ? 'reopened' : 'closed', start: s });
      }
    }
  }
}

/** Inserts keeping (time, id) order; appending (the common case) is O(1). */
function insertSorted(list: LedgerItem[], item: LedgerItem): void {
  let at = list.length;
  while (at > 0) {
    const prev = list[at - 1];
    if (prev === undefined || compareItems(prev, item) <= 0) break;
    at -= 1;
  }
  if (at === list.length) list.push(item);
  else list.splice(at, 0, item);
}

function removeItem(list: LedgerItem[], item: LedgerItem): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}
