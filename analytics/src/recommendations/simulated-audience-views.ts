/**
 * The simulated audience of the offline evaluation (offline-evaluation.ts): an audience with planted
 * taste clusters drawn by playback-model's audience simulator (`planSessions`), each planned session
 * a view with a start time, stored as the beacons a simulated viewer sends — every one `synthetic`,
 * with its cohort and network class, as the simulator marks them — through the consumer's own row
 * mapping and the beacons table.
 *
 * Only who watched what and when reaches co-watch and decayed popularity, so a view is the SDK's
 * minimal beacon sequence (viewstart, playrequest, firstframe, one heartbeat, viewend), not a player
 * model run: the simulator's fast mode would spend its time on QoE this evaluation never reads.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { type Audience, parseAudience, planSessions } from '@streamloop/playback-model/audience';
import { createRandom } from '@streamloop/playback-model/random';
import { compactBeaconRowStep } from '../beacon-row-step.js';
import { type BeaconsTarget, type CompactBeaconRow, createBeaconsTable } from '../beacons-table.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** The simulated audience's single cohort, on every beacon. */
export const EVALUATION_COHORT = 'offline-evaluation';
const NETWORK_CLASS = 'lte';
/** Views start from this fixed instant on, so a seed gives the same beacons on every run. */
export const EVALUATION_START_MS = Date.UTC(2026, 0, 5);
/** Watch time of each view's heartbeat: what a view is does not matter here, only that it is one. */
const WATCH_MS = 60_000;
/** Beacons per insert: one Native block each. */
const ROWS_PER_INSERT = 20_000;

export interface SimulatedAudienceParameters {
  /** Seeds the plans (playback-model's per-viewer streams) and the start times. */
  seed: string;
  titles: number;
  /** Taste clusters; titles are dealt round-robin in popularity order, so each holds head and tail titles. */
  clusters: number;
  /** The chance a session stays in the viewer's cluster; 0 plants no taste (the control). */
  affinity: number;
  viewers: number;
  sessionsPerViewer: { min: number; max: number };
  /** Popularity of title rank r ∝ 1 / r^s, inside a cluster too (playback-model's Zipf picker). */
  zipfExponent: number;
  /** Views start uniformly over this many days from EVALUATION_START_MS (within the week the features read). */
  days: number;
}

export interface SimulatedView {
  viewerId: string;
  viewId: string;
  videoId: string;
  startedMs: number;
}

export const titleIdOf = (rank: number): string => `title-${String(rank).padStart(4, '0')}`;

/** Each taste cluster's titles, most popular first: the titles dealt round-robin in popularity order. */
export function tasteClusterTitles(parameters: SimulatedAudienceParameters): string[][] {
  return Array.from({ length: parameters.clusters }, (_, k) =>
    Array.from({ length: parameters.titles }, (_, rank) => rank)
      .filter((rank) => rank % parameters.clusters === k)
      .map(titleIdOf),
  );
}

/** The audience the parameters describe, checked by playback-model's own `parseAudience`. */
export function simulatedAudience(parameters: SimulatedAudienceParameters): Audience {
  const titles = Array.from({ length: parameters.titles }, (_, rank) => titleIdOf(rank));
  const clusterTitles = tasteClusterTitles(parameters);
  return parseAudience({
    viewers: parameters.viewers,
    titles,
    popularity: { zipfExponent: parameters.zipfExponent },
    tasteClusters: clusterTitles.map((own, k) => ({
      name: `taste-${k}`,
      titles: own,
      affinity: parameters.affinity,
    })),
    cohorts: [
      {
        name: EVALUATION_COHORT,
        share: 1,
        network: { class: NETWORK_CLASS },
        devices: [{ name: 'desktop', share: 1, viewport: { width: 1280, height: 720 } }],
        sessionsPerViewer: parameters.sessionsPerViewer,
        watch: { completionShare: 1, abandonHazardPerMin: 0 },
      },
    ],
  });
}

/**
 * The taste cluster (index into tasteClusterTitles) the simulator planned for `viewerId`, drawn as
 * `planSessions` draws it: from the viewer's stream (`${seed}:${viewerId}`), after the device pick
 * (one draw: the audience has a single device) — the next draw, `int(clusters)`. The offline
 * evaluation's oracles know it; no recommender does. A test checks it against the plans (affinity 1:
 * every view in the cluster), so a change of draw order in playback-model breaks that test, not the numbers.
 */
export function plannedTasteCluster(parameters: SimulatedAudienceParameters, viewerId: string): number {
  const random = createRandom(`${parameters.seed}:${viewerId}`);
  random.next(); // the device
  return random.int(parameters.clusters);
}

/**
 * The chance that a session of a viewer of taste cluster `cluster` plays each title, as
 * `planSessions` picks: with probability `affinity` from the cluster (Zipf over the titles' GLOBAL
 * ranks, 1 / (rank + 1)^s, normalised in the cluster), otherwise from the catalogue (Zipf, 1 / (rank + 1)^s).
 * Sessions are independent given the cluster, so ranking a viewer's unseen titles by these chances
 * is the best any ranking can do in expectation (the Bayes oracle). Catalogue order.
 */
export function plannedTitleChances(parameters: SimulatedAudienceParameters, cluster: number): number[] {
  const weight = (rank: number) => 1 / (rank + 1) ** parameters.zipfExponent;
  const ranks = Array.from({ length: parameters.titles }, (_, rank) => rank);
  const inCluster = (rank: number) => rank % parameters.clusters === cluster;
  const total = ranks.reduce((sum, rank) => sum + weight(rank), 0);
  const clusterTotal = ranks.reduce((sum, rank) => sum + (inCluster(rank) ? weight(rank) : 0), 0);
  return ranks.map(
    (rank) =>
      (inCluster(rank) ? (parameters.affinity * weight(rank)) / clusterTotal : 0) +
      ((1 - parameters.affinity) * weight(rank)) / total,
  );
}

/**
 * Every planned session as a view, viewer by viewer. Start times come from a stream of their own per
 * viewer (not the plan's), so the control audience (affinity 0) has the same viewers, sessions and
 * times as the planted one and differs only in the titles.
 */
export function simulatedViews(parameters: SimulatedAudienceParameters): SimulatedView[] {
  const spanMs = parameters.days * DAY_MS;
  const views: SimulatedView[] = [];
  let times = createRandom('');
  let viewerOfTimes = '';
  for (const plan of planSessions(simulatedAudience(parameters), parameters.seed)) {
    if (plan.viewerId !== viewerOfTimes) {
      viewerOfTimes = plan.viewerId;
      times = createRandom(`${parameters.seed}:start-times:${plan.viewerId}`);
    }
    views.push({
      viewerId: plan.viewerId,
      viewId: `${plan.viewerId}.${plan.sessionIndex}.v`,
      videoId: plan.titleId,
      startedMs: EVALUATION_START_MS + Math.floor(times.next() * spanMs),
    });
  }
  return views;
}

/** The view's beacons as the SDK sends them, marked as a simulated viewer's. */
function viewBeacons(view: SimulatedView): Beacon[] {
  const beacon = (
    seq: number,
    event: Beacon['event'],
    atMs: number,
    fields: Partial<Beacon> = {},
  ): Beacon => ({
    schema: 'qoe.beacon.v1',
    beaconId: `${view.viewId}.${seq}`,
    event,
    sessionId: view.viewId.slice(0, -'.v'.length),
    viewId: view.viewId,
    viewerId: view.viewerId,
    videoId: view.videoId,
    seq,
    clientTimeMs: view.startedMs + atMs,
    monotonicMs: atMs,
    synthetic: true,
    cohort: EVALUATION_COHORT,
    networkClass: NETWORK_CLASS,
    ...fields,
  });
  return [
    beacon(0, 'viewstart', 0),
    beacon(1, 'playrequest', 0),
    beacon(2, 'firstframe', 400, { startupTimeMs: 400 }),
    beacon(3, 'heartbeat', 400 + WATCH_MS, { watchTimeMs: WATCH_MS, playTimeMs: WATCH_MS }),
    beacon(4, 'viewend', 400 + WATCH_MS, { completionPercent: 100 }),
  ];
}

/**
 * Stores the views' beacons as the consumer would (its row step, the beacons table), each received at
 * its view's start: views_v1 dates a view by when its beacons arrived. The dedup tokens are `runKey`'s:
 * storing the same run again is a no-op, and another run (another key) is never mistaken for it.
 */
export async function insertSimulatedViews(
  target: BeaconsTarget,
  views: readonly SimulatedView[],
  runKey: string,
): Promise<void> {
  const table = createBeaconsTable(target);
  let rows: CompactBeaconRow[] = [];
  let block = 0;
  const flush = async () => {
    await table.insert(rows, `${runKey}:${block++}`);
    rows = [];
  };
  for (const view of views) {
    for (const beacon of viewBeacons(view)) {
      const row = compactBeaconRowStep(
        { beacon, receivedAtMs: view.startedMs },
        {
          topic: 'offline-evaluation',
          partition: 0,
          offset: String(block * ROWS_PER_INSERT + rows.length),
          timestamp: view.startedMs,
          key: beacon.sessionId,
          value: Buffer.alloc(0),
        },
      );
      if (row.kind !== 'ok')
        throw new Error(`simulated beacon ${beacon.beaconId} not storable: ${row.detail}`);
      rows.push(row.value);
    }
    if (rows.length >= ROWS_PER_INSERT) await flush();
  }
  if (rows.length > 0) await flush();
}
