import { defineConfig } from 'vitest/config';

// Forks, not threads: chdb and the Kafka client hold native or socket state per process.
// 180 s: a worker test waits for real encodes (niced) on 2 cores shared with every other suite.
export default defineConfig({
  test: { pool: 'forks', testTimeout: 180_000, hookTimeout: 120_000, reporters: ['verbose'] },
});
