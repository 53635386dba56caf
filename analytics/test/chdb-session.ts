/**
 * One chdb session per test file (the engine binds one data directory per process), migrated with
 * the package's own migrations into a database of this file's own; and the QoE routes over it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { uniqueName } from '@streamloop/core/testing';
import type { ApiKeyOption } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { MIGRATIONS_DIR } from '../src/migrations-dir.js';
import { registerQoeRoutes } from '../src/qoe-routes.js';

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

/**
 * True once views_v1 holds every distinct SDK beacon of the video that beacons_v1 holds. An INSERT
 * makes the raw rows visible a moment before its materialized view has written views_v1, so a test
 * that saw the raw rows waits for this before it reads the QoE numbers.
 */
export async function viewsCaughtUp(store: AnalyticsStore, videoId: string): Promise<boolean> {
  const result = await store.client.query({
    query: `
      SELECT
        (SELECT uniqExact(beacon_id) FROM ${store.database}.beacons_v1
         WHERE video_id = {videoId:String} AND source = 'sdk') AS raw,
        (SELECT sum(length(b)) FROM (
           SELECT groupUniqArrayMerge(beacons) AS b FROM ${store.database}.views_v1
           WHERE video_id = {videoId:String} GROUP BY view_id)) AS views`,
    query_params: { videoId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ raw: string; views: string | null }>();
  return Number(row?.raw ?? 0) === Number(row?.views ?? 0);
}

/**
 * The shared HTTP app (its error handler included) with the QoE routes on `store`, for inject().
 * The hand-worked fixtures have one to four viewers a cell, so the privacy floor is off (k = 1) unless
 * asked for; privacy-floor.test.ts tests the floor at the production default.
 */
export function qoeTestApp(
  store: AnalyticsStore,
  options: { apiKey: ApiKeyOption; nowMs?: number; privacyMinViewers?: number | 'production default' },
): FastifyInstance {
  const app = buildHttpApp({
    logger: createLogger({ name: 'analytics-test', level: 'silent' }),
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  const { nowMs } = options;
  registerQoeRoutes(app, {
    analyticsStore: store,
    apiKey: options.apiKey,
    ...(options.privacyMinViewers === 'production default'
      ? {}
      : { privacyMinViewers: options.privacyMinViewers ?? 1 }),
    ...(nowMs === undefined ? {} : { now: () => nowMs }),
  });
  return app;
}
