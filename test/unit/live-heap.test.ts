import { describe, expect, it } from 'vitest';
import { LiveHeap } from '../../src/observe/live-heap.js';
import { waitFor } from '../helpers/wait.js';

describe('the live heap reading', () => {
  it('is null before a full collection and the heap in use right after one', async () => {
    let used = 1_000;
    const heap = new LiveHeap(() => used);
    expect(heap.bytes).toBeNull();
    await heap.start();
    try {
      // Garbage enough to make V8 collect in full: the reading follows each full collection.
      used = 42_000_000;
      await waitFor(
        () => {
          const garbage: unknown[] = [];
          for (let i = 0; i < 200_000; i++) garbage.push({ i, text: `x${i}` });
          return heap.fullCollections > 0;
        },
        'a full garbage collection',
        20_000,
      );
      expect(heap.bytes).toBe(42_000_000);
    } finally {
      await heap.stop();
    }
  });
});
