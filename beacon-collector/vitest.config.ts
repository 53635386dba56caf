import { defineConfig } from 'vitest/config';

// Forks, not threads: the Kafka client holds socket state per process.
export default defineConfig({
  test: { pool: 'forks', testTimeout: 60_000, hookTimeout: 120_000, reporters: ['verbose'] },
});
