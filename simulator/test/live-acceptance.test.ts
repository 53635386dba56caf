/**
 * Live mode against the real single-process stack (the issue's acceptance run): 100 live viewers
 * of three network classes play a generated 20 s 1280×720 clip through the playback API, the
 * origin's playlists and segments (shaped in the client to each viewer's trace) and the SDK's own
 * monitor(), and what analytics' QoE API then shows is checked:
 * - every session the simulator counts is listed exactly once among the synthetic sessions, marked
 *   synthetic with its cohort and network class, and none of them among the real ones (the default);
 * - the breakdown by network class shows the classes, 3G with a higher rebuffer ratio and a lower
 *   mean bitrate than LTE.
 * Each viewer plays the clip twice, one session after the other. Seed 27 is one where the model (same ladder, same traces) predicts stalls for several of the
 * 60 3G sessions: whether a live 3G session stalls depends on where its trace's outages fall, and
 * a seed with none would make the comparison of rebuffer ratios vacuous.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { QoeBreakdownResponse, QoeSessionsResponse } from '@streamloop/core/schemas/qoe-api';
import { eventually } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollectorClient } from '../src/collector-client.js';
import { type LiveAudienceResult, runLiveAudience } from '../src/live/live-audience.js';
import { liveSessions } from '../src/live/live-mode.js';
import { audienceBuilder } from './audiences.js';
import { type StackWithVideo, startStackWithVideo } from './stack-fixture.js';

const VIEWERS = 100;
// Two sessions each: a live 3G session stalls less often than the model's (~8 %: startup round trips
// move where an outage falls), and with one session each a run could see no 3G stall at all, which
// would leave the rebuffer comparison to chance.
const SESSIONS_PER_VIEWER = 2;
const SESSIONS = VIEWERS * SESSIONS_PER_VIEWER;
const SEED = 27;
const COHORTS = [
  { name: '3g-commuters', share: 0.6, network: { class: '3g' } },
  { name: 'lte-phones', share: 0.3, network: { class: 'lte' } },
  { name: 'wifi-homes', share: 0.1, network: { class: 'wifi-oboe' } },
];

let stack: StackWithVideo;
let run: LiveAudienceResult;
let unloadRefused: number;
const auth = (): Record<string, string> => ({ authorization: `Bearer ${stack.apiKey}` });

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${stack.base}${path}`, { headers: auth() });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

beforeAll(async () => {
  stack = await startStackWithVideo({ seconds: 20, width: 1280, height: 720 });
  const audience = audienceBuilder({
    viewers: VIEWERS,
    titles: ['clip'],
    cohorts: COHORTS.map((cohort) => ({
      ...cohort,
      devices: [
        { name: 'phone', share: 0.5, viewport: { width: 640, height: 360 } },
        { name: 'laptop', share: 0.5, viewport: { width: 1280, height: 720 } },
      ],
      sessionsPerViewer: { min: SESSIONS_PER_VIEWER, max: SESSIONS_PER_VIEWER },
      // Everyone watches the whole clip: a short run, and every session has something to measure.
      watch: { completionShare: 1, abandonHazardPerMin: 0 },
    })),
  });
  // Beacons the SDK hands to sendBeacon as a viewer leaves; the SDK posts everything else itself.
  const sink = createCollectorClient({ target: stack.base });
  run = await runLiveAudience({
    target: stack.base,
    apiKey: stack.apiKey,
    sessions: liveSessions({ audience, traces: {} }, SEED, () => stack.videoId),
    concurrency: VIEWERS,
    deliverUnload: (beacons) => sink.write(beacons),
    maxSessionMs: 150_000,
  });
  await sink.close();
  unloadRefused = sink.counts().refused;
}, 420_000);

function groupBy<T>(items: readonly T[], key: (item: T) => string): Record<string, T[]> {
  const groups: Record<string, T[]> = {};
  for (const item of items) {
    const group = key(item);
    groups[group] = [...(groups[group] ?? []), item];
  }
  return groups;
}

afterAll(async () => {
  await stack?.stop();
});

describe('live mode: 100 viewers of mixed network classes against the single-process stack', () => {
  it('plays every session to its end and the collector accepts every beacon the SDK posted', () => {
    expect(run.stopReason).toBeUndefined();
    expect(run.failures).toEqual({});
    expect(run.results).toHaveLength(SESSIONS);
    expect(new Set(run.results.map((r) => r.viewerId)).size).toBe(VIEWERS);
    expect(new Set(run.results.map((r) => r.endReason))).toEqual(new Set(['ended']));
    expect(Object.keys(run.posts.byStatus)).toEqual(['202']);
    expect(unloadRefused).toBe(0);
    const byCohort = groupBy(run.results, (r) => r.cohort);
    expect(Object.keys(byCohort).sort()).toEqual(COHORTS.map((c) => c.name).sort());
    for (const result of run.results) {
      expect(result.startupTimeMs).toBeGreaterThan(0);
      expect(result.bytesDownloaded).toBeGreaterThan(0);
    }
  });

  it('lists every counted session exactly once among the synthetic sessions, with its cohort and network class', async () => {
    const counted = new Map(run.results.map((r) => [r.sessionId, r]));
    const query = `videoId=${stack.videoId}&limit=1000`;
    const views = await eventually(
      'every simulated session in the QoE API',
      async () => {
        const { views } = await getJson<QoeSessionsResponse>(
          `/api/v1/qoe/sessions?synthetic=synthetic&${query}`,
        );
        return views.filter((v) => counted.has(v.sessionId)).length >= counted.size ? views : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    const listed = views.map((v) => v.sessionId).sort();
    expect(listed).toEqual([...counted.keys()].sort());
    for (const view of views) {
      const result = counted.get(view.sessionId);
      expect(view).toMatchObject({
        viewId: result?.viewId,
        synthetic: true,
        cohort: result?.cohort,
        networkClass: result?.networkClass,
      });
    }
    // Real viewers only, the default: not one simulated session.
    const real = await getJson<QoeSessionsResponse>(`/api/v1/qoe/sessions?${query}`);
    expect(real.views.filter((v) => counted.has(v.sessionId))).toEqual([]);
  });

  it('breaks the synthetic views down by network class: 3G rebuffers more and plays a lower bitrate than LTE', async () => {
    const perClass = groupBy(run.results, (r) => r.networkClass);
    const breakdown = await eventually(
      'the breakdown by network class to count every session',
      async () => {
        const body = await getJson<QoeBreakdownResponse>(
          `/api/v1/qoe/breakdown?synthetic=synthetic&dimension=networkClass&videoId=${stack.videoId}`,
        );
        const complete = Object.entries(perClass).every(
          ([value, results]) => body.rows.find((row) => row.value === value)?.views === results.length,
        );
        return complete ? body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    for (const r of breakdown.rows) {
      process.stdout.write(
        `live ${r.value}: ${r.views} views, rebuffer ratio ${r.rebufferRatio}, mean bitrate ${r.averageBitrateKbps} kbit/s, startup p50 ${r.startupTimeMs.p50} ms (synthetic)\n`,
      );
    }
    const row = (value: string) => breakdown.rows.find((r) => r.value === value);
    expect(breakdown.rows.map((r) => r.value).sort()).toEqual(['3g', 'lte', 'wifi-oboe']);
    const g3 = row('3g');
    const lte = row('lte');
    expect(g3?.rebufferRatio ?? 0).toBeGreaterThan(lte?.rebufferRatio ?? 0);
    expect(g3?.averageBitrateKbps ?? Number.POSITIVE_INFINITY).toBeLessThan(lte?.averageBitrateKbps ?? 0);
  });

  it("carries the SDK's own beacons and CMCD: every beacon made is stored once, and the origin saw each viewer's CMCD", async () => {
    for (const cohort of ['3g-commuters', 'lte-phones']) {
      const result = run.results.find((r) => r.cohort === cohort);
      const sessionId = result?.sessionId ?? '';
      const stored = await eventually(
        `the beacons of ${cohort}'s session ${sessionId}`,
        async () => {
          const { beacons } = await getJson<{ beacons: Beacon[] }>(
            `/api/v1/qoe/sessions/${sessionId}/beacons?synthetic=synthetic`,
          );
          const sdk = beacons.filter((b) => b.source !== 'cmcd');
          return sdk.length >= (result?.beaconsMade ?? 1) ? beacons : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      const sdk = stored.filter((b) => b.source !== 'cmcd').sort((a, b) => a.seq - b.seq);
      expect(sdk.map((b) => b.seq)).toEqual(sdk.map((_b, i) => i));
      expect(sdk).toHaveLength(result?.beaconsMade ?? -1);
      expect(new Set(sdk.map((b) => b.viewId))).toEqual(new Set([result?.viewId]));
      for (const event of ['viewstart', 'playrequest', 'renditionchange', 'firstframe', 'viewend'] as const) {
        expect(sdk.some((b) => b.event === event)).toBe(true);
      }
      for (const beacon of sdk) {
        expect(beacon).toMatchObject({ synthetic: true, cohort, networkClass: result?.networkClass });
      }
      const media = stored.filter((b) => b.source === 'cmcd' && (b.cmcd?.ot === 'v' || b.cmcd?.ot === 'a'));
      expect(media.length).toBeGreaterThan(0);
      for (const beacon of media) {
        expect(beacon.synthetic).toBe(true);
        expect(beacon.cmcd).toMatchObject({ sid: sessionId, cid: stack.videoId, sf: 'h', st: 'v' });
        expect(beacon.cmcd?.bl).toBeGreaterThanOrEqual(0);
      }
      // Video segments name their rendition's declared bitrate (VHS' audio playlists declare none).
      const video = media.filter((b) => b.cmcd?.ot === 'v');
      expect(video.length).toBeGreaterThan(0);
      for (const beacon of video) expect(beacon.cmcd?.br).toBeGreaterThan(0);
    }
  });
});
