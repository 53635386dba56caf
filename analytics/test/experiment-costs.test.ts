/**
 * Watch share per rung and storage cost per arm in `GET /api/v1/experiments/:id/results`, on chdb and
 * a scratch PostgreSQL catalog: the videos' published records carry bytes per rendition (as
 * transcode writes them), an encoded arm sums its own record, a derived arm the source renditions it
 * keeps; views of each arm's viewers at known rungs go in as the consumer writes them. Expected
 * numbers are worked out by hand below.
 */
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { type ExperimentResults, experimentVariant } from '@streamloop/core/experiments';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { eventually, makeLadderRecord, makePackagedRendition, uniqueName } from '@streamloop/core/testing';
import { afterAll, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { openChdbSession, viewsCaughtUp } from './chdb-session.js';
import { experimentResultsApp, startTwoArmExperiment } from './experiment-results-app.js';
import { rowsOf, viewBeacons } from './make-beacon.js';

const HOUR_MS = 3_600_000;

const chdb = await openChdbSession();
const scratch = await createScratchDatabase(postgresUrl(), 'analytics_experiment_costs');
const catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
await catalog.migrate();
afterAll(async () => {
  await catalog.close();
  await scratch.drop();
  await chdb.close();
});

const rung = (height: number, videoBitrateKbps: number, storageBytes: number) =>
  makePackagedRendition({
    name: `${height}p`,
    height,
    width: Math.round((height * 16) / 9),
    shortSide: height,
    videoBitrateKbps,
    storageBytes,
  });
const record = (renditions: ReturnType<typeof rung>[], audioBytes: number) => {
  const base = makeLadderRecord({ ladderVersion: DEFAULT_LADDER.version });
  return { ...base, renditions, audio: base.audio && { ...base.audio, storageBytes: audioBytes } };
};

it('states play time per rung and what each arm’s ladder stores and costs a month', async () => {
  const a = await insertVideo(catalog, {
    title: 'a',
    status: 'ready',
    ladder: record(
      [rung(1080, 5000, 50_000_000), rung(720, 3000, 30_000_000), rung(360, 800, 10_000_000)],
      2_000_000,
    ),
  });
  const b = await insertVideo(catalog, {
    title: 'b',
    status: 'ready',
    ladder: record([rung(720, 3000, 20_000_000), rung(360, 800, 8_000_000)], 1_000_000),
  });
  const experiment = await startTwoArmExperiment(catalog, { name: 'costs', videoIds: [a.id, b.id] });
  const { startedAtMs } = experiment;

  // Control: 30 s at 360p@800, 90 s at 1080p@5000. no-low: 60 s at 720p@3000, 60 s at 1080p@5000.
  const views: [arm: string, height: number, kbps: number, ms: number][] = [
    ['control', 360, 800, 30_000],
    ['control', 1080, 5000, 90_000],
    ['no-low', 720, 3000, 60_000],
    ['no-low', 1080, 5000, 60_000],
  ];
  const rows = views.flatMap(([arm, height, bitrateKbps, ms], i) => {
    const beacons = viewBeacons({
      videoId: a.id,
      viewId: uniqueName(`view-${i}`),
      viewerId: `viewer-${i}`,
      startupTimeMs: 500,
      heartbeatsWatchMs: [ms],
      bitrateKbps,
    }).map((beacon) => ({
      ...beacon,
      variant: experimentVariant(experiment.id, arm),
      ...(beacon.event === 'heartbeat' ? { height, width: Math.round((height * 16) / 9) } : {}),
    }));
    return rowsOf(beacons, startedAtMs + 60_000);
  });
  await createBeaconsTable(chdb.store).insert(rows, uniqueName('insert'));
  await eventually('views of the experiment', async () =>
    (await viewsCaughtUp(chdb.store, a.id)) ? true : undefined,
  );

  const { app, results: resultsOf } = experimentResultsApp({
    store: chdb.store,
    catalog,
    now: startedAtMs + 2 * HOUR_MS,
  });
  const results = (query = '') => resultsOf(experiment.id, query);

  const body = await results();
  const share = (arm: string) =>
    body.arms
      .find((x) => x.name === arm)
      ?.rungShare.map((r) => [r.rendition, r.viewers, r.playTimeMs, r.playTimePercent]);
  // Control 30 + 90 = 120 s: 25 % and 75 %; no-low 60 + 60 s: 50 % each. Highest bitrate first.
  expect(share('control')).toEqual([
    ['1080p@5000kbps', 1, 90_000, 75],
    ['360p@800kbps', 1, 30_000, 25],
  ]);
  expect(share('no-low')).toEqual([
    ['1080p@5000kbps', 1, 60_000, 50],
    ['720p@3000kbps', 1, 60_000, 50],
  ]);

  // Control stores everything: a 50 + 30 + 10 + 2 audio = 92 MB, b 20 + 8 + 1 = 29 MB: 121 MB.
  // no-low keeps the rungs ≥ 480p: a 50 + 30 + 2 = 82 MB, b 20 + 1 = 21 MB: 103 MB.
  // At S3 Standard's $0.023 per GB-month: 0.121 × 0.023 = $0.002783, 0.103 × 0.023 = $0.002369.
  expect(body.storageUsdPerGbMonth).toBe(0.023);
  expect(body.storageVideos).toBe(2);
  const costs = (r: ExperimentResults) =>
    r.arms.map((x) => [x.name, x.storageBytes, x.storageCostUsdPerMonth]);
  const [control, noLow] = costs(body);
  expect(control?.slice(0, 2)).toEqual(['control', 121_000_000]);
  expect(control?.[2]).toBeCloseTo(0.002783, 9);
  expect(noLow?.slice(0, 2)).toEqual(['no-low', 103_000_000]);
  expect(noLow?.[2]).toBeCloseTo(0.002369, 9);
  // A price of one's own: $1 per GB-month.
  const [ownControl, ownNoLow] = costs(await results('?storageUsdPerGbMonth=1'));
  expect(ownControl?.[2]).toBeCloseTo(0.121, 12);
  expect(ownNoLow?.[2]).toBeCloseTo(0.103, 12);
  await app.close();
});
