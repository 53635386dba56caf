import { describe, expect, it } from 'vitest';
import { createBbaPolicy } from '../src/abr-bba.js';
import { vhsSelectRung } from '../src/abr-vhs.js';
import { ModelInputError } from '../src/ladder.js';
import { findNetworkClass } from '../src/network-classes.js';
import { simulateSession } from '../src/player-model.js';
import { generateSyntheticTrace } from '../src/synthetic-trace.js';
import { constantTrace, type NetworkTrace } from '../src/trace.js';
import { makeLadder, P240, P360, P720, P1080, RUNGS } from './ladder-builder.js';

const FULL_HD = { width: 1920, height: 1080 };
const HD = { width: 1280, height: 720 };

/** 5 Mbit/s for 1.8 s, then 0.2 Mbit/s: the second segment lands long after the first is played. */
const STEP_DROP: NetworkTrace = {
  pieces: [
    { durationMs: 1800, bandwidthKbps: 5000, latencyMs: 20 },
    { durationMs: 600_000, bandwidthKbps: 200, latencyMs: 20 },
  ],
};

describe('player model (VHS policy)', () => {
  it('starts after the latency plus the first segment at the link rate, on the rung 4,194,304/1.2 affords', () => {
    const outcome = simulateSession({
      ladder: makeLadder(),
      trace: constantTrace(5000, 20),
      viewport: FULL_HD,
      watch: {},
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

  it('stalls on a step drop for exactly the time the second segment still needs, then switches down', () => {
    const outcome = simulateSession({
      ladder: makeLadder(),
      trace: STEP_DROP,
      viewport: HD,
      watch: { playSec: 8 },
    });
    // Segment 1 (720p, 8.8 Mbit) is sent at 1,780 ms, starts arriving at 1,800 at 200 kbit/s: lands at 45,800.
    // Playback began at 1,780 with 4 s buffered, so it stalls at 5,780 for 40,020 ms.
    expect(outcome.startupTimeMs).toBe(1780);
    expect(outcome.rebufferCount).toBe(1);
    expect(outcome.rebufferDurationMs).toBe(40_020);
    // The measured 1.1 MB / 44.02 s = 199,909 bit/s affords nothing: VHS falls back to the lowest rung.
    expect(outcome.events).toEqual([
      { type: 'playrequest', atMs: 0 },
      expect.objectContaining({ type: 'renditionchange', atMs: 0, rung: P720 }),
      { type: 'firstframe', atMs: 1780, startupTimeMs: 1780 },
      { type: 'rebufferstart', atMs: 5780 },
      { type: 'rebufferend', atMs: 45_800, rebufferDurationMs: 40_020 },
      expect.objectContaining({
        type: 'renditionchange',
        atMs: 45_800,
        rung: P240,
        fromBitrateKbps: 2500,
        switchReason: 'abr',
      }),
      { type: 'viewend', atMs: 49_800, endReason: 'watched' },
    ]);
    expect(outcome.renditionSwitches).toBe(1);
    expect(outcome.playTimeMsByRung).toEqual([0, 0, 8000, 0]);
    expect(outcome.watchTimeMs).toBe(8000 + 40_020);
  });

  it('leaves when a stall outlasts the viewer’s patience, counting the stall up to then', () => {
    const outcome = simulateSession({
      ladder: makeLadder(),
      trace: STEP_DROP,
      viewport: HD,
      watch: { abandonStallAfterMs: 10_000 },
    });
    expect(outcome.endReason).toBe('abandoned-stall');
    expect(outcome.sessionDurationMs).toBe(15_780);
    expect(outcome.rebufferDurationMs).toBe(10_000);
  });

  it('leaves before the first frame when startup outlasts the viewer’s patience', () => {
    const outcome = simulateSession({
      ladder: makeLadder(),
      trace: constantTrace(100, 100),
      viewport: HD,
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
      const outcome = simulateSession({
        ladder: makeLadder(),
        trace,
        viewport: { width: 640, height: 360 },
        watch: {},
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
        simulateSession({
          ladder: makeLadder(),
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

describe('player model (BBA policy)', () => {
  it('starts on the lowest rung, so startup is the latency plus the smallest first segment', () => {
    const outcome = simulateSession({
      ladder: makeLadder(),
      trace: constantTrace(5000, 20),
      viewport: FULL_HD,
      watch: {},
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
      simulateSession({
        ladder: makeLadder(),
        trace: STEP_DROP,
        viewport: HD,
        watch: { playSec: 60 },
        policy,
      });
    const vhs = run();
    const bba = run(createBbaPolicy());
    expect(bba.rebufferDurationMs).toBeLessThan(vhs.rebufferDurationMs);
  });

  it('keeps to the player size like VHS', () => {
    const outcome = simulateSession({
      ladder: makeLadder(),
      trace: constantTrace(50_000, 20),
      viewport: { width: 640, height: 360 },
      watch: {},
      policy: createBbaPolicy(),
    });
    expect(outcome.playTimeMsByRung[P720]).toBe(0);
    expect(outcome.playTimeMsByRung[P1080]).toBe(0);
  });
});

function never(): never {
  throw new Error('fixture missing');
}
