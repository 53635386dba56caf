/**
 * The results table of `streamloop-experiments results` from a handwritten answer of the results
 * route: a treatment significantly cheaper on the primary metric, a second one stopped by a
 * breached guardrail, and a flagged sample-ratio mismatch — each where a reader looks for it.
 */
import { makeArmResult, makeExperimentResults } from '@streamloop/core/testing';
import { describe, expect, it } from 'vitest';
import { formatResults } from '../src/experiments-command.js';

const noLift = {
  fixedHorizon: { lower: null, upper: null, pValue: null },
  alwaysValid: { lower: null, upper: null, pValue: null },
};

const results = makeExperimentResults({
  experimentId: 'exp-abc',
  status: 'running',
  synthetic: 'real',
  primaryMetric: 'bits_per_viewer_hour',
  from: '2026-12-01T00:00:00.000Z',
  to: '2026-12-03T00:00:00.000Z',
  egressUsdPerGb: 0.02,
  arms: [
    makeArmResult({
      name: 'control',
      control: true,
      trafficPercent: 50,
      views: 5200,
      viewers: 4100,
      metrics: { bits_per_viewer_hour: 3_236_400_000 },
      bitsDelivered: 1e12,
      egressCostUsd: 2.5,
    }),
    makeArmResult({
      name: 'capped',
      trafficPercent: 25,
      views: 2500,
      viewers: 2000,
      metrics: { bits_per_viewer_hour: 2_589_120_000 },
      bitsDelivered: 4e11,
      egressCostUsd: 1,
      comparisons: [
        {
          metric: 'bits_per_viewer_hour',
          control: 3_236_400_000,
          treatment: 2_589_120_000,
          relativeLift: -0.2,
          fixedHorizon: { lower: -0.24, upper: -0.16, pValue: 0.00001 },
          alwaysValid: { lower: -0.27, upper: -0.13, pValue: 0.00002 },
          significant: true,
          verdict: 'better',
          noLookReason: null,
        },
      ],
      guardrails: [
        {
          metric: 'rebuffer_ratio',
          marginPercent: 10,
          status: 'ok',
          harmLower: -0.05,
          harmUpper: 0.04,
          reason: 'harm below the margin',
        },
      ],
      primaryMde: { increase: 0.05, decrease: 0.05 },
    }),
    makeArmResult({
      name: 'lowest',
      trafficPercent: 25,
      stopped: { at: '2026-12-02T10:00:00.000Z', reason: 'guardrail rebuffer_ratio breached' },
      views: 900,
      viewers: 700,
      metrics: { bits_per_viewer_hour: null },
      bitsDelivered: 1e11,
      egressCostUsd: 0.25,
      comparisons: [
        {
          metric: 'bits_per_viewer_hour',
          control: 3_236_400_000,
          treatment: null,
          relativeLift: null,
          ...noLift,
          significant: false,
          verdict: 'inconclusive',
          noLookReason: 'no-variance',
        },
      ],
      guardrails: [
        {
          metric: 'rebuffer_ratio',
          marginPercent: 10,
          status: 'breached',
          harmLower: 0.3,
          harmUpper: null,
          reason: 'harm above the margin',
        },
      ],
    }),
  ],
  sampleRatioMismatch: {
    asOf: '2026-12-02T09:00:00.000Z',
    basis: 'beacons',
    observedViewers: [3000, 1500, 400],
    expectedViewers: [2450, 1225, 1225],
    chiSquare: 740.2,
    pValue: 1e-12,
    flagged: true,
    exposedViewers: null,
    beaconViewers: [3000, 1500, 400],
    beaconCoverage: [null, null, null],
    trackingMismatch: null,
  },
  unknownArmViews: 3,
});

describe('the results table', () => {
  const lines = formatResults(results).split('\n');

  it('puts each arm on one row: traffic, viewers, views, the primary metric, lift, always-valid interval and p, verdict', () => {
    expect(lines[0]).toBe(
      'experiment exp-abc (running), real viewers, 2026-12-01T00:00:00.000Z to 2026-12-03T00:00:00.000Z',
    );
    expect(lines[2]).toMatch(
      /^ARM\s+TRAFFIC\s+VIEWERS\s+VIEWS\s+bits_per_viewer_hour\s+LIFT\s+ALWAYS-VALID INTERVAL\s+P\s+VERDICT$/,
    );
    expect(lines[3]).toMatch(/^control \(control\)\s+50%\s+4100\s+5200\s+3\.236 G\s+-\s+-\s+-\s+-$/);
    expect(lines[4]).toMatch(
      /^capped\s+25%\s+2000\s+2500\s+2\.589 G\s+-20\.0%\s+\[-27\.0%, -13\.0%\]\s+<0\.0001\s+better$/,
    );
    expect(lines[5]).toMatch(
      /^lowest STOPPED\s+25%\s+700\s+900\s+-\s+-\s+\[-∞, \+∞\]\s+-\s+inconclusive \(no-variance\)$/,
    );
  });

  it('shows egress cost per arm at the price asked', () => {
    expect(lines[6]).toBe(
      'egress at $0.02/GB: control $2.50 (1 Tbit), capped $1.00 (400 Gbit), lowest $0.25 (100 Gbit)',
    );
  });

  it('lists guardrails per arm, the stopped arm with why, and a flagged SRM that cannot be missed', () => {
    const text = lines.join('\n');
    expect(text).toMatch(
      /\ncapped\s+rebuffer_ratio\s+10%\s+OK\s+\[-5\.0%, \+4\.0%\]\s+harm below the margin/,
    );
    expect(text).toMatch(
      /\nlowest\s+rebuffer_ratio\s+10%\s+BREACHED\s+\[\+30\.0%, \+∞\]\s+harm above the margin/,
    );
    expect(text).toContain('arm lowest stopped 2026-12-02T10:00:00.000Z: guardrail rebuffer_ratio breached');
    expect(text).toContain(
      'sample ratio MISMATCH (p < 0.001: do not trust these results until the cause is found): viewers 3000 / 1500 / 400 against expected 2450.0 / 1225.0 / 1225.0, χ² 740.20, p <0.0001',
    );
    expect(text).toContain('3 view(s) named an arm this experiment does not have');
  });
});
