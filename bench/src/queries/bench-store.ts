/**
 * A scratch chdb database named `bench` in a temporary directory, for the query benches
 * (run-queries-bench.ts, experiments/results-bench.ts), and the timer they share.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';

export async function openBenchStore(
  name: string,
): Promise<{ store: AnalyticsStore; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `streamloop-bench-${name}-`));
  const store = await createChdbAnalyticsStore({
    path: join(dir, 'clickhouse'),
    database: 'bench',
    logger: { warn: () => undefined, error: (o: unknown) => console.error(o) },
  });
  return {
    store,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}
