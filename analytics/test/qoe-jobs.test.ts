/**
 * The cron jobs' work on chdb: a late beacon reaches a rolled-up minute on the next rollup run, and
 * retention drops old raw data while the rollups keep answering for it. Both jobs run twice.
 */
import { makeBeacon, uniqueName } from '@streamloop/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { runRetention } from '../src/jobs/retention-job.js';
import { runRollup } from '../src/jobs/rollup-job.js';
import { getOverview } from '../src/qoe-queries.js';
import { openChdbSession, storedRows } from './chdb-session.js';
import { rowsOf, viewBeacons } from './make-beacon.js';

const chdb = await openChdbSession();
const table = createBeaconsTable(chdb.store);
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 3600 * 1000;

afterAll(() => chdb.close());

describe('rollup job', () => {
  it('recomputes a rolled-up minute when a late beacon of its view arrives', async () => {
    const videoId = uniqueName('late-video');
    const startMs = Date.UTC(2025, 6, 1, 8, 0, 0);
    const range = { videoId, fromMs: startMs, toMs: startMs + MINUTE_MS };
    const view = { videoId, viewId: uniqueName('late-view'), viewerId: 'viewer-late', startupTimeMs: 800 };
    await table.insert(
      rowsOf(viewBeacons({ ...view, heartbeatsWatchMs: [10_000] }), startMs),
      uniqueName('t'),
    );
    const rolled = await runRollup(chdb.store, { nowMs: startMs + 3600_000 });
    expect(rolled.watermarkMs).toBeGreaterThan(startMs);
    expect(await getOverview(chdb.store, range)).toMatchObject({ plays: 1, watchTimeMs: 10_000 });

    // 65 minutes later a heartbeat the page had queued offline arrives (10 s more).
    const lateMs = startMs + 65 * MINUTE_MS;
    const late = makeBeacon({
      ...view,
      sessionId: `session-${view.viewId}`,
      event: 'heartbeat',
      watchTimeMs: 10_000,
    });
    await table.insert(rowsOf([late], lateMs), uniqueName('t'));
    for (let run = 0; run < 2; run++) {
      await runRollup(chdb.store, { nowMs: lateMs + MINUTE_MS });
      expect(await getOverview(chdb.store, range)).toMatchObject({ plays: 1, watchTimeMs: 20_000 });
    }
  });
});

describe('retention job', () => {
  it('drops raw days past retention, keeps the rollups answering for them, and can run twice', async () => {
    const videoId = uniqueName('old-video');
    const nowMs = Date.UTC(2025, 9, 1, 12, 0, 0);
    const oldMs = nowMs - 100 * DAY_MS;
    const recentMs = nowMs - 2 * DAY_MS;
    const oldRange = { videoId, fromMs: oldMs, toMs: oldMs + MINUTE_MS };
    const view = (id: string) =>
      viewBeacons({ videoId, viewId: uniqueName(id), viewerId: id, startupTimeMs: 600 });
    const oldView = view('old');
    await table.insert(rowsOf(oldView, oldMs), uniqueName('t'));
    await table.insert(rowsOf(view('recent'), recentMs), uniqueName('t'));
    await runRollup(chdb.store, { nowMs });
    expect(await storedRows(chdb.store, videoId)).toBe(2 * oldView.length);

    const first = await runRetention(chdb.store, { nowMs, rawDays: 90, rollupDays: 400 });
    const oldDay = new Date(oldMs).toISOString().slice(0, 10).replaceAll('-', '');
    expect(first.dropped).toEqual(
      expect.arrayContaining([
        { table: 'beacons_v1', partition: oldDay },
        { table: 'views_v1', partition: oldDay },
      ]),
    );
    expect(first.dropped.some((d) => d.table.startsWith('qoe_'))).toBe(false);
    // The raw beacons of 100 days ago are gone, the recent ones stay...
    expect(await storedRows(chdb.store, videoId)).toBe(oldView.length);
    // ...and the old view is still counted, from the per-minute rollups.
    expect(await getOverview(chdb.store, oldRange)).toMatchObject({ plays: 1, startupTimeMs: { p50: 600 } });

    const second = await runRetention(chdb.store, { nowMs, rawDays: 90, rollupDays: 400 });
    expect(second.dropped).toEqual([]);
  });

  it('refuses a retention of less than one whole day', async () => {
    await expect(
      runRetention(chdb.store, { nowMs: Date.now(), rawDays: 0, rollupDays: 400 }),
    ).rejects.toThrow(/≥ 1 whole day/);
  });
});
