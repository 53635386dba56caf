import { defineConfig } from 'vitest/config';

// Forks, not threads: the browser test drives a Chromium child process.
export default defineConfig({
  test: { pool: 'forks', testTimeout: 60_000, hookTimeout: 120_000, reporters: ['verbose'] },
});
