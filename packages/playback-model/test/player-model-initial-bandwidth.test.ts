/**
 * VHS' `bandwidth` option in the model (issue 14's start-rung hint): it seeds only the first
 * rendition choice; every measured segment replaces it.
 */
import { describe, expect, it } from 'vitest';
import { ModelInputError } from '../src/ladder.js';
import {
  type SegmentRequest,
  type SessionInput,
  type SessionOutcome,
  simulateSession,
} from '../src/player-model.js';
import { constantTrace, type NetworkTrace } from '../src/trace.js';
import { makeLadder, P240, P720, P1080, RUNGS } from './ladder-builder.js';

const FULL_HD = { width: 1920, height: 1080 };
const HD = { width: 1280, height: 720 };

function simulate(overrides: Partial<SessionInput> & Pick<SessionInput, 'trace'>): SessionOutcome {
  return simulateSession({ ladder: makeLadder(), viewport: FULL_HD, watch: { playSec: 40 }, ...overrides });
}

const renditionChanges = (outcome: SessionOutcome) =>
  outcome.events.filter((event) => event.type === 'renditionchange');

describe('initial bandwidth (VHS `bandwidth` option)', () => {
  it.each([
    // 240p's 400,000 × 1.2 = 480,000 is not under 300,000: nothing is affordable, so the lowest rung.
    { name: 'below the lowest rung', initialBandwidth: 300_000, firstRung: P240 },
    // 1080p's 5,000,000 × 1.2 = 6,000,000 is under twice its BANDWIDTH.
    { name: 'above twice the top rung', initialBandwidth: 2 * RUNGS[P1080].bandwidth + 1, firstRung: P1080 },
    // The default 4,194,304 affords 720p (2,500,000 × 1.2) but not 1080p.
    { name: 'absent (VHS default 4,194,304)', initialBandwidth: undefined, firstRung: P720 },
  ])('$name: the first segment is fetched on rung $firstRung', ({ initialBandwidth, firstRung }) => {
    const outcome = simulate({
      trace: constantTrace(20_000, 20),
      ...(initialBandwidth === undefined ? {} : { initialBandwidth }),
    });
    expect(renditionChanges(outcome)[0]).toMatchObject({ rung: firstRung, switchReason: 'initial' });
    const firstSegmentBits = (RUNGS[firstRung]?.bytes ?? 0) * 8;
    expect(outcome.startupTimeMs).toBe(20 + firstSegmentBits / 20_000);
  });

  it('leaves a session without the option exactly as before', () => {
    const trace = constantTrace(3000, 40);
    const without = simulate({ trace, viewport: HD, watch: {} });
    const withDefault = simulate({ trace, viewport: HD, watch: {}, initialBandwidth: 4_194_304 });
    expect(JSON.stringify(withDefault)).toBe(JSON.stringify(without));
  });

  it('is only a seed: the first measured segments move the viewer up to what the link affords', () => {
    const outcome = simulate({ trace: constantTrace(20_000, 20), initialBandwidth: 300_000, viewport: HD });
    const changes = renditionChanges(outcome);
    expect(changes[0]).toMatchObject({ rung: P240 });
    // VHS re-checks only walking forward, so two 240p segments, then 720p (the player's size).
    expect(changes[1]).toMatchObject({ rung: P720, switchReason: 'bandwidthupdate' });
    expect(outcome.playTimeMsByRung[P240]).toBe(8000);
  });

  it('gives way to the Network Information API’s downlink, as VHS’ bandwidth getter does', () => {
    const outcome = simulate({
      trace: constantTrace(900, 20),
      initialBandwidth: 2 * RUNGS[P1080].bandwidth + 1,
      networkInformation: {},
    });
    // 900 kbit/s downlink under 10 Mbit/s: VHS reads the downlink, whatever it was seeded with.
    expect(renditionChanges(outcome)[0]).toMatchObject({ rung: P240 });
  });

  it('rejects a negative estimate, naming the field', () => {
    expect(() => simulate({ trace: constantTrace(900, 20), initialBandwidth: -1 })).toThrow(
      new ModelInputError('initialBandwidth', 'must be ≥ 0'),
    );
  });
});

describe('segment requests as the SDK measures them', () => {
  it('reports every main request that ended, an aborted one with the bytes it got: the bytes downloaded', () => {
    // 5 Mbit/s for 1.8 s, then 0.2 Mbit/s: the second segment is aborted early.
    const trace: NetworkTrace = {
      pieces: [
        { durationMs: 1800, bandwidthKbps: 5000, latencyMs: 20 },
        { durationMs: 600_000, bandwidthKbps: 200, latencyMs: 20 },
      ],
    };
    const requests: SegmentRequest[] = [];
    const outcome = simulate({
      trace,
      viewport: HD,
      watch: { playSec: 8 },
      onSegmentRequest: (request) => requests.push(request),
    });
    expect(requests[0]).toEqual({
      rung: P720,
      sentMs: 0,
      endMs: 20 + (RUNGS[P720].bytes * 8) / 5000,
      bytes: RUNGS[P720].bytes,
      aborted: false,
    });
    expect(requests[1]).toMatchObject({ rung: P720, aborted: true });
    expect(requests[1]?.bytes).toBeLessThan(RUNGS[P720].bytes);
    expect(requests[2]).toMatchObject({ rung: P240, aborted: false });
    expect(requests.reduce((sum, request) => sum + request.bytes, 0)).toBe(outcome.bytesDownloaded);
  });
});
