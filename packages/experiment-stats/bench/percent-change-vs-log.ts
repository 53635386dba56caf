/**
 * Why lift.ts infers on log(T / C): the same 200 A/A experiments as test/a-a-experiments.test.ts
 * (synthetic, 20 looks), rebuffer ratio, the same mixture test run on T / C − 1 with its delta-method
 * variance instead. Run: npx vite-node bench/percent-change-vs-log.ts (writes
 * bench/results/percent-change-vs-log.json).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { compareArms } from '../src/lift.js';
import { type AlwaysValid, mixtureSprt, updateAlwaysValid } from '../src/mixture-sprt.js';
import { armEstimate, wilsonInterval } from '../test/helpers/arm-metrics.js';
import { AA_SHARES, controlLadder, mixedAudience } from '../test/helpers/scenarios.js';
import { simulateExperiment } from '../test/helpers/simulated-experiment.js';

const load1Before = loadavg()[0];
const audience = mixedAudience(500, AA_SHARES);
let percentChange = 0;
let logRatio = 0;
for (let e = 0; e < 200; e++) {
  const viewers = simulateExperiment({
    audience,
    seed: 10_000 + e,
    arms: [
      { name: 'control', ladder: controlLadder, share: 0.5 },
      { name: 'same-ladder', ladder: controlLadder, share: 0.5 },
    ],
  });
  let relative: AlwaysValid | undefined;
  let log: AlwaysValid | undefined;
  for (let k = 1; k <= 20; k++) {
    const seen = viewers.slice(0, Math.round((viewers.length * k) / 20));
    const c = armEstimate(
      'rebufferRatio',
      seen.filter((v) => v.arm === 0),
    );
    const t = armEstimate(
      'rebufferRatio',
      seen.filter((v) => v.arm === 1),
    );
    log = compareArms(c, t, {}, log).alwaysValid;
    if (Math.min(c.viewers, t.viewers) < 100 || !(c.value > 0)) continue;
    // Deng et al. 2018, percent change: Var(T / C) ≈ Var(T) / C² + T² Var(C) / C⁴.
    const variance = t.variance / c.value ** 2 + (t.value ** 2 * c.variance) / c.value ** 4;
    if (!(variance > 0)) continue;
    relative = updateAlwaysValid(
      relative,
      mixtureSprt({ estimate: t.value / c.value - 1, variance, mixingVariance: 0.1 ** 2, alpha: 0.05 }),
    );
  }
  if (relative && relative.pValue <= 0.05) percentChange++;
  if (log && log.pValue <= 0.05) logRatio++;
}
const result = {
  bench: 'A/A rebuffer ratio declared significant: percent-change scale vs log-ratio scale (synthetic)',
  date: new Date().toISOString(),
  experiments: 200,
  looks: 20,
  percentChange: { k: percentChange, wilson95: wilsonInterval(percentChange, 200) },
  logRatio: { k: logRatio, wilson95: wilsonInterval(logRatio, 200) },
  load1Before,
  load1After: loadavg()[0],
};
console.log(JSON.stringify(result));
writeFileSync(
  new URL('./results/percent-change-vs-log.json', import.meta.url),
  `${JSON.stringify(result, null, 2)}\n`,
);
