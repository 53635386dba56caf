import { defineConfig } from 'vitest/config';

// Forks, not threads: chdb and the Kafka client hold native or socket state per process.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
