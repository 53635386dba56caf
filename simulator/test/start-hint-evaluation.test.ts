/**
 * Issue 14's claim for the start-rung hint, on SIMULATED (synthetic) viewers of the playback model:
 * slow viewers start sooner and stall no more early on, fast viewers start on a higher rung.
 */
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { SegmentRequest } from '@streamloop/playback-model/player-model';
import { describe, expect, it } from 'vitest';
import {
  evaluateStartHint,
  modelLadderOfDefinition,
  type StartHintEvaluationOptions,
  viewerThroughput,
  viewThroughputSamplesKbps,
} from '../src/start-hint-evaluation.js';

const options: StartHintEvaluationOptions = {
  seed: 'start-hint-test',
  ladder: modelLadderOfDefinition(DEFAULT_LADDER, 600),
  viewport: { width: 1920, height: 1080 },
  groups: [
    { name: 'slow', classIds: ['3g'] },
    { name: 'fast', classIds: ['lte'] },
  ],
  viewersPerGroup: 300,
  priorSessions: 5,
  sessionPlaySec: 60,
};

const request = (sentMs: number, endMs: number, bytes: number): SegmentRequest => ({
  rung: 0,
  sentMs,
  endMs,
  bytes,
  aborted: false,
});

describe('a view’s throughput, as the SDK reports it and analytics reads it', () => {
  it('sums bytes and round trips per heartbeat interval (not a mean of rates)', () => {
    // First frame at 1 s: intervals end at 11 s and 21 s, the view at 25 s.
    const requests = [
      // Interval 1: 250,000 bytes over 1 s + 1 s = 1,000 kbit/s (a mean of the two rates would be 1,250).
      request(0, 1000, 62_500),
      request(5000, 6000, 187_500),
      // Interval 2: 3,000 kbit/s. Interval 3: 2,000 kbit/s.
      request(12_000, 13_000, 375_000),
      request(22_000, 23_000, 250_000),
    ];
    expect(viewThroughputSamplesKbps(requests, 1000, 25_000)).toEqual([1000, 3000, 2000]);
  });

  it('has nothing to say for a view without a finished request', () => {
    expect(viewThroughputSamplesKbps([], undefined, 5000)).toEqual([]);
  });

  it('pools a viewer’s measurements, interpolating between ranks as ClickHouse does', () => {
    expect(viewerThroughput([400, 100, 300, 200, 500])).toEqual({
      samples: 5,
      p10: 140,
      p25: 200,
      p50: 300,
      p75: 400,
      p90: 460,
    });
  });
});

describe('start-rung hint on simulated viewers (3G vs LTE, default ladder, full-HD player)', () => {
  const evaluation = evaluateStartHint(options);
  const group = (name: string) => evaluation.groups.find((g) => g.name === name) ?? expect.unreachable();

  it('hints most viewers, below VHS’ 4,194,304 bit/s start for 3G and above it for LTE', () => {
    const slow = group('slow');
    const fast = group('fast');
    expect(slow.hintedSessions).toBeGreaterThan(slow.sessions * 0.9);
    expect(fast.hintedSessions).toBe(fast.sessions);
    expect((slow.hintKbps?.median ?? Number.POSITIVE_INFINITY) * 1000).toBeLessThan(4_194_304);
    expect((fast.hintKbps?.median ?? 0) * 1000).toBeGreaterThan(4_194_304);
  });

  it('starts slow viewers sooner, and they wait less in all before 30 s of watching', () => {
    const slow = group('slow');
    expect(slow.startupTimeMs.with.median).toBeLessThan(slow.startupTimeMs.without.median);
    expect(slow.startupPlusEarlyStallMs.pairedDifference.mean).toBeLessThan(0);
  });

  it('does NOT spare slow viewers early stalls: slightly more of them stall in the first 30 s', () => {
    // Issue 14 expected fewer. The model shows +0.1…+1.2 points over six seeds at 2,000 viewers: both
    // starts play the lowest rung first (the default gets there by aborting its 720p request), and a
    // sooner start meets some outages as stalls that a later one sits out inside its startup.
    const slow = group('slow');
    expect(slow.earlyStallShare.difference).toBeGreaterThanOrEqual(0);
    expect(slow.earlyStallShare.difference).toBeLessThan(0.03);
  });

  it('starts fast viewers on a higher rung, paying for the larger first segment with a later start', () => {
    const fast = group('fast');
    expect(fast.initialBitrateKbps.with.median).toBeGreaterThan(fast.initialBitrateKbps.without.median);
    expect(fast.firstPictureBitrateKbps.with.median).toBeGreaterThan(
      fast.firstPictureBitrateKbps.without.median,
    );
    expect(fast.startupTimeMs.with.median).toBeGreaterThan(fast.startupTimeMs.without.median);
    expect(fast.earlyStallShare.with).toBe(0);
  });

  it('changes nothing in Chromium with VHS’ Network Information API on: the downlink overrides the hint', () => {
    const chromium = evaluateStartHint({ ...options, viewersPerGroup: 40, networkInformation: {} });
    for (const g of chromium.groups) {
      expect(g.hintedSessions).toBeGreaterThan(0);
      expect(g.startupTimeMs.pairedDifference).toEqual({ median: 0, mean: 0 });
      expect(g.initialBitrateKbps.pairedDifference).toEqual({ median: 0, mean: 0 });
    }
  });

  it('gives the same answer for the same seed', () => {
    const small = { ...options, viewersPerGroup: 10 };
    expect(JSON.stringify(evaluateStartHint(small))).toBe(JSON.stringify(evaluateStartHint(small)));
  });
});
