import { describe, expect, it } from 'vitest';
import { createBbaPolicy } from '../src/abr-bba.js';
import { vhsSelectRung } from '../src/abr-vhs.js';
import { chromiumDownlinkBps } from '../src/bandwidth-estimator.js';
import { ModelInputError } from '../src/ladder.js';
import { findNetworkClass } from '../src/network-classes.js';
import { type SessionInput, type SessionOutcome, simulateSession } from '../src/player-model.js';
import { generateSyntheticTrace } from '../src/synthetic-trace.js';
import { constantTrace, type NetworkTrace } from '../src/trace.js';
import { makeLadder, P240, P360, P720, P1080, RUNGS } from './ladder-builder.js';

const FULL_HD = { width: 1920, height: 1080 };
const HD = { width: 1280, height: 720 };

/** One session over the standard ladder; tests name only what they vary. */
function simulate(overrides: Partial<SessionInput> & Pick<SessionInput, 'trace'>): SessionOutcome {
  return simulateSession({ ladder: makeLadder(), viewport: HD, watch: {}, ...overrides });
}

/** 5 Mbit/s for 1.8 s, then 0.2 Mbit/s: the second segment lands long after the first is played. */
const STEP_DROP: NetworkTrace = {
  pieces: [
    { durationMs: 1800, bandwidthKbps: 5000, latencyMs: 20 },
    { durationMs: 600_000, bandwidthKbps: 200, latencyMs: 20 },
  ],
};

/** One 240p rung and separate audio, `count` segments of 4 s each. */
function withAudio(videoBytes: number, audioBytes: number, count = 2): SessionInput['ladder'] {
  const segments = (bytes: number) => Array.from({ length: count }, () => ({ durationSec: 4, bytes }));
  return {
    rungs: [{ bandwidth: 400_000, width: 426, height: 240, segments: segments(videoBytes) }],
    audio: { segments: segments(audioBytes) },
  };
}

describe('player model (VHS policy)', () => {
  it('starts after the latency plus the first segment at the link rate, on the rung 4,194,304/1.2 affords', () => {
    const outcome = simulate({
      trace: constantTrace(5000, 20),
      viewport: FULL_HD,
    });
    // 720p is the highest rung with BANDWIDTH × 1.2 < 4,194,304; its 1.1 MB segment takes 1,760 ms at 5 Mbit/s.
    expect(outcome.startupTimeMs).toBe(20 + (RUNGS[P720].bytes * 8) / 5000);
    expect(outcome.events[1]).toMatchObject({ type: 'renditionchange', rung: P720, switchReason: 'initial' });
    // 5 Mbit/s measured never affords 1080p (5 M × 1.2 > 5 M): 720p all along, no stall, played to the end.
    expect(outcome.rebufferCount).toBe(0);
    expect(outcome.renditionSwitches).toBe(0);
    expect(outcome.playTimeMsByRung).toEqual([0, 0, 120_000, 0]);
    expect(outcome.endReason).toBe('ended');
    expect(outcome.completionPercent).toBe(100);
    expect(outcome.bytesDownloaded).toBe(30 * RUNGS[P720].bytes);
    expect(outcome.meanBitrateKbps).toBe(2500);
  });

  it('adds the master and media playlist round trips when asked to', () => {
    const outcome = simulate({
      trace: constantTrace(5000, 20),
      viewport: FULL_HD,
      playlistRequests: true,
      watch: { playSec: 8 },
    });
    expect(outcome.startupTimeMs).toBe(20 + 20 + 20 + (RUNGS[P720].bytes * 8) / 5000);
  });

  it('loads separate audio on its own loader, the two requests splitting the link while both run', () => {
    const outcome = simulateSession({
      ladder: withAudio(50_000, 100_000),
      trace: constantTrace(1000, 20),
      viewport: HD,
      watch: {},
    });
    // Both requests leave at 0 and take 500 bit/ms each from 20 ms: the 400,000-bit video segment
    // is in at 820 ms with 400,000 audio bits to go. Before the first frame the video loader loads
    // on (VHS' main loader measures where audio and video overlap: nothing yet): the audio alone
    // until 840 (20,000 bits), then halves with video segment 1: 380,000 / 500 → 1,600 ms, the
    // first frame. Video segment 1 then has 20,000 bits left alone: 1,620; audio segment 1 (sent at
    // 1,600) lands at 1,620 + 800 = 2,420, well before the 4 s buffered run out; 8 s played from 1,600.
    expect(outcome.startupTimeMs).toBe(1600);
    expect(outcome.rebufferCount).toBe(0);
    expect(outcome.requestCount).toBe(4);
    expect(outcome.bytesDownloaded).toBe(300_000);
    expect(outcome.sessionDurationMs).toBe(9600);
  });

  it('asks for a rung’s init segment together with its first media segment, as one round trip', () => {
    const outcome = simulateSession({
      ladder: {
        rungs: [
          {
            bandwidth: 400_000,
            width: 426,
            height: 240,
            initBytes: 10_000,
            segments: [
              { durationSec: 4, bytes: 50_000 },
              { durationSec: 4, bytes: 50_000 },
            ],
          },
        ],
      },
      trace: constantTrace(1000, 20),
      viewport: HD,
      watch: {},
    });
    // One latency, then 60,000 bytes (init + segment) at 1,000 bit/ms; one after the other would be 520.
    expect(outcome.startupTimeMs).toBe(20 + ((10_000 + 50_000) * 8) / 1000);
    expect(outcome.requestCount).toBe(3);
    expect(outcome.bytesDownloaded).toBe(110_000);
  });

  it('asks for the audio playlist only once the main media playlist is in', () => {
    const outcome = simulateSession({
      ladder: withAudio(1_000, 100_000),
      trace: constantTrace(1000, 20),
      viewport: HD,
      watch: { playSec: 4 },
      playlistRequests: true,
    });
    // master 0–20, video playlist 20–40; then audio playlist 40–60 while video segment 0 (8,000
    // bits) arrives 60–68. Audio segment 0 is sent at 60, first byte 80; from then the link is busy
    // until the first frame carrying it (800,000 bits) and video segment 1 (8,000): 80 + 808 = 888.
    // (Audio playlist asked with the video one: 20 ms sooner.)
    expect(outcome.startupTimeMs).toBe(888);
  });

  it('asks again at once for an audio segment cut off by an early abort, not after the first video append', () => {
    const segments = (bytes: number) => Array.from({ length: 3 }, () => ({ durationSec: 4, bytes }));
    const outcome = simulateSession({
      ladder: {
        rungs: [
          { bandwidth: 200_000, width: 426, height: 240, segments: segments(10_000) },
          { bandwidth: 2_000_000, width: 1280, height: 720, segments: segments(1_000_000) },
        ],
        audio: { segments: segments(100_000) },
      },
      trace: constantTrace(1000, 20),
      viewport: HD,
      watch: { playSec: 4 },
    });
    // 720p (2,000,000 × 1.2 < 4,194,304) and audio both leave at 0 and split the link from 20. At the
    // first progress check (1,020) 720p has 500,000 of 8,000,000 bits: aborted for 240p. The audio
    // request, 500,000 of its 800,000 bits in, is cancelled with it and sent again at once.
    expect(
      outcome.events.find((e) => e.type === 'renditionchange' && e.switchReason === 'exclude'),
    ).toMatchObject({
      atMs: 1020,
      height: 240,
    });
    // From 1,040 (first bytes) the link carries 240p segments 0 and 1 (80,000 bits each) and the
    // audio (800,000) without a pause: the first frame at 1,040 + 960 = 2,000. Waiting for the first
    // video append (1,200) to ask for the audio again would make it 2,100.
    expect(outcome.startupTimeMs).toBe(2000);
  });

  it('pays the player set-up once and every append before the next request', () => {
    const outcome = simulate({
      trace: constantTrace(5000, 20),
      viewport: FULL_HD,
      playlistRequests: true,
      setupMs: 300,
      appendMs: 50,
      watch: { playSec: 8 },
    });
    const segmentMs = (RUNGS[P720].bytes * 8) / 5000;
    // master round trip, set-up, media playlist round trip, segment, its append.
    expect(outcome.startupTimeMs).toBe(20 + 300 + 20 + 20 + segmentMs + 50);
    // The second request leaves only after the first append: 8 s play out at the same pace after it.
    expect(outcome.sessionDurationMs).toBe(20 + 300 + 20 + 20 + segmentMs + 50 + 8000);
    // Append time per megabyte: 1.1 MB at 200 ms/MB is 220 ms more before the first frame.
    const perByte = simulate({ trace: constantTrace(5000, 20), viewport: FULL_HD, appendMsPerMegabyte: 200 });
    expect(perByte.startupTimeMs).toBe(20 + segmentMs + 220);
  });

  it('with the Network Information API, VHS chooses by the downlink, not by its 4,194,304 start', () => {
    const trace: NetworkTrace = {
      pieces: [
        { durationMs: 10_000, bandwidthKbps: 900, latencyMs: 20 },
        { durationMs: 600_000, bandwidthKbps: 8000, latencyMs: 20 },
      ],
    };
    const outcome = simulate({
      trace,
      networkInformation: { downlinkMultiplier: 1 },
      watch: { playSec: 40 },
    });
    // 900 kbit/s downlink: 360p needs 800,000 × 1.2 = 960,000, so 240p first (without the API: 720p).
    expect(outcome.events[1]).toMatchObject({ type: 'renditionchange', rung: P240, switchReason: 'initial' });
    expect(simulate({ trace, watch: { playSec: 40 } }).events[1]).toMatchObject({ rung: P720 });
    // 8 Mbit/s from 10 s affords 720p (the player size caps it) once the buffer allows an up-switch.
    expect(outcome.events.filter((e) => e.type === 'renditionchange').at(-1)).toMatchObject({
      rung: P720,
      switchReason: 'bandwidthupdate',
    });
  });

  it('aborts the doomed segment on a step drop, switches down and stalls for exactly the rest', () => {
    const outcome = simulate({
      trace: STEP_DROP,
      watch: { playSec: 8 },
    });
    // Segment 1 (720p) is sent at 1,780 ms; its first byte comes at 1,800, now at 200 kbit/s.
    // At 2,800 (1 s after the first byte) VHS has 200 kbit in 1,020 ms = 196,078 bit/s: the rest of
    // 4 s × 2.5 Mbit/s needs 50 s, the buffer lasts 1.98 s (less VHS' 1 s), 240p needs 8.2 s: abort,
    // exclude 720p, bandwidth := 400,000 × 1.2 + 1, which affords 240p. 240p's 1.4 Mbit then take
    // 20 + 7,000 ms: it lands at 9,820. Playback began at 1,780 with 4 s, so it stalled at 5,780.
    expect(outcome.startupTimeMs).toBe(1780);
    expect(outcome.events).toEqual([
      { type: 'playrequest', atMs: 0 },
      expect.objectContaining({ type: 'renditionchange', atMs: 0, rung: P720, switchReason: 'initial' }),
      { type: 'firstframe', atMs: 1780, startupTimeMs: 1780 },
      expect.objectContaining({
        type: 'renditionchange',
        atMs: 2800,
        rung: P240,
        fromBitrateKbps: 2500,
        switchReason: 'exclude',
      }),
      { type: 'rebufferstart', atMs: 5780 },
      { type: 'rebufferend', atMs: 9820, rebufferDurationMs: 4040 },
      { type: 'viewend', atMs: 13_820, endReason: 'watched' },
    ]);
    expect(outcome.rebufferCount).toBe(1);
    expect(outcome.rebufferDurationMs).toBe(4040);
    expect(outcome.renditionSwitches).toBe(1);
    expect(outcome.playTimeMsByRung).toEqual([4000, 0, 4000, 0]);
    expect(outcome.watchTimeMs).toBe(8000 + 4040);
    // Segment 0, the 25,000 bytes of the aborted request, segment 1 at 240p.
    expect(outcome.bytesDownloaded).toBe(RUNGS[P720].bytes + 25_000 + RUNGS[P240].bytes);
    // Four requests: segment 2 was in flight when the viewer left.
    expect(outcome.requestCount).toBe(4);
  });

  it('aborts the first segment early when a smaller rung would start much sooner, and re-checks only walking forward', () => {
    const outcome = simulate({ trace: constantTrace(2000, 20) });
    // At 1,020 ms 2 Mbit arrived in 1,020 ms: 720p needs 4.08 s more with nothing buffered; 240p would
    // take 0.82 s; saving 3.3 s ≥ 1 s: abort, and 240p's 1.4 Mbit land 20 + 700 ms later.
    expect(outcome.startupTimeMs).toBe(1020 + 20 + 700);
    // That first 240p segment follows a switch, so VHS asks no ABR question; the second one (at
    // 2,460 ms, 1.94 Mbit/s measured) moves it up to 360p.
    expect(outcome.events.filter((event) => event.type === 'renditionchange').slice(0, 3)).toEqual([
      expect.objectContaining({ atMs: 0, rung: P720, switchReason: 'initial' }),
      expect.objectContaining({ atMs: 1020, rung: P240, switchReason: 'exclude' }),
      expect.objectContaining({ atMs: 2460, rung: P360, switchReason: 'bandwidthupdate' }),
    ]);
  });

  it('times a request out after 1.5 target durations when the buffer covers it, and drops to the lowest rung', () => {
    // 30 s at 5 Mbit/s build a deep 720p buffer; then 1.2 Mbit/s makes a 720p segment take 7.3 s.
    // Early abort stays quiet (the buffer outlasts the download), the 6 s timeout does not.
    const trace: NetworkTrace = {
      pieces: [
        { durationMs: 30_000, bandwidthKbps: 5000, latencyMs: 20 },
        { durationMs: 600_000, bandwidthKbps: 1200, latencyMs: 20 },
      ],
    };
    const outcome = simulate({ trace, watch: { playSec: 60 } });
    const drop = outcome.events.find((event) => event.type === 'renditionchange' && event.rung === P240);
    expect(drop).toMatchObject({ fromBitrateKbps: 2500, switchReason: 'bandwidthupdate' });
    // 16 segments land by 28,480 ms; the 17th gets 7.5 Mbit before 30 s and 1.3 Mbit at 1.2 Mbit/s
    // after (31,083 ms); the 18th is sent then and times out 6 s later.
    const seventeenthDoneMs = 16 * 1780 + 20 + 1500 + 1_300_000 / 1200;
    expect(drop?.atMs).toBe(Math.round(seventeenthDoneMs + 6000));
    expect(outcome.rebufferCount).toBe(0);
  });

  it('leaves when a stall outlasts the viewer’s patience, counting the stall up to then', () => {
    const outcome = simulate({
      trace: STEP_DROP,
      watch: { abandonStallAfterMs: 3000 },
    });
    expect(outcome.endReason).toBe('abandoned-stall');
    expect(outcome.sessionDurationMs).toBe(8780);
    expect(outcome.rebufferDurationMs).toBe(3000);
  });

  it('leaves before the first frame when startup outlasts the viewer’s patience', () => {
    const outcome = simulate({
      trace: constantTrace(100, 100),
      watch: { abandonStartupAfterMs: 8000 },
    });
    expect(outcome.startupTimeMs).toBeUndefined();
    expect(outcome.endReason).toBe('abandoned-startup');
    expect(outcome.playTimeMs).toBe(0);
  });

  it('never picks a rung larger than needed for a 640×360 player, however fast the link', () => {
    for (const trace of [
      constantTrace(50_000, 20),
      generateSyntheticTrace(findNetworkClass('lte') ?? never(), { seed: 7, durationSec: 200 }),
    ]) {
      const outcome = simulate({
        trace,
        viewport: { width: 640, height: 360 },
      });
      expect(outcome.playTimeMsByRung[P1080]).toBe(0);
      expect(outcome.playTimeMsByRung[P720]).toBe(0);
      expect(outcome.playTimeMsByRung[P360]).toBeGreaterThan(0);
    }
    // A player just larger than 360p gets the smallest rung that covers it, not the largest.
    expect(vhsSelectRung(makeLadder(), 1e9, { width: 700, height: 400 })).toBe(P720);
  });

  it('waits out the buffer goal instead of downloading the whole title at once', () => {
    const outcome = simulateSession({
      ladder: makeLadder({ segmentCount: 60 }),
      trace: constantTrace(50_000, 20),
      viewport: FULL_HD,
      watch: { playSec: 10 },
    });
    // Ten seconds in, VHS' goal is min(30 + 10, 60) = 40 s ahead: far less than the 240 s title.
    const segments = outcome.requestCount;
    expect(segments).toBeGreaterThan(10);
    expect(segments).toBeLessThan(20);
  });

  it('gives the same outcome for the same inputs, byte for byte', () => {
    const run = () =>
      JSON.stringify(
        simulate({
          trace: generateSyntheticTrace(findNetworkClass('3g') ?? never(), {
            seed: 'viewer-1',
            durationSec: 300,
          }),
          viewport: HD,
          watch: { playSec: 100 },
        }),
      );
    expect(run()).toBe(run());
  });

  it('rejects a ladder whose rungs are not cut at the same points, naming the field', () => {
    const ladder = makeLadder();
    const rungs = ladder.rungs.map((rung) => ({ ...rung }));
    const second = rungs[1] ?? never();
    rungs[1] = { ...second, segments: second.segments.slice(1) };
    expect(() =>
      simulateSession({ ladder: { rungs }, trace: constantTrace(5000, 20), viewport: HD, watch: {} }),
    ).toThrow(new ModelInputError('rungs[1].segments', 'has 29 segments, rung 0 has 30'));
  });
});

describe('player model over network classes', () => {
  it('gives 3G viewers more rebuffering and a lower bitrate than LTE viewers', () => {
    const cohort = (classId: string) => {
      const networkClass = findNetworkClass(classId) ?? never();
      let stalledMs = 0;
      let watchedMs = 0;
      let bitrateMs = 0;
      for (let s = 0; s < 200; s++) {
        const trace = generateSyntheticTrace(networkClass, { seed: `${classId}-${s}`, durationSec: 300 });
        const outcome = simulate({ trace, watch: { playSec: 60 } });
        stalledMs += outcome.rebufferDurationMs;
        watchedMs += outcome.watchTimeMs;
        bitrateMs += (outcome.meanBitrateKbps ?? 0) * outcome.playTimeMs;
      }
      return { rebufferRatio: stalledMs / watchedMs, meanBitrateKbps: bitrateMs / (watchedMs - stalledMs) };
    };
    const threeG = cohort('3g');
    const lte = cohort('lte');
    expect(threeG.rebufferRatio).toBeGreaterThan(lte.rebufferRatio);
    expect(threeG.meanBitrateKbps).toBeLessThan(lte.meanBitrateKbps);
  });
});

describe('player model (BBA policy)', () => {
  it('starts on the lowest rung, so startup is the latency plus the smallest first segment', () => {
    const outcome = simulate({
      trace: constantTrace(5000, 20),
      viewport: FULL_HD,
      policy: createBbaPolicy(),
    });
    expect(outcome.policy).toBe('bba');
    expect(outcome.startupTimeMs).toBe(20 + (RUNGS[P240].bytes * 8) / 5000);
    // A 5 Mbit/s link carries 1080p's 4.4 Mbit/s: the buffer climbs past the cushion and BBA gets there.
    expect(outcome.rebufferCount).toBe(0);
    expect(outcome.playTimeMsByRung[P1080]).toBeGreaterThan(0);
  });

  it('stalls less than VHS on the step drop, because it never bet on the initial estimate', () => {
    const run = (policy?: ReturnType<typeof createBbaPolicy>) =>
      simulate({
        trace: STEP_DROP,
        watch: { playSec: 60 },
        policy,
      });
    const vhs = run();
    const bba = run(createBbaPolicy());
    expect(bba.rebufferDurationMs).toBeLessThan(vhs.rebufferDurationMs);
  });

  it('keeps to the player size like VHS', () => {
    const outcome = simulate({
      trace: constantTrace(50_000, 20),
      viewport: { width: 640, height: 360 },
      policy: createBbaPolicy(),
    });
    expect(outcome.playTimeMsByRung[P720]).toBe(0);
    expect(outcome.playTimeMsByRung[P1080]).toBe(0);
  });
});

function never(): never {
  throw new Error('fixture missing');
}

describe('chromiumDownlinkBps', () => {
  it.each([
    // [link kbps, multiplier, downlink bit/s]: measured in Chromium 156 under DevTools emulation.
    [1000, 0.86875, 850_000],
    [2500, 0.86875, 2_150_000],
    [333, 1.05, 350_000],
    [10, 1, 0],
    [20_000, 1, 10_000_000],
  ])('%s kbit/s × %s → %s bit/s', (kbps, multiplier, expected) => {
    expect(chromiumDownlinkBps(kbps, multiplier)).toBe(expected);
  });
});
