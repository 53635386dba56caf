/**
 * Upgrading a store that holds beacons from before migration 002: the old rows keep reading as the
 * SDK's beacons (source 'sdk', new fields absent), and 002's statements can run again harmlessly.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { listMigrations } from '@streamloop/analytics-store/migrate';
import { makeBeacon, uniqueName } from '@streamloop/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BEACONS_TABLE } from '../src/beacons-table.js';
import { MIGRATIONS_DIR } from '../src/mount-analytics.js';
import { getOverview } from '../src/qoe-queries.js';
import { getSessionBeacons } from '../src/session-queries.js';

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
    ]);
    const { beacons } = await getSessionBeacons(store, { sessionId: 'old-session', limit: 10, synthetic: 'real' });
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
