import { defineConfig } from 'vitest/config';

// Forks, not threads: the live-mode tests start the stack (chdb, Kafka clients) in child processes.
export default defineConfig({
  test: { pool: 'forks', testTimeout: 60_000, hookTimeout: 180_000, reporters: ['verbose'] },
});
