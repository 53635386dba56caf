import type { ExperimentGuardrailResult } from '@streamloop/core/experiments';
import { makeQoeRendition } from '@streamloop/core/testing';
import { describe, expect, it } from 'vitest';
import {
  armState,
  fixedHorizonText,
  formatBitsPerHour,
  formatInterval,
  formatLift,
  formatMetric,
  formatPValue,
  formatUsd,
  guardrailsReportOnly,
  guardrailText,
  rungShares,
  significance,
  srmText,
  storageText,
  timelineBar,
  viewsText,
} from '../src/ui/experiment-view.js';
import { makeComparison } from './experiment-fixtures.js';

describe('how the experiment pages write numbers', () => {
  it.each([
    [0.35, '+35.0 %'],
    [-0.042, '−4.2 %'],
    [0, '0.0 %'],
    [-0.0001, '0.0 %'],
    [null, '—'],
  ])('writes the lift %j as %s', (lift, text) => {
    expect(formatLift(lift)).toBe(text);
  });

  it('writes an unbounded interval end as infinity', () => {
    expect(formatInterval(-0.021, 0.08)).toBe('−2.1 % to +8.0 %');
    expect(formatInterval(null, 0.08)).toBe('−∞ to +8.0 %');
    expect(formatInterval(0.1, null)).toBe('+10.0 % to +∞');
  });

  it.each([
    [0.00001, '< 0.0001'],
    [0.0021, '0.0021'],
    [0.0437, '0.044'],
    [0.5, '0.500'],
    [1, '1'],
    [null, '—'],
  ])('writes the p-value %j as %s', (p, text) => {
    expect(formatPValue(p)).toBe(text);
  });

  it('writes each metric in its unit', () => {
    expect(formatMetric('rebuffer_ratio', 0.0135)).toBe('1.35 %');
    expect(formatMetric('video_start_failure', 2.5)).toBe('2.50 %');
    expect(formatMetric('startup_time_ms', 812.4)).toBe('812 ms');
    expect(formatMetric('bitrate_kbps', 2400)).toBe('2.40 Mbit/s');
    expect(formatMetric('bits_per_viewer_hour', 5.4e9)).toBe('5.40 Gbit/h');
    expect(formatMetric('qoe_score', 87.25)).toBe('87.3');
    expect(formatMetric('rebuffer_ratio', null)).toBe('—');
  });

  it('writes costs: bits per viewer-hour and dollars, fractions of a cent kept', () => {
    expect(formatBitsPerHour(750e6)).toBe('750.0 Mbit/h');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(0.00123)).toBe('$0.00123');
    expect(formatUsd(0)).toBe('$0.00');
  });
});

describe('significance that cannot be misread', () => {
  it('names a significant rise in rebuffering "worse", not just "+35 %"', () => {
    expect(significance(makeComparison())).toEqual({
      state: 'worse',
      text: 'Worse, significant (always-valid p = 0.0021)',
    });
  });

  it('names a significant gain "better"', () => {
    const better = makeComparison({ metric: 'qoe_score', relativeLift: 0.04, verdict: 'better' });
    expect(significance(better).text).toBe('Better, significant (always-valid p = 0.0021)');
  });

  it('calls a fixed-horizon "hit" not significant while the always-valid test is not', () => {
    const peeked = makeComparison({
      fixedHorizon: { lower: 0.01, upper: 0.4, pValue: 0.03 },
      alwaysValid: { lower: -0.2, upper: 0.7, pValue: 0.41 },
      significant: false,
      verdict: 'inconclusive',
    });
    expect(significance(peeked)).toEqual({
      state: 'not-significant',
      text: 'Not significant: no difference shown yet (always-valid p = 0.410)',
    });
    expect(fixedHorizonText(peeked)).toBe('+1.0 % to +40.0 %, p = 0.030 (one pre-planned look only)');
  });

  it('says why there is no test yet', () => {
    expect(significance(makeComparison({ noLookReason: 'fewer than 30 viewers in an arm' }))).toEqual({
      state: 'no-look',
      text: 'No test yet: fewer than 30 viewers in an arm',
    });
  });
});

describe('guardrails, arm state, SRM, views', () => {
  const guardrail: ExperimentGuardrailResult = {
    metric: 'rebuffer_ratio',
    marginPercent: 5,
    status: 'breached',
    harmLower: 0.12,
    harmUpper: 0.61,
    reason: 'rebuffer ratio is worse than control by more than 5 %',
  };

  it('says a guardrail is breached, with its harm interval and margin', () => {
    expect(guardrailText(guardrail)).toEqual({
      status: 'Breached: rebuffer ratio is worse than control by more than 5 %',
      harm: '+12.0 % to +61.0 % worse (margin 5 %)',
    });
  });

  it('says a breach among simulated viewers is reported only, and nothing when guardrails act', () => {
    expect(
      guardrailsReportOnly({ status: 'running', guardrailsEnforced: false, synthetic: 'synthetic' }),
    ).toBe(
      'Counting simulated viewers: a breach here is reported only. Arms are stopped on real viewers’ results alone.',
    );
    expect(guardrailsReportOnly({ status: 'running', guardrailsEnforced: false, synthetic: 'all' })).toMatch(
      /^Counting real and simulated viewers/,
    );
    expect(
      guardrailsReportOnly({ status: 'running', guardrailsEnforced: true, synthetic: 'real' }),
    ).toBeNull();
    expect(
      guardrailsReportOnly({ status: 'stopped', guardrailsEnforced: false, synthetic: 'synthetic' }),
    ).toBeNull();
  });

  it('says when and why an arm was stopped, and that its viewers get control', () => {
    const stopped = {
      control: false,
      stopped: { at: '2026-12-06T21:00:00.000Z', reason: 'guardrail rebuffer_ratio breached' },
    };
    expect(armState(stopped, 'running')).toEqual({
      state: 'stopped',
      text: 'Stopped 2026-12-06 21:00 UTC: guardrail rebuffer_ratio breached (its viewers get control)',
    });
    expect(armState({ control: true, stopped: null }, 'running')).toEqual({
      state: 'serving',
      text: 'Serving',
    });
    expect(armState({ control: true, stopped: null }, 'draft')).toEqual({
      state: 'idle',
      text: 'Not started',
    });
  });

  it('warns of a sample ratio mismatch and says not to trust the results', () => {
    const srm = {
      asOf: '2026-12-06T20:00:00.000Z',
      basis: 'beacons' as const,
      observedViewers: [1200, 800],
      expectedViewers: [1000, 1000],
      chiSquare: 80,
      pValue: 3.7e-19,
      flagged: true,
      exposedViewers: null,
      beaconViewers: [1200, 800],
      beaconCoverage: [null, null],
      trackingMismatch: null,
    };
    expect(srmText(srm, ['control', 'fewer-rungs'])).toEqual({
      flagged: true,
      text: 'Sample ratio mismatch: viewers per arm do not follow the configured split (control 1,200 (expected 1,000), fewer-rungs 800 (expected 1,000); χ² = 80.0, p < 0.0001, flagged below 0.001, as of 2026-12-06 20:00 UTC). Assignment or logging is broken somewhere; do not trust these results until that is explained.',
    });
    expect(
      srmText({ ...srm, observedViewers: [1010, 990], chiSquare: 0.2, pValue: 0.65, flagged: false }, [
        'a',
        'b',
      ]).flagged,
    ).toBe(false);
    expect(srmText(null, ['a', 'b']).text).toBe('Traffic split: no viewers yet to check it against.');
  });

  it('counts simulated views in the open', () => {
    expect(viewsText({ views: 1200, syntheticViews: 0 })).toBe('1,200');
    expect(viewsText({ views: 1200, syntheticViews: 1200 })).toBe('1,200 (all simulated)');
    expect(viewsText({ views: 1200, syntheticViews: 200 })).toBe('1,200 (200 simulated)');
  });

  it('draws the timeline bar as −log10 p, capped', () => {
    expect(timelineBar(0.01)).toBeCloseTo(2, 10);
    expect(timelineBar(1)).toBe(0);
    expect(timelineBar(1e-12)).toBe(6);
    expect(timelineBar(null)).toBe(0);
  });

  it('states storage in MB or GB with its monthly cost, and rung shares lowest rung first', () => {
    expect(storageText({ storageBytes: 121_000_000, storageCostUsdPerMonth: 0.002783 })).toBe(
      '121.0 MB ($0.00278/month)',
    );
    expect(storageText({ storageBytes: 2_500_000_000, storageCostUsdPerMonth: 0.0575 })).toBe(
      '2.50 GB ($0.06/month)',
    );
    expect(storageText({ storageBytes: null, storageCostUsdPerMonth: null })).toBe('—');
    const share = (height: number, playTimePercent: number) =>
      makeQoeRendition({ height, bitrateKbps: 1000, views: 1, viewers: 1, playTimeMs: 1, playTimePercent });
    expect(rungShares({ rungShare: [share(720, 62.46), share(360, 37.54)] })).toEqual([
      { label: '360p', percent: 37.5 },
      { label: '720p', percent: 62.5 },
    ]);
  });
});
