/**
 * Upgrading a store that holds beacons from before migration 002: the old rows keep reading as the
 * SDK's beacons (source 'sdk', new fields absent), and 002's statements can run again harmlessly.
 * Upgrading one with views and rollups from before 007: old views and rollup rows read as real, and
 * simulated beacons stored before 007 end up synthetic, in the views and in the rollups alike.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { listMigrations, runMigrations } from '@streamloop/analytics-store/migrate';
import { makeBeacon, uniqueName } from '@streamloop/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BEACONS_TABLE,
  type BeaconsTarget,
  createBeaconsTable,
  toDateTime64Text,
} from '../src/beacons-table.js';
import { runRollup } from '../src/jobs/rollup-job.js';
import { MIGRATIONS_DIR } from '../src/migrations-dir.js';
import { getOverview } from '../src/qoe-queries.js';
import { ROLLUP_STATE_NAME, readWatermarkMs } from '../src/qoe-sources.js';
import { getSessionBeacons } from '../src/session-queries.js';
import { listViews } from '../src/view-list-queries.js';
import { rowsOf, viewBeacons } from './make-beacon.js';

const dir = await mkdtemp(join(tmpdir(), 'streamloop-analytics-migrations-'));
const store = await createChdbAnalyticsStore({
  path: join(dir, 'clickhouse'),
  database: uniqueName('analytics_upgrade'),
  logger: { warn: () => undefined, error: () => undefined },
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('migration 002 on a store with beacons from before it', () => {
  it('reads the old rows as SDK beacons without the new fields', async () => {
    const only001 = join(dir, 'migrations-001');
    await mkdir(only001);
    await copyFile(join(fileURLToPath(MIGRATIONS_DIR), '001_beacons.sql'), join(only001, '001_beacons.sql'));
    expect(await store.migrate(only001)).toEqual(['001_beacons']);

    const receivedAtMs = Date.UTC(2025, 5, 1, 12, 0, 0);
    const old = makeBeacon({
      sessionId: 'old-session',
      videoId: 'old-video',
      event: 'firstframe',
      startupTimeMs: 700,
    });
    // The row exactly as the consumer of the slice wrote it: only 001's columns.
    await store.client.insert({
      table: `${store.database}.${BEACONS_TABLE}`,
      format: 'JSONEachRow',
      values: [
        {
          beacon_id: old.beaconId,
          event: old.event,
          session_id: old.sessionId,
          view_id: old.viewId,
          viewer_id: old.viewerId,
          video_id: old.videoId,
          seq: old.seq,
          client_time_ms: old.clientTimeMs,
          monotonic_ms: old.monotonicMs,
          startup_time_ms: 700,
          received_at: new Date(receivedAtMs).toISOString().slice(0, 23).replace('T', ' '),
          kafka_partition: 0,
          kafka_offset: '0',
        },
      ],
    });

    expect(await store.migrate(MIGRATIONS_DIR)).toEqual([
      '002_beacon_qoe_fields',
      '003_beacon_context',
      '004_views',
      '005_qoe_rollups',
      '006_synthetic',
      '007_synthetic_views',
      '008_views_dedup_window',
      '009_experiment_exposures',
      '010_experiment_viewer_minutes',
      '011_recommendation_beacons',
      '012_rendition_qoe',
    ]);
    const { beacons } = await getSessionBeacons(store, {
      sessionId: 'old-session',
      limit: 10,
      synthetic: 'real',
    });
    expect(beacons).toEqual([{ ...old, source: 'sdk', receivedAtMs }]);
    const overview = await getOverview(store, {
      videoId: 'old-video',
      fromMs: receivedAtMs - 1,
      toMs: receivedAtMs + 1,
    });
    expect(overview).toMatchObject({ plays: 1, startupTimeMs: { p50: 700 } });
  });

  it('can run its statements again (a migration interrupted halfway converges)', async () => {
    await store.migrate(MIGRATIONS_DIR);
    const [, second] = await listMigrations(MIGRATIONS_DIR, store.database);
    expect(second?.name).toBe('002_beacon_qoe_fields');
    for (const statement of second?.statements ?? []) await store.client.command({ query: statement });
  });
});

/** The migrations of MIGRATIONS_DIR up to and including `last`, in a folder of their own. */
async function migrationsThrough(last: string): Promise<string> {
  const folder = join(dir, `migrations-through-${last}`);
  await mkdir(folder, { recursive: true });
  for (const { name } of await listMigrations(MIGRATIONS_DIR, 'x')) {
    if (name > last) break;
    await copyFile(join(fileURLToPath(MIGRATIONS_DIR), `${name}.sql`), join(folder, `${name}.sql`));
  }
  return folder;
}

describe('migration 007 on a store with views and rollups from before it', () => {
  // A database of its own in the same chdb session (one data directory per process).
  const target: BeaconsTarget = {
    client: store.client,
    database: uniqueName('analytics_upgrade_007'),
    insertNative: store.insertNative,
  };
  const migrate = (folder: URL | string) =>
    runMigrations(target.client, target.database, folder, async () => {
      await target.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${target.database}` });
    });
  const MINUTE_MS = 60_000;
  const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
  const T = NOW - 120 * MINUTE_MS;
  const videoId = uniqueName('video');
  const range = { videoId, fromMs: T, toMs: T + 10 * MINUTE_MS };
  const simulated = { synthetic: true, cohort: 'commuters', networkClass: '3g' } as const;
  // Minute T: a real view and a simulated one; T+1: simulated only; T+2: real only.
  const views = [
    { viewId: 'real-t', startupTimeMs: 500, atMs: T },
    { viewId: 'sim-t', startupTimeMs: 2_500, atMs: T, marking: simulated },
    { viewId: 'sim-t1', startupTimeMs: 3_500, atMs: T + MINUTE_MS, marking: simulated },
    { viewId: 'real-t2', startupTimeMs: 700, atMs: T + 2 * MINUTE_MS },
  ];

  it('keeps old views and rollups real, and marks the simulated views stored before it', async () => {
    expect((await migrate(await migrationsThrough('006_synthetic'))).at(-1)).toBe('006_synthetic');
    // What a 006 store holds: the beacons (006 already stores the marking), views_v1 rows from the
    // old materialized view (unmarked) and rollups the old job wrote, synthetic views counted as real.
    for (const { atMs, ...view } of views) {
      await createBeaconsTable(target).insert(
        rowsOf(viewBeacons({ videoId, viewerId: `viewer-${view.viewId}`, ...view }), atMs),
        view.viewId,
      );
    }
    const db = target.database;
    await target.client.command({
      query: `
        INSERT INTO ${db}.qoe_minute_v1 (minute, video_id, views, plays, started_views, computed_at)
        VALUES ({t0:DateTime('UTC')}, {videoId:String}, 2, 2, 2, now64(3)),
               ({t1:DateTime('UTC')}, {videoId:String}, 1, 1, 1, now64(3)),
               ({t2:DateTime('UTC')}, {videoId:String}, 1, 1, 1, now64(3))`,
      query_params: { videoId, t0: T / 1000, t1: (T + MINUTE_MS) / 1000, t2: (T + 2 * MINUTE_MS) / 1000 },
    });
    await target.client.insert({
      table: `${db}.qoe_rollup_state_v1`,
      values: [
        {
          name: ROLLUP_STATE_NAME,
          watermark: toDateTime64Text(T + 10 * MINUTE_MS).slice(0, 19),
          inserted_through: toDateTime64Text(Date.now()).slice(0, 19),
          updated_at: toDateTime64Text(Date.now()),
        },
      ],
      format: 'JSONEachRow',
    });

    expect(await migrate(MIGRATIONS_DIR)).toEqual([
      '007_synthetic_views',
      '008_views_dedup_window',
      '009_experiment_exposures',
      '010_experiment_viewer_minutes',
      '011_recommendation_beacons',
      '012_rendition_qoe',
    ]);

    // The views: old rows read real, the simulated ones are marked with their cohort.
    const listed = async (synthetic: 'real' | 'synthetic') =>
      (await listViews(target, { ...range, synthetic }, { limit: 10, order: 'newest' })).views.map((v) => ({
        viewId: v.viewId,
        synthetic: v.synthetic,
        cohort: v.cohort,
        networkClass: v.networkClass,
      }));
    expect(await listed('real')).toEqual([
      { viewId: 'real-t2', synthetic: false, cohort: '', networkClass: '' },
      { viewId: 'real-t', synthetic: false, cohort: '', networkClass: '' },
    ]);
    expect(await listed('synthetic')).toEqual([
      { viewId: 'sim-t1', synthetic: true, cohort: 'commuters', networkClass: '3g' },
      { viewId: 'sim-t', synthetic: true, cohort: 'commuters', networkClass: '3g' },
    ]);

    // The rollups: the two minutes that counted simulated views as real are gone; the real-only one stays.
    const rollupMinutes = async () => {
      const result = await target.client.query({
        query: `
          SELECT toUnixTimestamp(minute) * 1000 AS minute_ms, synthetic, sum(views) AS views
          FROM ${db}.qoe_minute_v1 FINAL WHERE video_id = {videoId:String}
          GROUP BY minute, synthetic ORDER BY minute, synthetic`,
        query_params: { videoId },
        format: 'JSONEachRow',
      });
      return (await result.json<{ minute_ms: string; synthetic: number; views: string }>()).map((row) => ({
        minuteMs: Number(row.minute_ms),
        synthetic: row.synthetic,
        views: Number(row.views),
      }));
    };
    expect(await rollupMinutes()).toEqual([{ minuteMs: T + 2 * MINUTE_MS, synthetic: 0, views: 1 }]);

    // The job's next run writes those minutes again from the marked views.
    await runRollup(target, { nowMs: NOW });
    expect(await rollupMinutes()).toEqual([
      { minuteMs: T, synthetic: 0, views: 1 },
      { minuteMs: T, synthetic: 1, views: 1 },
      { minuteMs: T + MINUTE_MS, synthetic: 1, views: 1 },
      { minuteMs: T + 2 * MINUTE_MS, synthetic: 0, views: 1 },
    ]);
    expect(await readWatermarkMs(target)).toBeGreaterThanOrEqual(range.toMs);
    expect(await getOverview(target, range)).toMatchObject({
      views: 2,
      plays: 2,
      startupTimeMs: { p50: 600 },
    });
    expect(await getOverview(target, { ...range, synthetic: 'synthetic' })).toMatchObject({
      views: 2,
      startupTimeMs: { p50: 3_000 },
    });
    expect(await getOverview(target, { ...range, synthetic: 'all' })).toMatchObject({ views: 4 });
  });

  it('can run its statements again and the numbers converge', async () => {
    const [seventh] = (await listMigrations(MIGRATIONS_DIR, target.database)).filter(
      (m) => m.name === '007_synthetic_views',
    );
    expect(seventh).toBeDefined();
    for (const statement of seventh?.statements ?? []) await target.client.command({ query: statement });
    await runRollup(target, { nowMs: NOW });
    expect(await getOverview(target, range)).toMatchObject({ views: 2, plays: 2 });
    expect(await getOverview(target, { ...range, synthetic: 'synthetic' })).toMatchObject({ views: 2 });
  });
});
