/**
 * Power (synthetic viewers, fast mode): a pilot (its own seed) measures the effect; the MDE
 * calculation names the sample that detects the pilot's lower 95 % bound of it with 80 % power; at
 * that size the effect must be found in ≥ 80 % of fresh simulated experiments (10 looks each).
 * Planned for the point estimate instead, power came out at 80/100 for the guardrail breach: the
 * calculation is calibrated, with no margin for an optimistic pilot (bench/results/power.json).
 * The full runs with more repetitions are `npm run bench:power` (results in bench/results/).
 */
import { describe, expect, test } from 'vitest';
import { wilsonInterval } from './helpers/arm-metrics.js';
import { planFromPilot, runAtPlannedSize } from './helpers/power.js';
import {
  cheaperEncode,
  controlLadder,
  mixedAudience,
  POWER_SHARES,
  withoutLowRungs,
} from './helpers/scenarios.js';

const RUNS = 100;
/** Its planned sample is ~3× larger; 50 runs keep the file near a minute of CPU (bench: 400). */
const CHEAPER_RUNS = 50;
const pct = (k: number, n: number) => {
  const { lower, upper } = wilsonInterval(k, n);
  return `${k}/${n} = ${((k / n) * 100).toFixed(1)} % (95 % Wilson ${(lower * 100).toFixed(1)}–${(upper * 100).toFixed(1)} %)`;
};

describe('power at the sample the MDE calculation asks for (synthetic, fast mode)', () => {
  test('dropping the two lowest rungs on an audience with 3G viewers: worse rebuffering found, guardrail stops the arm', {
    timeout: 300_000,
  }, () => {
    const arms = [
      { name: 'control', ladder: controlLadder, share: 0.5 },
      { name: 'no-240p-360p', ladder: withoutLowRungs, share: 0.5 },
    ];
    const plan = planFromPilot({
      audience: mixedAudience(4000, POWER_SHARES),
      seed: 1,
      arms,
      metric: 'rebufferRatio',
      withGuardrail: true,
      planFor: 'pilot-lower-bound',
    });
    console.log('plan (rebuffer ratio, drop two lowest rungs):', plan);
    expect(plan.effect).toBeGreaterThan(0.1);
    const result = runAtPlannedSize({
      audience: mixedAudience(plan.viewers, POWER_SHARES),
      firstSeed: 50_000,
      runs: RUNS,
      arms,
      metric: 'rebufferRatio',
      direction: 'higher',
      guardrailMetric: 'rebufferRatio',
    });
    console.log(
      `worse rebuffering detected ${pct(result.detected, RUNS)}; detected and guardrail breached ${pct(result.detectedAndStopped, RUNS)}`,
      result.guardrail,
    );
    expect(result.detectedAndStopped / RUNS).toBeGreaterThanOrEqual(0.8);
  });

  test('a 20 % cheaper encode at the same declared ladder: found cheaper on bits per viewer-hour, rebuffer guardrail not breached', {
    timeout: 300_000,
  }, () => {
    const arms = [
      { name: 'control', ladder: controlLadder, share: 0.5 },
      { name: 'cheaper-encode', ladder: cheaperEncode, share: 0.5 },
    ];
    const plan = planFromPilot({
      audience: mixedAudience(4000, POWER_SHARES),
      seed: 2,
      arms,
      metric: 'bitsPerViewerHour',
      withGuardrail: false,
      planFor: 'pilot-lower-bound',
    });
    console.log('plan (bits per viewer-hour, cheaper encode):', plan);
    expect(plan.effect).toBeLessThan(-0.1);
    const result = runAtPlannedSize({
      audience: mixedAudience(plan.viewers, POWER_SHARES),
      firstSeed: 60_000,
      runs: CHEAPER_RUNS,
      arms,
      metric: 'bitsPerViewerHour',
      direction: 'lower',
      guardrailMetric: 'rebufferRatio',
    });
    console.log(
      `cheaper detected ${pct(result.detected, CHEAPER_RUNS)}; rebuffer guardrail`,
      result.guardrail,
    );
    expect(result.detected / CHEAPER_RUNS).toBeGreaterThanOrEqual(0.8);
    expect(result.guardrail.breached / CHEAPER_RUNS).toBeLessThanOrEqual(0.05);
  });
});
