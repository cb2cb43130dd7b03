import { describe, expect, it } from 'vitest';
import { ClusterView } from '../../src/aggregate/cluster-view.js';
import { Folder } from '../../src/aggregate/folder.js';
import { HistoryStore } from '../../src/aggregate/history-store.js';
import type { HistorySink, ViewChange } from '../../src/aggregate/types.js';
import { MIN, T0, userEvent } from '../fixtures/aggregate/messages.js';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** A history that refuses while `failing` is set, and keeps what it was given otherwise. */
class FlakyHistory implements HistorySink {
  failing = false;
  readonly recorded: ViewChange[][] = [];
  record(changes: readonly ViewChange[]): void {
    if (this.failing) throw new Error('disk full');
    this.recorded.push([...changes]);
  }
}

describe('Folder: fold, commit, then acknowledge', () => {
  it('acknowledges only after the history committed, in order, and counts outcomes', () => {
    const history = new FlakyHistory();
    let changed = 0;
    const folder = new Folder({ view: new ClusterView(), history, onChange: () => (changed += 1) });
    const acked: string[] = [];
    const start = userEvent({ id: 's1', time: T0, kind: 'session.start' });
    expect(folder.fold(bytes(start), T0, () => acked.push('s1'))).toBe('applied');
    expect(folder.fold(bytes(start), T0, () => acked.push('s1-again'))).toBe('duplicate');
    expect(folder.fold('not json', T0, () => acked.push('junk'))).toBe('unparseable');
    expect(acked).toEqual([]);
    expect(folder.pending).toBe(3);

    history.failing = true;
    expect(folder.commit()).toBe(false);
    expect(acked).toEqual([]);
    expect(folder.failing).toBeInstanceOf(Error);

    history.failing = false;
    expect(folder.commit()).toBe(true);
    expect(acked).toEqual(['s1', 's1-again', 'junk']);
    expect(history.recorded).toEqual([[expect.objectContaining({ kind: 'session.opened', id: 's1' })]]);
    expect(folder.failing).toBeNull();
    expect(folder.stats()).toMatchObject({
      received: 3,
      unparseable: 1,
      outcomes: { applied: 1, duplicate: 1 },
      commits: 1,
      commitErrors: 1,
      acks: 3,
      pending: 0,
    });
    expect(changed).toBe(1);
    expect(Object.fromEntries(folder.loginsPerNode())).toEqual({ 'SENSE-NODE1': 1 });
  });

  it('commits expiries like messages, without acknowledging anything', () => {
    const store = new HistoryStore(':memory:');
    const folder = new Folder({ view: new ClusterView({ idleTimeoutMs: 10 * MIN }), history: store });
    folder.fold(bytes(userEvent({ id: 's1', time: T0, kind: 'session.start' })), T0, null);
    expect(folder.expire(T0 + 11 * MIN)).toBe(1);
    expect(folder.commit()).toBe(true);
    expect(store.userSessions('CORP\\jdoe', { from: T0, to: T0 + HOURS })).toEqual([
      expect.objectContaining({ id: 's1', end: T0 + 11 * MIN, endReason: 'timeout' }),
    ]);
  });

  it('bounds what waits while commits fail, counting the changes given up', () => {
    const history = new FlakyHistory();
    history.failing = true;
    const folder = new Folder({ view: new ClusterView(), history, maxPending: 2 });
    for (let i = 0; i < 5; i++) {
      folder.fold(
        bytes(userEvent({ id: `s${i}`, time: T0 + i, kind: 'session.start', user: `CORP\\u${i}` })),
        T0,
        null,
      );
    }
    expect(folder.pending).toBe(2);
    expect(folder.stats().changesDropped).toBe(3);
    history.failing = false;
    folder.commit();
    expect(history.recorded[0]?.map((c) => c.id)).toEqual(['s3', 's4']);
  });
});

const HOURS = 3_600_000;
