/**
 * The full power runs (synthetic viewers, simulator fast mode), more repetitions than npm test, both
 * ways of planning from the pilot, plus "how many watch-hours per arm" for a 20 % rebuffer change.
 * Run: npm run bench:power -w @streamloop/experiment-stats (writes bench/results/power.json).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { sampleForMde } from '../src/mde.js';
import { look, wilsonInterval } from '../test/helpers/arm-metrics.js';
import {
  ALPHA,
  CHEAPER_ENCODE,
  DROP_LOW_RUNGS,
  MIXING_RELATIVE_SD,
  type PlanFor,
  POWER,
  runPowerScenario,
} from '../test/helpers/power.js';
import { AA_SHARES, controlLadder, mixedAudience } from '../test/helpers/scenarios.js';
import { simulateExperiment } from '../test/helpers/simulated-experiment.js';

const load1Before = loadavg()[0];
const cpuBefore = process.cpuUsage();
const rate = (k: number, n: number) => ({ k, n, rate: k / n, wilson95: wilsonInterval(k, n) });

const scenarios = [];
for (const planFor of ['point-estimate', 'pilot-lower-bound'] as PlanFor[]) {
  for (const [scenario, runs, firstSeed] of [
    [DROP_LOW_RUNGS, Number(process.env.RUNS_DROP ?? 400), 150_000],
    [CHEAPER_ENCODE, Number(process.env.RUNS_CHEAPER ?? 200), 160_000],
  ] as const) {
    const { plan, result } = runPowerScenario(scenario, { planFor, runs, firstSeed });
    scenarios.push({
      scenario: scenario.name,
      metric: scenario.metric,
      plan,
      detected: rate(result.detected, result.runs),
      detectedAndGuardrailBreached: rate(result.detectedAndStopped, result.runs),
      guardrail: { metric: scenario.guardrailMetric, ...result.guardrail },
    });
    console.log(JSON.stringify(scenarios.at(-1)));
  }
}

// "How many watch-hours per arm to see a 20 % change in rebuffer ratio" on the A/A audience.
const pilot = simulateExperiment({
  audience: mixedAudience(8000, AA_SHARES),
  seed: 3,
  arms: [
    { name: 'a', ladder: controlLadder, share: 0.5 },
    { name: 'b', ladder: controlLadder, share: 0.5 },
  ],
});
const aa = look('rebufferRatio', pilot, {}, undefined);
const watchHoursPerViewer = pilot.reduce((sum, v) => sum + v.watchMs, 0) / 3_600_000 / pilot.length;
const today = { standardError: aa.logRatioStandardError, viewers: pilot.length };
const perArmHours = (viewers: number) => (viewers / 2) * watchHoursPerViewer;
const fixed = sampleForMde(0.2, today, { alpha: ALPHA, power: POWER });
const sequential = sampleForMde(0.2, today, {
  alpha: ALPHA,
  power: POWER,
  mixingRelativeSd: MIXING_RELATIVE_SD,
});
const rebuffer20Pct = {
  audience: AA_SHARES,
  rebufferRatio: aa.control,
  watchHoursPerViewer,
  fixedHorizon: { viewers: fixed.viewers, watchHoursPerArm: perArmHours(fixed.viewers) },
  alwaysValid: { viewers: sequential.viewers, watchHoursPerArm: perArmHours(sequential.viewers) },
};
console.log(JSON.stringify(rebuffer20Pct));

const cpu = process.cpuUsage(cpuBefore);
const result = {
  bench: 'experiment-stats power (synthetic viewers, simulator fast mode)',
  date: new Date().toISOString(),
  node: process.version,
  synthetic: true,
  alpha: ALPHA,
  power: POWER,
  mixingRelativeSd: MIXING_RELATIVE_SD,
  looksPerRun: 10,
  scenarios,
  rebuffer20Pct,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  load1Before,
  load1After: loadavg()[0],
};
writeFileSync(new URL('./results/power.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
