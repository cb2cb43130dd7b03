import { constants, PerformanceObserver } from 'node:perf_hooks';
import type { Lifecycle } from '../core/lifecycle.js';

/**
 * The heap in use right after the last full (mark-compact) garbage collection: the live set.
 * Heap used and RSS between collections include garbage V8 has not collected yet, so on a busy
 * sidecar they saw-tooth by hundreds of MB; this reading only grows if something is kept.
 */
export class LiveHeap implements Lifecycle {
  private observer: PerformanceObserver | undefined;
  private liveBytes: number | null = null;
  private collections = 0;

  constructor(private readonly heapUsed: () => number = () => process.memoryUsage().heapUsed) {}

  /** Null until the first full collection. */
  get bytes(): number | null {
    return this.liveBytes;
  }

  get fullCollections(): number {
    return this.collections;
  }

  start(): Promise<void> {
    if (this.observer !== undefined) return Promise.resolve();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const { detail } = entry as unknown as { detail?: { kind?: number } };
        if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
        this.collections++;
        this.liveBytes = this.heapUsed();
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.observer?.disconnect();
    this.observer = undefined;
    return Promise.resolve();
  }
}
