import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests each start their own nats-server on a free port, so files may run in parallel.
    pool: 'forks',
    coverage: { provider: 'v8', include: ['src/**'] },
  },
});
