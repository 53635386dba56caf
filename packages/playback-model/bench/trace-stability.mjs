// Which traces make a fair validation case: the model's outcome must not move when what the browser
// decides is nudged (set-up time, Chromium's downlink noise, time per append). A trace whose rung
// shares, startup or stalls jump under such nudges hinges on a few ms, in the player too.
//
//   npm run build -w @streamloop/playback-model
//   node packages/playback-model/bench/trace-stability.mjs <validation artifact .json> <trace.json …>
//   node packages/playback-model/bench/trace-stability.mjs <validation artifact .json> --3g 1-80
//
// The artifact (e2e/artifacts/model-validation-<trace>.json, written by the validation test) gives
// the ladder the stack published; traces are Sabre JSON files or seeds of the `3g` class (60 s).
import fs from 'node:fs';
import { findNetworkClass } from '@streamloop/playback-model/network-classes';
import { simulateSession } from '@streamloop/playback-model/player-model';
import { generateSyntheticTrace } from '@streamloop/playback-model/synthetic-trace';
import { parseSabreTrace } from '@streamloop/playback-model/trace';

const [artifact, ...rest] = process.argv.slice(2);
if (!artifact) {
  console.error(
    'usage: trace-stability.mjs <validation artifact .json> (<trace.json> … | --3g <from>-<to>) [--play <s>]',
  );
  process.exit(2);
}
const { ladder } = JSON.parse(fs.readFileSync(artifact, 'utf8'));
const playIndex = rest.indexOf('--play');
const playSec = playIndex >= 0 ? Number(rest.splice(playIndex, 2)[1]) : 40;
const traces = [];
if (rest[0] === '--3g') {
  const [from, to] = (rest[1] ?? '1-80').split('-').map(Number);
  for (let seed = from; seed <= to; seed++)
    traces.push([
      `3g seed ${seed}`,
      generateSyntheticTrace(findNetworkClass('3g'), { seed, durationSec: 60 }),
    ]);
} else for (const file of rest) traces.push([file, parseSabreTrace(fs.readFileSync(file, 'utf8'))]);

const NUDGES = { setupMs: [20, 150, 400, 700], downlinkMultiplier: [0.88, 1, 1.12], appendMs: [0, 100, 300] };
const run = (trace, setupMs, downlinkMultiplier, appendMs) =>
  simulateSession({
    ladder,
    trace,
    viewport: { width: 1024, height: 576 },
    watch: { playSec },
    playlistRequests: true,
    networkInformation: { downlinkMultiplier },
    setupMs,
    appendMs,
    appendMsPerMegabyte: 18,
  });
const shares = (outcome) => {
  const total = outcome.playTimeMsByRung.reduce((a, b) => a + b, 0);
  return outcome.playTimeMsByRung.map((v) => (100 * v) / total);
};
for (const [name, trace] of traces) {
  const base = run(trace, 100, 1, 0);
  const baseShares = shares(base);
  let stable = true;
  let worst = 0;
  for (const setupMs of NUDGES.setupMs)
    for (const multiplier of NUDGES.downlinkMultiplier)
      for (const appendMs of NUDGES.appendMs) {
        const nudged = run(trace, setupMs, multiplier, appendMs);
        const rung = Math.max(...shares(nudged).map((share, i) => Math.abs(share - (baseShares[i] ?? 0))));
        const startup =
          Math.abs((nudged.startupTimeMs ?? 0) - (base.startupTimeMs ?? 0)) / (base.startupTimeMs ?? 1);
        const stall =
          Math.abs(nudged.rebufferDurationMs - base.rebufferDurationMs) >
          0.25 * base.rebufferDurationMs + 500;
        worst = Math.max(worst, rung);
        if (rung > 7.5 || startup > 0.15 || stall || nudged.rebufferCount !== base.rebufferCount)
          stable = false;
      }
  const switches = base.events
    .filter((e) => e.type === 'renditionchange')
    .map((e) => `${e.height}p ${e.switchReason} @${(e.atMs / 1000).toFixed(1)}s`)
    .join(', ');
  console.log(
    `${name}: ${stable ? 'stable' : 'FRAGILE'} (worst rung Δ ${worst.toFixed(1)} pts) startup ${base.startupTimeMs} ms, ` +
      `${base.rebufferCount} stalls ${base.rebufferDurationMs} ms, shares ${baseShares.map((s) => s.toFixed(0)).join('-')}; ${switches}`,
  );
}
