/**
 * Power (synthetic viewers, fast mode): a pilot (its own seed) measures the effect; the MDE
 * calculation names the sample that detects the pilot's lower 95 % bound of it with 80 % power; at
 * that size the effect must be found in ≥ 80 % of fresh simulated experiments (10 looks each).
 * Planned for the point estimate instead, the guardrail breach came out at 80/100: the calculation
 * is calibrated but leaves no margin for an optimistic pilot. More runs of both plans:
 * `npm run bench:power` (bench/results/power.json).
 */
import { describe, expect, test } from 'vitest';
import { wilsonInterval } from './helpers/arm-metrics.js';
import { CHEAPER_ENCODE, DROP_LOW_RUNGS, runPowerScenario } from './helpers/power.js';

const RUNS = 100;
/** Its planned sample is ~5× larger; 50 runs keep this file near 15 s of CPU (bench: 200). */
const CHEAPER_RUNS = 50;
const pct = (k: number, n: number) => {
  const { lower, upper } = wilsonInterval(k, n);
  return `${k}/${n} = ${((k / n) * 100).toFixed(1)} % (95 % Wilson ${(lower * 100).toFixed(1)}–${(upper * 100).toFixed(1)} %)`;
};

describe('power at the sample the MDE calculation asks for (synthetic, fast mode)', () => {
  test('dropping the two lowest rungs on an audience with 3G viewers: worse rebuffering found, guardrail stops the arm', {
    timeout: 300_000,
  }, () => {
    const { plan, result } = runPowerScenario(DROP_LOW_RUNGS, {
      planFor: 'pilot-lower-bound',
      runs: RUNS,
      firstSeed: 50_000,
    });
    console.log('plan (rebuffer ratio, drop two lowest rungs):', plan);
    expect(plan.effect).toBeGreaterThan(0.1);
    console.log(
      `worse rebuffering detected ${pct(result.detected, RUNS)}; detected and guardrail breached ${pct(result.detectedAndStopped, RUNS)}`,
      result.guardrail,
    );
    expect(result.detectedAndStopped / RUNS).toBeGreaterThanOrEqual(0.8);
  });

  test('a 20 % cheaper encode at the same declared ladder: found cheaper on bits per viewer-hour, rebuffer guardrail not breached', {
    timeout: 300_000,
  }, () => {
    const { plan, result } = runPowerScenario(CHEAPER_ENCODE, {
      planFor: 'pilot-lower-bound',
      runs: CHEAPER_RUNS,
      firstSeed: 60_000,
    });
    console.log('plan (bits per viewer-hour, cheaper encode):', plan);
    expect(plan.effect).toBeLessThan(-0.1);
    console.log(
      `cheaper detected ${pct(result.detected, CHEAPER_RUNS)}; rebuffer guardrail`,
      result.guardrail,
    );
    expect(result.detected / CHEAPER_RUNS).toBeGreaterThanOrEqual(0.8);
    expect(result.guardrail.breached / CHEAPER_RUNS).toBeLessThanOrEqual(0.05);
  });
});
