// Simulated 10-minute sessions per second on one core (issue 11 target: ≥ 5,000, model only).
// Run after `npm run build`: `node bench/sessions-per-second.mjs [sessions]`.
import { cpus, loadavg } from 'node:os';
import { findNetworkClass } from '@streamloop/playback-model/network-classes';
import { simulateSession } from '@streamloop/playback-model/player-model';
import { generateSyntheticTrace } from '@streamloop/playback-model/synthetic-trace';

const sessions = Number(process.argv[2] ?? 20_000);
// The 1-minute load before and after: on a shared machine the figures mean little without it.
const load1Before = loadavg()[0];
const rungs = [
  [400_000, 426, 240, 175_000],
  [800_000, 640, 360, 350_000],
  [2_500_000, 1280, 720, 1_100_000],
  [5_000_000, 1920, 1080, 2_200_000],
].map(([bandwidth, width, height, bytes]) => ({
  bandwidth,
  width,
  height,
  // ±20 % segment sizes so the estimator sees variety.
  segments: Array.from({ length: 150 }, (_, i) => ({
    durationSec: 4,
    bytes: Math.round(bytes * (0.8 + (0.4 * ((i * 7919) % 101)) / 100)),
  })),
}));
const ladder = { rungs };
const classes = ['3g', 'lte', 'fixed-fcc-2016', 'wifi-oboe', 'puffer-2022'].map((id) => findNetworkClass(id));
const viewport = { width: 1280, height: 720 };

const makeTraces = (offset) =>
  Array.from({ length: 1000 }, (_, i) =>
    generateSyntheticTrace(classes[i % classes.length], { seed: offset + i, durationSec: 600 }),
  );
makeTraces(1_000_000); // warm-up
const traceStart = performance.now();
const traces = makeTraces(0);
const traceMs = performance.now() - traceStart;

// Warm up, then measure: the video-only ladder, then the same ladder with separate audio (128 kbit/s,
// as the packager writes it), which runs VHS' second segment loader on the shared link.
const withAudio = {
  rungs,
  audio: { segments: Array.from({ length: 150 }, () => ({ durationSec: 4, bytes: 64_000 })) },
};
const measure = (benchLadder) => {
  for (let i = 0; i < 500; i++)
    simulateSession({
      ladder: benchLadder,
      trace: traces[i % traces.length],
      viewport,
      watch: {},
      ladderChecked: true,
    });
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let stalls = 0;
  for (let i = 0; i < sessions; i++) {
    stalls += simulateSession({
      ladder: benchLadder,
      trace: traces[i % traces.length],
      viewport,
      watch: {},
      ladderChecked: true,
    }).rebufferCount;
  }
  const modelMs = performance.now() - start;
  // CPU time as well as wall time: on a shared machine the wall clock also counts other processes.
  const cpu = process.cpuUsage(cpuStart);
  const modelCpuMs = (cpu.user + cpu.system) / 1000;
  return {
    sessionsPerSecond: Math.round(sessions / (modelMs / 1000)),
    sessionsPerCpuSecond: Math.round(sessions / (modelCpuMs / 1000)),
    meanStallsPerSession: +(stalls / sessions).toFixed(2),
  };
};
const videoOnly = measure(ladder);
const audio = measure(withAudio);
console.log(
  JSON.stringify({
    sessions,
    machine: { cpus: cpus().length, node: process.version, load1Before, load1After: loadavg()[0] },
    ...videoOnly,
    tracesPerSecond: Math.round(traces.length / (traceMs / 1000)),
    withSeparateAudio: audio,
  }),
);
