/**
 * The golden QoE data set: six views of two videos, every metric of the QoE model exercised once, and
 * the numbers the API must return for them, worked out BY HAND below (never by the code under test).
 *
 * Views (all times from `startMs`, each beacon of a view 1 s after the previous one):
 *
 * | view | video | viewer | browser/os/device/country | variant | start   | what happens                                    |
 * |------|-------|--------|---------------------------|---------|---------|-------------------------------------------------|
 * | V1   | a     | u1     | Chrome/Windows/desktop/US | A       | +0 s    | starts in 500 ms; 1 stall of 1 000 ms; 1 seek of 400 ms; 9 s on 720p@3000, then 10 s on 480p@1500 shown upscaled; watch 20 400 ms (incl. the stall and the seek) |
 * | V2   | a     | u2     | Firefox/macOS/desktop/DE  | B       | +30 s   | starts in 1 500 ms; 2 stalls (2 000 + 1 000 ms); 27 s on 720p@3000; 5 s paused; a NON-fatal error; watch 30 000 ms |
 * | V3   | a     | u1     | Chrome/Windows/desktop/US | A       | +90 s   | play requested, fatal error, no first frame: video start failure |
 * | V4   | a     | u3     | Safari/iOS/mobile/US      | A       | +120 s  | play requested, viewend, no first frame, no error: exit before video start |
 * | V5   | b     | u3     | Safari/iOS/mobile/US      | B       | +150 s  | starts in 3 000 ms; 10 s on 360p@800; then a fatal error: playback failure |
 * | V6   | b     | u4     | (no context)              | (none)  | +200 s  | viewstart and viewend only: a view, not a play   |
 *
 * Plus one CMCD beacon of video a (the origin's): it must change nothing.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { BeaconContext } from '@streamloop/core/schemas/beacon-envelope';
import { makeBeacon } from '@streamloop/core/testing';

export interface GoldenBeacon {
  beacon: Beacon;
  receivedAtMs: number;
  context?: BeaconContext;
}

const CHROME: BeaconContext = {
  browser: 'Chrome',
  os: 'Windows',
  deviceClass: 'desktop',
  country: 'US',
  ipPrefix: '203.0.113.0',
  clockOffsetMs: -120,
};
const FIREFOX: BeaconContext = { browser: 'Firefox', os: 'macOS', deviceClass: 'desktop', country: 'DE' };
const SAFARI: BeaconContext = { browser: 'Safari', os: 'iOS', deviceClass: 'mobile', country: 'US' };

/** The golden beacons of a run; `prefix` keeps the ids of one test's run apart from another's. */
export function goldenBeacons(prefix: string, startMs: number): GoldenBeacon[] {
  const videoA = `${prefix}-a`;
  const videoB = `${prefix}-b`;
  const view = (
    id: string,
    videoId: string,
    viewerId: string,
    offsetS: number,
    context: BeaconContext | undefined,
    variant: string | undefined,
    beacons: Partial<Beacon>[],
  ): GoldenBeacon[] =>
    beacons.map((fields, i) => {
      const base = {
        videoId,
        viewId: `${prefix}-${id}`,
        viewerId: `${prefix}-${viewerId}`,
        sessionId: `${prefix}-session-${id}`,
        ...(variant === undefined ? {} : { variant, ladderId: `ladder-${variant}` }),
      };
      const beacon = makeBeacon({ ...base, ...fields });
      const receivedAtMs = startMs + offsetS * 1000 + i * 1000;
      return context === undefined ? { beacon, receivedAtMs } : { beacon, receivedAtMs, context };
    });
  return [
    ...view('v1', videoA, 'u1', 0, CHROME, 'A', [
      { event: 'viewstart', monotonicMs: 0 },
      { event: 'playrequest', monotonicMs: 1_000 },
      { event: 'firstframe', monotonicMs: 1_500, startupTimeMs: 500 },
      { event: 'rebufferstart', monotonicMs: 5_000 },
      { event: 'rebufferend', monotonicMs: 6_000, rebufferDurationMs: 1_000 },
      {
        event: 'heartbeat',
        monotonicMs: 11_500,
        watchTimeMs: 10_000,
        playTimeMs: 9_000,
        bitrateKbps: 3_000,
        height: 720,
        width: 1280,
      },
      { event: 'seekstart', monotonicMs: 12_000 },
      { event: 'seekend', monotonicMs: 12_400, seekDurationMs: 400 },
      {
        event: 'heartbeat',
        monotonicMs: 21_900,
        watchTimeMs: 10_400,
        playTimeMs: 10_000,
        upscaleTimeMs: 10_000,
        bitrateKbps: 1_500,
        height: 480,
        width: 854,
      },
      { event: 'viewend', monotonicMs: 22_000, watchTimeMs: 0, playTimeMs: 0 },
    ]),
    ...view('v2', videoA, 'u2', 30, FIREFOX, 'B', [
      { event: 'playrequest', monotonicMs: 0 },
      { event: 'firstframe', monotonicMs: 1_500, startupTimeMs: 1_500 },
      { event: 'rebufferstart', monotonicMs: 4_000 },
      { event: 'rebufferend', monotonicMs: 6_000, rebufferDurationMs: 2_000 },
      { event: 'error', monotonicMs: 7_000, errorCode: 'MEDIA_ERR_NETWORK', fatal: false },
      { event: 'rebufferstart', monotonicMs: 9_000 },
      { event: 'rebufferend', monotonicMs: 10_000, rebufferDurationMs: 1_000 },
      {
        event: 'heartbeat',
        monotonicMs: 36_500,
        watchTimeMs: 30_000,
        playTimeMs: 27_000,
        pauseTimeMs: 5_000,
        bitrateKbps: 3_000,
        height: 720,
        width: 1280,
      },
      { event: 'viewend', monotonicMs: 37_000 },
    ]),
    ...view('v3', videoA, 'u1', 90, CHROME, 'A', [
      { event: 'playrequest', monotonicMs: 100 },
      { event: 'error', monotonicMs: 200, errorCode: 'MEDIA_ERR_SRC_NOT_SUPPORTED', fatal: true },
      { event: 'viewend', monotonicMs: 300 },
    ]),
    ...view('v4', videoA, 'u3', 120, SAFARI, 'A', [
      { event: 'viewstart', monotonicMs: 0 },
      { event: 'playrequest', monotonicMs: 50 },
      { event: 'viewend', monotonicMs: 4_000 },
    ]),
    ...view('v5', videoB, 'u3', 150, SAFARI, 'B', [
      { event: 'playrequest', monotonicMs: 0 },
      { event: 'firstframe', monotonicMs: 3_000, startupTimeMs: 3_000 },
      {
        event: 'heartbeat',
        monotonicMs: 13_000,
        watchTimeMs: 10_000,
        playTimeMs: 10_000,
        bitrateKbps: 800,
        height: 360,
        width: 640,
      },
      { event: 'error', monotonicMs: 13_500, errorCode: 'MEDIA_ERR_DECODE', fatal: true },
      { event: 'viewend', monotonicMs: 14_000 },
    ]),
    ...view('v6', videoB, 'u4', 200, undefined, undefined, [
      { event: 'viewstart', monotonicMs: 0 },
      { event: 'viewend', monotonicMs: 60_000 },
    ]),
    // The origin's view of a media request of V1: CMCD rows never count as player QoE.
    {
      beacon: makeBeacon({
        event: 'cmcd',
        source: 'cmcd',
        videoId: videoA,
        sessionId: `${prefix}-session-v1`,
        viewId: `${prefix}-session-v1`,
        viewerId: 'cmcd',
        cmcd: { sid: `${prefix}-session-v1`, br: 3000, ot: 'v' },
      }),
      receivedAtMs: startMs + 2_000,
    },
  ];
}

/**
 * The overview of the whole set (no filter), every field worked out by hand.
 */
export const GOLDEN_OVERVIEW = {
  views: 6, // V1..V6
  plays: 5, // V1..V5 asked to play; V6 never did
  viewers: 3, // among the plays: u1 (V1, V3), u2 (V2), u3 (V4, V5)
  // V1 20 000 + 400 (10 000 + 10 400 + viewend 0) = 20 400; V2 30 000; V5 10 000
  watchTimeMs: 60_400,
  playTimeMs: 56_000, // V1 9 000 + 10 000; V2 27 000; V5 10 000
  pauseTimeMs: 5_000, // V2
  // Started views V1, V2, V5: startups sorted [500, 1 500, 3 000]; rank = q × (3 − 1), linear between:
  // p50: rank 1 → 1 500; p90: rank 1.8 → 1 500 + 0.8 × 1 500 = 2 700; p95: rank 1.9 → 1 500 + 0.9 × 1 500 = 2 850
  startupTimeMs: { p50: 1_500, p90: 2_700, p95: 2_850 },
  videoStartFailurePercent: 20, // V3: 1 of 5 plays
  exitBeforeVideoStartPercent: 20, // V4: 1 of 5
  playbackFailurePercent: 20, // V5: 1 of 5
  errors: 3, // V2 non-fatal, V3 fatal, V5 fatal
  rebufferCount: 3, // V1 1, V2 2
  rebufferTimeMs: 4_000, // 1 000 + 2 000 + 1 000
  // Mux: 4 000 / 60 400 × 100 = 6.622516… → 6.6225
  rebufferPercent: 6.6225,
  // Mux: 3 stalls / (60 400 / 60 000 min) = 3 / 1.006667 = 2.980132… → 2.9801
  rebufferFrequencyPerMinute: 2.9801,
  // CTA-2066: 4 000 / (56 000 + 4 000) = 1/15
  rebufferRatio: 4_000 / 60_000,
  rebufferPercentCta2066: 6.6667, // 6.666… rounded to 4 places
  rebufferFrequencyPerMinuteCta2066: 3, // 3 / (60 000 / 60 000)
  seekCount: 1,
  seekLatencyMsAvg: 400,
  // (3 000 × 9 000 + 1 500 × 10 000 + 3 000 × 27 000 + 800 × 10 000) / 56 000
  // = (27 000 000 + 15 000 000 + 81 000 000 + 8 000 000) / 56 000 = 131 000 000 / 56 000 = 2 339.2857… → 2 339.29
  averageBitrateKbps: 2_339.29,
  upscalePercent: 17.8571, // 10 000 / 56 000 × 100 = 17.857142…
  // startup: 1 − (1 500 − 1 000) / 9 000 = 0.944444…; smoothness: 1 − (1/15) / 0.1 = 0.333333…;
  // reliability: 1 − (1 + 1) / 5 = 0.6; quality: 1 − 10 000 / 56 000 = 0.821428…
  // 0.3 × 0.944444 + 0.3 × 0.333333 + 0.3 × 0.6 + 0.1 × 0.821429 = 0.283333 + 0.1 + 0.18 + 0.082143
  // = 0.645476 → 64.5
  qoeScore: 64.5,
  qoeScoreComponents: { startup: 0.9444, smoothness: 0.3333, reliability: 0.6, quality: 0.8214 },
  // Per rung, the QoE of the whole views that played on it (score: the weights above, plays = its views).
  renditions: [
    // 720p: V1 9 000 + V2 27 000 = 36 000 of 56 000 = 64.2857 %; viewers u1, u2
    {
      rendition: '720p@3000kbps',
      height: 720,
      bitrateKbps: 3000,
      views: 2,
      viewers: 2,
      playTimeMs: 36_000,
      playTimePercent: 64.2857,
      upscaleTimeMs: 0,
      upscalePercent: 0,
      // V1 and V2 whole: stalls 1 000 + 3 000, play 19 000 + 27 000 → 4 000 / 50 000
      rebufferRatio: 0.08,
      playbackFailurePercent: 0,
      // startups [500, 1 500]: rank 0.5 × (2 − 1) → 500 + 0.5 × 1 000
      startupTimeMsP50: 1_000,
      // startup 1; smoothness 1 − 0.08 / 0.1 = 0.2; reliability 1; quality 1 → 0.3 + 0.06 + 0.3 + 0.1
      qoeScore: 76,
    },
    {
      rendition: '480p@1500kbps',
      height: 480,
      bitrateKbps: 1500,
      views: 1,
      viewers: 1,
      playTimeMs: 10_000,
      playTimePercent: 17.8571,
      upscaleTimeMs: 10_000, // V1's 10 s on 480p were all shown upscaled
      upscalePercent: 100,
      rebufferRatio: 0.05, // V1: 1 000 / (19 000 + 1 000)
      playbackFailurePercent: 0,
      startupTimeMsP50: 500,
      // startup 1 (≤ 1 000 ms); smoothness 0.5; reliability 1; quality 0 → 0.3 + 0.15 + 0.3 + 0
      qoeScore: 75,
    },
    {
      rendition: '360p@800kbps',
      height: 360,
      bitrateKbps: 800,
      views: 1,
      viewers: 1,
      playTimeMs: 10_000,
      playTimePercent: 17.8571,
      upscaleTimeMs: 0,
      upscalePercent: 0,
      rebufferRatio: 0, // V5 never stalled
      playbackFailurePercent: 100, // V5 failed during playback
      startupTimeMsP50: 3_000,
      // startup 1 − 2 000 / 9 000 = 0.7778; smoothness 1; reliability 0; quality 1
      // → 0.23333 + 0.3 + 0 + 0.1 = 0.63333
      qoeScore: 63.3,
    },
  ],
};

/** Views and plays per browser (breakdown), by hand from the table above; '' is V6 without context. */
export const GOLDEN_BY_BROWSER = [
  { value: 'Chrome', views: 2, plays: 2, viewers: 1 }, // V1, V3 (both u1)
  { value: 'Safari', views: 2, plays: 2, viewers: 1 }, // V4, V5 (both u3)
  { value: '', views: 1, plays: 0, viewers: 0 }, // V6
  { value: 'Firefox', views: 1, plays: 1, viewers: 1 }, // V2
];

/** Views per 1-minute bucket of [start, start + 5 min): by start time of each view. */
export const GOLDEN_VIEWS_PER_MINUTE = [
  2, // 0:00–0:59: V1 (+0 s), V2 (+30 s)
  1, // 1:00: V3 (+90 s)
  2, // 2:00: V4 (+120 s), V5 (+150 s)
  1, // 3:00: V6 (+200 s)
  0, // 4:00: nothing
];
