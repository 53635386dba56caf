/**
 * Same seed → the same beacons, byte for byte (ids included, so analytics deduplicates a re-run);
 * another seed → other ids. Fast mode's whole per-session path, on a hand-made ladder.
 */

import { Value } from '@sinclair/typebox/value';
import { Beacon } from '@streamloop/core/schemas/beacon';
import { parseAudience, planSessions } from '@streamloop/playback-model/audience';
import type { Ladder } from '@streamloop/playback-model/ladder';
import { describe, expect, it } from 'vitest';
import { createFastSessionRunner, runKeyOf } from '../src/fast-mode.js';
import { audienceBuilder } from './audiences.js';

const segments = (bytesPerSec: number) =>
  Array.from({ length: 30 }, () => ({ durationSec: 4, bytes: bytesPerSec * 4 }));
const ladder: Ladder = {
  rungs: [
    { bandwidth: 400_000, width: 426, height: 240, segments: segments(40_000) },
    { bandwidth: 1_200_000, width: 854, height: 480, segments: segments(130_000) },
    { bandwidth: 3_000_000, width: 1280, height: 720, segments: segments(330_000) },
  ],
};
const audience = parseAudience(
  audienceBuilder({
    viewers: 40,
    cohorts: [
      { name: '3g', share: 0.5, network: { class: '3g' } },
      { name: 'wifi', share: 0.5, network: { class: 'wifi-oboe' }, sessionsPerViewer: { min: 1, max: 3 } },
    ],
  }),
);

function runAll(seed: number): Beacon[] {
  const run = createFastSessionRunner({
    runKey: runKeyOf(seed, audience, ['vid_1']),
    titleOf: () => ({ videoId: 'vid_1', ladder, playback: { ladderId: 'l1', variant: undefined } }),
    traces: {},
    nowMs: 1_700_000_000_000,
    windowMs: 3_600_000,
  });
  return [...planSessions(audience, seed)].flatMap((plan) => run(plan).beacons);
}

describe('fast mode is reproducible', () => {
  it('gives byte-identical beacons for the same seed', () => {
    const first = runAll(7);
    expect(first.length).toBeGreaterThan(40 * 4);
    expect(JSON.stringify(runAll(7))).toBe(JSON.stringify(first));
  });

  it('gives other ids for another seed', () => {
    const ids = new Set(runAll(7).map((b) => b.beaconId));
    expect(runAll(8).some((b) => ids.has(b.beaconId))).toBe(false);
  });

  it('makes valid qoe.beacon.v1 beacons, unique ids, all synthetic, ending before now', () => {
    const all = runAll(7);
    expect(new Set(all.map((b) => b.beaconId)).size).toBe(all.length);
    for (const beacon of all) {
      expect([...Value.Errors(Beacon, beacon)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
      expect(beacon.synthetic).toBe(true);
      expect(beacon.clientTimeMs).toBeLessThanOrEqual(1_700_000_000_000);
      expect(beacon.clientTimeMs).toBeGreaterThanOrEqual(1_700_000_000_000 - 3_600_000 - 200_000);
    }
    expect(new Set(all.map((b) => b.networkClass))).toEqual(new Set(['3g', 'wifi-oboe']));
  });
});
