/**
 * A/A is honest: the same ladder in both arms, 200 simulated experiments (synthetic viewers, fast mode)
 * with different seeds, each looked at 20 times as it fills (≥ 10 of them past the minimum sample).
 * Always-valid inference must declare a difference in ≤ 5 % of them for every metric, and the
 * sample-ratio check must fire in ≤ 1 %.
 */
import { describe, expect, test } from 'vitest';
import { METRIC_NAMES, type MetricName, wilsonInterval } from './helpers/arm-metrics.js';
import { type ExperimentRun, runExperiment } from './helpers/run-experiment.js';
import { AA_SHARES, controlLadder, mixedAudience } from './helpers/scenarios.js';

const EXPERIMENTS = 200;
const VIEWERS = 500;
const LOOKS = 20;
const ALPHA = 0.05;

describe('A/A experiments (synthetic, fast mode)', () => {
  const runs: ExperimentRun[] = [];

  test(`${EXPERIMENTS} experiments of ${VIEWERS} viewers, ${LOOKS} looks each`, { timeout: 300_000 }, () => {
    const audience = mixedAudience(VIEWERS, AA_SHARES);
    for (let e = 0; e < EXPERIMENTS; e++) {
      runs.push(
        runExperiment({
          audience,
          seed: 10_000 + e,
          arms: [
            { name: 'control', ladder: controlLadder, share: 0.5 },
            { name: 'same-ladder', ladder: controlLadder, share: 0.5 },
          ],
          metrics: METRIC_NAMES,
          looks: LOOKS,
          liftOptions: { alpha: ALPHA },
          guardrailMargin: 0.1,
        }),
      );
    }
    expect(runs).toHaveLength(EXPERIMENTS);
    for (const run of runs) {
      for (const metric of METRIC_NAMES) expect(run.looksTaken[metric]).toBeGreaterThanOrEqual(10);
    }
  });

  const share = (count: (run: ExperimentRun) => boolean) => {
    const k = runs.filter(count).length;
    const { lower, upper } = wilsonInterval(k, runs.length);
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    return {
      k,
      rate: k / runs.length,
      text: `${k}/${runs.length} = ${pct(k / runs.length)} (95 % Wilson ${pct(lower)}–${pct(upper)})`,
    };
  };

  test.each(METRIC_NAMES.map((metric) => [metric]))(
    '%s: declared significant in ≤ 5 % of A/A runs',
    (metric: MetricName) => {
      const declared = share((run) => run.alwaysValid[metric].pValue <= ALPHA);
      const naive = share((run) => run.naivelySignificant[metric]);
      console.log(
        `A/A ${metric}: always-valid ${declared.text}; peeking at a one-look z-test: ${naive.text}`,
      );
      expect(declared.rate).toBeLessThanOrEqual(0.05);
    },
  );

  test('any metric: how often at least one of the five is declared (printed; the five are not one test)', () => {
    const any = share((run) => METRIC_NAMES.some((metric) => run.alwaysValid[metric].pValue <= ALPHA));
    console.log(`A/A any of ${METRIC_NAMES.length} metrics: ${any.text}`);
    expect(any.rate).toBeLessThanOrEqual(METRIC_NAMES.length * ALPHA);
  });

  test('peeking at a one-look test instead would not have passed: the check has teeth', () => {
    // The same runs, read the naive way: a z-test at each look, stop at the first p < 0.05.
    const worst = Math.max(
      ...METRIC_NAMES.map((metric) => share((run) => run.naivelySignificant[metric]).rate),
    );
    expect(worst).toBeGreaterThan(0.05);
  });

  test('a guardrail (10 % margin) is breached in ≤ 5 % of A/A runs for every metric', () => {
    for (const metric of METRIC_NAMES) {
      const breached = share((run) => run.guardrail[metric] === 'breached');
      console.log(`A/A guardrail ${metric}: breached ${breached.text}`);
      expect(breached.rate).toBeLessThanOrEqual(0.05);
    }
  });

  test('sample-ratio mismatch is flagged in ≤ 1 % of runs (checked at every look)', () => {
    const flagged = share((run) => run.srmFlagged);
    console.log(`A/A SRM flagged at some look: ${flagged.text}`);
    expect(flagged.rate).toBeLessThanOrEqual(0.01);
  });
});
