import { defineConfig } from 'vitest/config';

// Forks: each test file gets its own PGlite (WASM) catalog and, for the edge tests, its own nginx.
export default defineConfig({
  test: { pool: 'forks', testTimeout: 60_000, hookTimeout: 120_000, reporters: ['verbose'] },
});
