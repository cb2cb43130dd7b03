import { join } from 'node:path';
import { segmentName } from './io.js';
import type { Recovery } from './recovery.js';

/**
 * The one state the disk outbox's parts share: the segment list, which segment is being
 * written, the pending counts and totals, the last problem, the closed flag and the waiters.
 * The writer (segment-writer.ts), the read window (read-window.ts) and the acknowledgement
 * ledger (ack-ledger.ts) each keep their own positions and read or update this; none of them
 * owns it.
 *
 * Invariants: `segments` is in sequence order and always ends with `write` (segments before it
 * are never written again); `pendingRecords` / `pendingBytes` count the records appended and
 * neither acknowledged nor set aside as bad, each as its encoded frame.
 */

/** Pause before a failed write, fsync or cursor write is tried again. */
export const RETRY_MS = 1_000;

export interface Segment {
  readonly seq: number;
  readonly path: string;
  /** Where its first record that counts starts (the cursor's offset at open; else 0). */
  readonly base: number;
  /** Logical end: bytes in the file plus bytes buffered for it. */
  size: number;
  /** Bytes written to the file. */
  flushed: number;
  /** Bytes known to be on stable storage. */
  synced: number;
  /** Records from `base` to `size`. */
  records: number;
  /** Write descriptor (segments written in this run, until synced and retired). */
  fd: number | null;
  created: boolean;
  /** Offset of a bad frame found when reading; the segment goes to quarantine when acknowledged past. */
  damagedAt: number | null;
}

export class OutboxState {
  readonly segments: Segment[];
  /** The segment appends go to (the last of `segments`). */
  write: Segment;

  pendingRecords: number;
  pendingBytes: number;
  /** Records appended since open. */
  appendedTotal = 0;
  /** Records set aside as bad since open (including those found by open). */
  corruptTotal: number;
  /** The last I/O or data problem, naming the path. */
  problem: string | null = null;
  closed = false;

  readonly notEmptyWaiters: (() => void)[] = [];
  readonly emptyWaiters: (() => void)[] = [];

  constructor(
    readonly dir: string,
    recovery: Recovery,
  ) {
    this.segments = recovery.segments.map((s) => ({
      seq: s.seq,
      path: s.path,
      base: s.base,
      size: s.size,
      flushed: s.size,
      synced: s.size,
      records: s.records,
      fd: null,
      created: true,
      damagedAt: null,
    }));
    this.write = this.newSegment(recovery.nextSeq);
    this.segments.push(this.write);
    this.pendingRecords = recovery.segments.reduce((sum, s) => sum + s.records, 0);
    this.pendingBytes = recovery.segments.reduce((sum, s) => sum + s.size - s.base, 0);
    this.corruptTotal = recovery.corrupt;
  }

  /** The oldest segment that still counts (the one being written when there is no other). */
  get first(): Segment {
    return this.segments[0] ?? this.write;
  }

  /** The segment after `seg`; undefined for the last one. */
  after(seg: Segment): Segment | undefined {
    return this.segments[this.segments.indexOf(seg) + 1];
  }

  /** Starts a new segment to write (nothing of it on disk yet); the one before is never written again. */
  startSegment(): Segment {
    const seg = this.newSegment(this.write.seq + 1);
    this.segments.push(seg);
    this.write = seg;
    return seg;
  }

  wakeNotEmpty(): void {
    wake(this.notEmptyWaiters.splice(0));
  }

  wakeEmpty(): void {
    wake(this.emptyWaiters.splice(0));
  }

  private newSegment(seq: number): Segment {
    return {
      seq,
      path: join(this.dir, segmentName(seq)),
      base: 0,
      size: 0,
      flushed: 0,
      synced: 0,
      records: 0,
      fd: null,
      created: false,
      damagedAt: null,
    };
  }
}

export function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}

function wake(waiters: (() => void)[]): void {
  for (const resolve of waiters) resolve();
}
