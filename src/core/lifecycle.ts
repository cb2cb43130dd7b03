/**
 * Every I/O component has `start()` and an idempotent `stop(deadline)` that is safe to call
 * without start. `deadline` is an epoch-ms instant after which stop gives up waiting.
 */
export interface Lifecycle {
  start(): Promise<void>;
  stop(deadline: number): Promise<void>;
}
