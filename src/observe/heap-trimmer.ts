import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** One memory-reducing collection of this isolate's heap, and the heap's size around it. */
export interface HeapTrim {
  readonly beforeBytes: number;
  readonly afterBytes: number;
  readonly ms: number;
}

export interface HeapTrimmer {
  /** The heap V8 holds (committed), used and free. */
  heapBytes(): number;
  trim(): HeapTrim;
}

/**
 * The trimmer over V8's `gc`, which the launchers expose (`--expose-gc`, core/node-flags.ts);
 * null when the process was started without it: the heap is then never trimmed, and the
 * start-up log line names the missing flag.
 *
 * The "last-resort" flavour is the collection V8 runs before it gives up on memory: it shrinks
 * the young generation back to its start size, compacts the old one and unmaps the freed
 * pages. A plain major collection freed half as much and left most of it mapped.
 */
export function v8HeapTrimmer(gc: NodeJS.GCFunction | undefined = globalThis.gc): HeapTrimmer | null {
  if (typeof gc !== 'function') return null;
  const heapBytes = (): number => getHeapStatistics().total_heap_size;
  return {
    heapBytes,
    trim() {
      const beforeBytes = heapBytes();
      const began = performance.now();
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      return { beforeBytes, afterBytes: heapBytes(), ms: performance.now() - began };
    },
  };
}
