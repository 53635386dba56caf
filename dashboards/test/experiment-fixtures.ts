/** Builders for experiment results as analytics answers them (core's types), shared by the tests. */
import type { ExperimentComparison } from '@streamloop/core/experiments';

/** A treatment arm whose rebuffer ratio is significantly worse (+35 %) than control's. */
export const makeComparison = (overrides: Partial<ExperimentComparison> = {}): ExperimentComparison => ({
  metric: 'rebuffer_ratio',
  control: 0.01,
  treatment: 0.0135,
  relativeLift: 0.35,
  fixedHorizon: { lower: 0.2, upper: 0.5, pValue: 0.00001 },
  alwaysValid: { lower: 0.12, upper: 0.61, pValue: 0.0021 },
  significant: true,
  verdict: 'worse',
  noLookReason: null,
  ...overrides,
});
