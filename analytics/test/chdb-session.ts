/**
 * One chdb session per test file (the engine binds one data directory per process), migrated with
 * the package's own migrations into a database of this file's own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { uniqueName } from '@streamloop/core/testing';
import { MIGRATIONS_DIR } from '../src/mount-analytics.js';

export async function openChdbSession(): Promise<{ store: AnalyticsStore; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'streamloop-analytics-test-'));
  const store = await createChdbAnalyticsStore({
    path: join(dir, 'clickhouse'),
    database: uniqueName('analytics_test'),
    logger: { warn: () => undefined, error: () => undefined },
  });
  await store.migrate(MIGRATIONS_DIR);
  return {
    store,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Rows stored for a video, duplicates included (what deduplication at insert time must keep down). */
export async function storedRows(store: AnalyticsStore, videoId: string): Promise<number> {
  const result = await store.client.query({
    query: `SELECT count() AS n FROM ${store.database}.beacons_v1 WHERE video_id = {videoId:String}`,
    query_params: { videoId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0);
}
