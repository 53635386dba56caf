/**
 * One hand-built model outcome turned into beacons; every expected value below was worked out by
 * hand from the outcome (see the comments), not by the code under test.
 */
import type { Ladder } from '@streamloop/playback-model/ladder';
import type { SessionOutcome } from '@streamloop/playback-model/player-model';
import { describe, expect, it } from 'vitest';
import { sessionBeacons, sessionIds } from '../src/session-beacons.js';

const segments = Array.from({ length: 10 }, () => ({ durationSec: 4, bytes: 100_000 }));
const ladder: Ladder = {
  rungs: [
    { bandwidth: 500_000, width: 640, height: 360, segments },
    { bandwidth: 2_000_000, width: 1280, height: 720, segments },
  ],
};

// Starts on 360p, first frame at 1 s, switches up at 5 s, stalls 12–14 s, leaves at 26 s.
// Played 25 s − 2 s stalled = 23 s: 8 s of 360p, 15 s of 720p.
const outcome: SessionOutcome = {
  policy: 'vhs',
  startupTimeMs: 1000,
  watchTimeMs: 25_000,
  playTimeMs: 23_000,
  rebufferCount: 1,
  rebufferDurationMs: 2000,
  renditionSwitches: 1,
  playTimeMsByRung: [8000, 15_000],
  meanBitrateKbps: 1478.26,
  bytesDownloaded: 900_000,
  requestCount: 9,
  completionPercent: 57.5,
  endReason: 'watched',
  sessionDurationMs: 26_000,
  events: [
    { type: 'playrequest', atMs: 0 },
    {
      type: 'renditionchange',
      atMs: 0,
      rung: 0,
      bitrateKbps: 500,
      width: 640,
      height: 360,
      fromBitrateKbps: undefined,
      switchReason: 'initial',
    },
    { type: 'firstframe', atMs: 1000, startupTimeMs: 1000 },
    {
      type: 'renditionchange',
      atMs: 5000,
      rung: 1,
      bitrateKbps: 2000,
      width: 1280,
      height: 720,
      fromBitrateKbps: 500,
      switchReason: 'bandwidthupdate',
    },
    { type: 'rebufferstart', atMs: 12_000 },
    { type: 'rebufferend', atMs: 14_000, rebufferDurationMs: 2000 },
    { type: 'viewend', atMs: 26_000, endReason: 'watched' },
  ],
};

const START_MS = 1_700_000_000_000;
const ids = sessionIds('sim-0000abcd', { viewerId: 'lte-3', sessionIndex: 1 });
const beacons = sessionBeacons({
  outcome,
  plan: { cohort: 'lte', viewport: { width: 1280, height: 720 } },
  ladder,
  ids,
  videoId: 'vid_1',
  startMs: START_MS,
  playback: { ladderId: 'ladder-a', variant: 'control' },
  networkClass: 'lte',
  mediaDurationMs: 40_000,
});

describe('session beacons from a model outcome', () => {
  it('emits the SDK events in order with a sequence from 0', () => {
    expect(beacons.map((b) => [b.seq, b.event, b.clientTimeMs - START_MS])).toEqual([
      [0, 'viewstart', 0],
      [1, 'playrequest', 0],
      [2, 'renditionchange', 0],
      [3, 'firstframe', 1000],
      [4, 'renditionchange', 5000],
      // The picture switches when 8 s of 360p have played: 1 s + 8 s = 9 s (before the stall).
      [5, 'heartbeat', 9000],
      // Heartbeat timer from the first frame: 11 s, 21 s (31 s is after the end).
      [6, 'heartbeat', 11_000],
      [7, 'rebufferstart', 12_000],
      [8, 'rebufferend', 14_000],
      [9, 'heartbeat', 21_000],
      [10, 'viewend', 26_000],
    ]);
  });

  it('marks every beacon synthetic with its cohort, class, ids and the playback labels', () => {
    for (const beacon of beacons) {
      expect(beacon).toMatchObject({
        schema: 'qoe.beacon.v1',
        synthetic: true,
        cohort: 'lte',
        networkClass: 'lte',
        sessionId: 'sim-0000abcd.lte-3.1',
        viewId: 'sim-0000abcd.lte-3.1.v',
        viewerId: 'sim-0000abcd.lte-3',
        videoId: 'vid_1',
        ladderId: 'ladder-a',
        variant: 'control',
        beaconId: `sim-0000abcd.lte-3.1.v.${beacon.seq}`,
      });
    }
  });

  it('carries startup, rendition and stall fields', () => {
    expect(beacons[0]).toMatchObject({ viewportWidth: 1280, viewportHeight: 720, mediaDurationMs: 40_000 });
    expect(beacons[2]).toMatchObject({ bitrateKbps: 500, width: 640, height: 360, switchReason: 'initial' });
    expect(beacons[2]?.fromBitrateKbps).toBeUndefined();
    expect(beacons[3]).toMatchObject({ startupTimeMs: 1000, playheadMs: 0 });
    expect(beacons[4]).toMatchObject({
      bitrateKbps: 2000,
      width: 1280,
      height: 720,
      fromBitrateKbps: 500,
      fromWidth: 640,
      fromHeight: 360,
      switchReason: 'bandwidthupdate',
    });
    // 11 s of media played when the stall starts (1 s → 12 s).
    expect(beacons[7]).toMatchObject({ playheadMs: 11_000 });
    expect(beacons[8]).toMatchObject({ rebufferDurationMs: 2000, playheadMs: 11_000 });
  });

  it('splits watch and play time over heartbeats, one rung on screen each', () => {
    const pick = (i: number) => {
      const b = beacons[i];
      return [
        b?.watchTimeMs,
        b?.playTimeMs,
        b?.bitrateKbps,
        b?.upscaleTimeMs,
        b?.playheadMs,
        b?.completionPercent,
      ];
    };
    // 1 → 9 s on 360p in a 1280×720 player: upscaled throughout.
    expect(pick(5)).toEqual([8000, 8000, 500, 8000, 8000, 20]);
    // 9 → 11 s on 720p.
    expect(pick(6)).toEqual([2000, 2000, 2000, 0, 10_000, 25]);
    // 11 → 21 s: 10 s watched, 2 s of it stalled.
    expect(pick(9)).toEqual([10_000, 8000, 2000, 0, 18_000, 45]);
    // 21 → 26 s.
    expect(pick(10)).toEqual([5000, 5000, 2000, 0, 23_000, 57.5]);
    expect(beacons[10]).toMatchObject({ requestCount: 9, bytesDownloaded: 900_000, mediaDurationMs: 40_000 });
  });

  it('adds up to the model totals', () => {
    const sum = (key: 'watchTimeMs' | 'playTimeMs') => beacons.reduce((s, b) => s + (b[key] ?? 0), 0);
    expect(sum('watchTimeMs')).toBe(25_000);
    expect(sum('playTimeMs')).toBe(23_000);
  });
});
