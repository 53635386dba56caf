/**
 * Fast mode, two questions, each next to its ceiling measured in the same run (alternating rounds):
 *
 * 1. Sessions/s on one core: fast mode's whole per-session path (synthetic trace, the VHS model,
 *    ids, the beacons the SDK would send, the summary record) against the model alone (trace +
 *    `simulateSession`), over ten-minute sessions watched to the end on a 10-minute 4-rung ladder,
 *    five network classes; and the same path plus JSON for the wire (the collector client's first
 *    step). The ratios are the simulator's overhead. Per CPU second and per wall second.
 * 2. Beacons/s into the collector: the beacons of 1,000 such sessions sent by the simulator's
 *    collector client, against the same batches prebuilt and posted by a plain loop (same
 *    concurrency, no retry logic) — the collector's ceiling for this client. The collector runs
 *    in this process, on the embedded log (and on Kafka when KAFKA_BROKERS is set), rate limit off.
 *
 *   npm run build && npm run bench:simulator -w bench
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import {
  type Audience,
  parseAudience,
  planSessions,
  type SessionPlan,
  traceForPlan,
} from '@streamloop/playback-model/audience';
import type { Ladder } from '@streamloop/playback-model/ladder';
import { simulateSession } from '@streamloop/playback-model/player-model';
import {
  COLLECTOR_MAX_BEACONS,
  COLLECTOR_MAX_BODY_BYTES,
  createCollectorClient,
} from '@streamloop/simulator/collector-client';
import { createFastSessionRunner, runKeyOf } from '@streamloop/simulator/fast-mode';
import { createSummary } from '@streamloop/simulator/summary';
import { startCollectorTarget } from '../collector/collector-target.js';

const SESSIONS_PER_ROUND = Number(process.env.BENCH_SESSIONS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COLLECTOR_SESSIONS = Number(process.env.BENCH_COLLECTOR_SESSIONS ?? 1000);
const CONCURRENCY = 4;
const TITLE_SEC = 600;
const SEGMENT_SEC = 4;

/** A 10-minute title, 4 s segments, sizes varying ±30 % around each rung's bitrate (fixed pattern). */
function tenMinuteLadder(): Ladder {
  const rung = (bandwidth: number, width: number, height: number) => ({
    bandwidth,
    width,
    height,
    segments: Array.from({ length: TITLE_SEC / SEGMENT_SEC }, (_, i) => ({
      durationSec: SEGMENT_SEC,
      bytes: Math.round(((bandwidth * 0.85) / 8) * SEGMENT_SEC * (1 + 0.3 * Math.sin(i * 1.7))),
    })),
  });
  return {
    rungs: [
      rung(400_000, 416, 234),
      rung(950_000, 640, 360),
      rung(1_550_000, 852, 480),
      rung(3_000_000, 1280, 720),
    ],
  };
}

function benchAudience(viewers: number): Audience {
  const classes = ['3g', 'lte', 'fixed-fcc-2016', 'wifi-oboe', 'puffer-2022'];
  return parseAudience({
    viewers,
    titles: ['title'],
    popularity: { zipfExponent: 1 },
    cohorts: classes.map((networkClass) => ({
      name: networkClass,
      share: 0.2,
      network: { class: networkClass },
      devices: [{ name: 'laptop', share: 1, viewport: { width: 1280, height: 720 } }],
      sessionsPerViewer: { min: 1, max: 1 },
      // Ten-minute sessions: everyone watches to the end.
      watch: { completionShare: 1, abandonHazardPerMin: 0 },
    })),
  });
}

interface Timing {
  wallS: number;
  cpuS: number;
}
function timed(fn: () => void): Timing {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  fn();
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { wallS, cpuS: (used.user + used.system) / 1e6 };
}
async function timedAsync(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const ladder = tenMinuteLadder();
const title = { videoId: 'bench_video', ladder, playback: { ladderId: 'bench', variant: undefined } };

function modelOnly(plans: readonly SessionPlan[]): void {
  for (const plan of plans) {
    const trace = traceForPlan(plan, {}, TITLE_SEC);
    simulateSession({ ladder, trace, viewport: plan.viewport, watch: plan.watch, ladderChecked: true });
  }
}

const runnerFor = (seed: number, audience: Audience) =>
  createFastSessionRunner({
    runKey: runKeyOf(seed, audience, []),
    titleOf: () => title,
    traces: {},
    nowMs: Date.now(),
    windowMs: 3_600_000,
  });

let beaconsMade = 0;
/** `withJson`: also serialise every beacon, as the collector client does before sending. */
function fastPath(plans: readonly SessionPlan[], audience: Audience, withJson: boolean): void {
  const run = runnerFor(1, audience);
  const summary = createSummary();
  for (const plan of plans) {
    const session = run(plan);
    summary.add(session.record);
    beaconsMade += session.beacons.length;
    if (withJson)
      for (const beacon of session.beacons) beaconsMade += JSON.stringify(beacon).length > 0 ? 0 : 1;
  }
}

/** The same greedy packing the client does, so both sides post the same batches. */
function packBatches(beacons: readonly Beacon[]): string[] {
  const bodies: string[] = [];
  let open: string[] = [];
  let bytes = 2;
  for (const beacon of beacons) {
    const json = JSON.stringify(beacon);
    const size = Buffer.byteLength(json) + 1;
    if (
      open.length >= COLLECTOR_MAX_BEACONS ||
      (open.length > 0 && bytes + size > COLLECTOR_MAX_BODY_BYTES)
    ) {
      bodies.push(`[${open.join(',')}]`);
      open = [];
      bytes = 2;
    }
    open.push(json);
    bytes += size;
  }
  if (open.length > 0) bodies.push(`[${open.join(',')}]`);
  return bodies;
}

async function plainLoop(url: string, bodies: readonly string[]): Promise<number> {
  let next = 0;
  let accepted = 0;
  const worker = async (): Promise<void> => {
    for (let body = bodies[next++]; body !== undefined; body = bodies[next++]) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      accepted += ((await response.json()) as { accepted?: number }).accepted ?? 0;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return accepted;
}

interface CollectorRow {
  target: string;
  sender: string;
  beacons: number;
  seconds: number;
  beaconsPerSec: number;
}

async function collectorRound(
  brokers: string[] | undefined,
  beacons: Beacon[],
  bodies: string[],
): Promise<CollectorRow[]> {
  const rows: CollectorRow[] = [];
  for (const sender of ['plain-loop', 'simulator-client'] as const) {
    const collector = await startCollectorTarget(brokers);
    await collector.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(collector.app.server.address() as AddressInfo).port}`;
    let accepted = 0;
    const seconds = await timedAsync(async () => {
      if (sender === 'plain-loop') {
        accepted = await plainLoop(`${base}/v1/beacons`, bodies);
      } else {
        const client = createCollectorClient({ target: base, concurrency: CONCURRENCY });
        await client.write(beacons);
        await client.close();
        accepted = client.counts().accepted;
      }
    });
    await collector.close();
    rows.push({
      target: brokers === undefined ? 'collector-embedded' : 'collector-kafka',
      sender,
      beacons: accepted,
      seconds,
      beaconsPerSec: accepted / seconds,
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0];
  const audience = benchAudience(SESSIONS_PER_ROUND);
  const plans = [...planSessions(audience, 1)];
  // Warm-up: the JIT sees both paths before anything is timed.
  modelOnly(plans.slice(0, 500));
  fastPath(plans.slice(0, 500), audience, true);

  const model: Timing[] = [];
  const fast: Timing[] = [];
  const fastJson: Timing[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    model.push(timed(() => modelOnly(plans)));
    beaconsMade = 0;
    fast.push(timed(() => fastPath(plans, audience, false)));
    fastJson.push(timed(() => fastPath(plans, audience, true)));
    process.stdout.write(
      `round ${round}: model ${JSON.stringify(model.at(-1))} fast ${JSON.stringify(fast.at(-1))} +json ${JSON.stringify(fastJson.at(-1))}\n`,
    );
  }
  const perSec = (timings: Timing[], key: keyof Timing) => median(timings.map((t) => plans.length / t[key]));
  const beaconsPerSession = beaconsMade / plans.length / 2;

  // Collector: 1,000 sessions' beacons, built once, sent both ways.
  const collectorPlans = plans.slice(0, COLLECTOR_SESSIONS);
  const run = runnerFor(2, audience);
  const beacons = collectorPlans.flatMap((plan) => run(plan).beacons);
  const bodies = packBatches(beacons);
  const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
  const collectorRows: CollectorRow[] = [];
  for (let round = 1; round <= 2; round++) {
    collectorRows.push(...(await collectorRound(undefined, beacons, bodies)));
    if (brokers?.length) collectorRows.push(...(await collectorRound(brokers, beacons, bodies)));
    process.stdout.write(
      `collector round ${round}: ${JSON.stringify(collectorRows.slice(brokers?.length ? -4 : -2))}\n`,
    );
  }
  const collectorMedian = (target: string, sender: string) =>
    median(
      collectorRows.filter((r) => r.target === target && r.sender === sender).map((r) => r.beaconsPerSec),
    );

  const summary = {
    benchmark: 'simulator-fast-mode',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      load1Before: loadBefore,
      load1After: os.loadavg()[0],
    },
    setup: {
      sessionsPerRound: plans.length,
      rounds: ROUNDS,
      sessionSec: TITLE_SEC,
      ladder: '4 rungs 234p–720p, 0.4–3 Mbit/s, 4 s segments',
      classes: '3g, lte, fixed-fcc-2016, wifi-oboe, puffer-2022 (one fifth each), VHS policy',
      collectorSessions: COLLECTOR_SESSIONS,
      collectorBeacons: beacons.length,
      collectorBatches: bodies.length,
      concurrency: CONCURRENCY,
    },
    sessionsPerSecond: {
      modelOnly: { perWallSecond: perSec(model, 'wallS'), perCpuSecond: perSec(model, 'cpuS') },
      fastMode: { perWallSecond: perSec(fast, 'wallS'), perCpuSecond: perSec(fast, 'cpuS') },
      fastModeWithJson: { perWallSecond: perSec(fastJson, 'wallS'), perCpuSecond: perSec(fastJson, 'cpuS') },
      ratioCpu: perSec(fast, 'cpuS') / perSec(model, 'cpuS'),
      ratioCpuWithJson: perSec(fastJson, 'cpuS') / perSec(model, 'cpuS'),
      beaconsPerSession,
    },
    collectorBeaconsPerSecond: {
      embedded: {
        plainLoop: collectorMedian('collector-embedded', 'plain-loop'),
        simulatorClient: collectorMedian('collector-embedded', 'simulator-client'),
        ratio:
          collectorMedian('collector-embedded', 'simulator-client') /
          collectorMedian('collector-embedded', 'plain-loop'),
      },
      ...(brokers?.length
        ? {
            kafka: {
              plainLoop: collectorMedian('collector-kafka', 'plain-loop'),
              simulatorClient: collectorMedian('collector-kafka', 'simulator-client'),
              ratio:
                collectorMedian('collector-kafka', 'simulator-client') /
                collectorMedian('collector-kafka', 'plain-loop'),
            },
          }
        : {}),
    },
    runs: { model, fast, fastJson, collector: collectorRows },
  };
  const file = new URL('../../results/simulator-fast-mode.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `${JSON.stringify({ sessionsPerSecond: summary.sessionsPerSecond, collector: summary.collectorBeaconsPerSecond })}\nwritten to ${file.pathname}\n`,
  );
}

await main();
