/**
 * Collector throughput and latency against a bare fastify route that parses and discards the same
 * bodies, side by side in one run (alternating rounds, same load), reported as ratios.
 *
 *   npm run bench:collector -w bench        (needs the shared Kafka: npm run infra:up)
 *
 * Collector beacons/s counts what reached Kafka (acks=all). Since issue 16 the collector answers 202
 * only after Kafka's ack (or the spool's fsync), so a request's latency includes a Kafka round trip
 * and nothing is left to drain after the load stops; each connection has one request outstanding,
 * so the load generator needs enough connections to stand for many players — 100 by default, the
 * same for every target (BENCH_CONNECTIONS). CPU time per beacon of this process (collector or bare
 * route plus the load generator; not the Kafka broker) is recorded too: on a busy machine it moves
 * less than throughput does (it includes the collector's producer thread).
 *
 * `collector-inline-producer` is the same collector with kafkajs on its main thread, as before the
 * producer thread (issue 16): the ratio between the two is what that change is worth.
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { loadConfig } from '@streamloop/core/config';
import { eventually, requireService } from '@streamloop/core/testing';
import autocannon from 'autocannon';
import { buildBareRoute } from './bare-route.js';
import { makeBeaconBodies } from './beacon-bodies.js';
import { startCollectorTarget } from './collector-target.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Unmeasured load before each measured one, on the same instance: no target is measured JIT-cold. */
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const BEACONS_PER_REQUEST = 10; // the SDK's default batch

interface Run {
  /** collector-embedded: the same collector on the in-process log, i.e. its own cost without Kafka's. */
  /** collector-spooling: the log refuses everything, every beacon is answered from the spool's fsync. */
  /** collector-inline-producer: the collector with kafkajs on its main thread (before issue 16's producer thread). */
  target: 'bare' | 'collector' | 'collector-inline-producer' | 'collector-embedded' | 'collector-spooling';
  round: number;
  requestsPerSec: number;
  beaconsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** CPU time of this process (server + load generator) per beacon taken, µs. */
  cpuUsPerBeacon: number;
}

const cpuMicros = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

async function load(url: string, durationS = DURATION_S): Promise<autocannon.Result> {
  const bodies = makeBeaconBodies(200, BEACONS_PER_REQUEST);
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'text/plain' }, body })),
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function runCollector(
  target: Exclude<Run['target'], 'bare'>,
  brokers: string[],
  round: number,
): Promise<Run> {
  const onKafka = target === 'collector' || target === 'collector-inline-producer';
  const collector = await startCollectorTarget(onKafka ? brokers : undefined, {
    logDown: target === 'collector-spooling',
    ...(target === 'collector-inline-producer' ? { eventLog: { producerThread: false } } : {}),
  });
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(collector.app.server.address() as AddressInfo).port}/v1/beacons`;
  const taken = () => (target === 'collector-spooling' ? collector.spooled() : collector.produced());
  await load(url, WARMUP_S);
  const takenBefore = await taken();
  const startedMs = Date.now();
  const cpuStart = process.cpuUsage();
  const result = await load(url);
  await eventually(
    'the buffer to drain',
    async () => ((await collector.buffered()) === 0 ? true : undefined),
    {
      timeoutMs: 120_000,
    },
  );
  const elapsedS = (Date.now() - startedMs) / 1000;
  const cpu = cpuMicros(cpuStart);
  // Beacons taken durably: acknowledged by the log, or (log down) fsynced to the spool.
  const produced = (await taken()) - takenBefore;
  const run: Run = {
    target,
    round,
    requestsPerSec: result.requests.average,
    beaconsPerSec: produced / elapsedS,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    cpuUsPerBeacon: cpu / produced,
  };
  await collector.close();
  return run;
}

async function main(): Promise<void> {
  const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', loadConfig(process.env).kafka);
  const runs: Run[] = [];
  const loadBefore = os.loadavg();
  for (let round = 1; round <= ROUNDS; round++) {
    const bare = buildBareRoute();
    await bare.app.listen({ port: 0, host: '127.0.0.1' });
    const bareUrl = `http://127.0.0.1:${(bare.app.server.address() as AddressInfo).port}/v1/beacons`;
    await load(bareUrl, WARMUP_S);
    const bareBefore = bare.beacons();
    const bareCpuStart = process.cpuUsage();
    const bareResult = await load(bareUrl);
    const bareBeacons = bare.beacons() - bareBefore;
    await bare.app.close();
    runs.push({
      target: 'bare',
      round,
      requestsPerSec: bareResult.requests.average,
      beaconsPerSec: bareBeacons / bareResult.duration,
      p50Ms: bareResult.latency.p50,
      p99Ms: bareResult.latency.p99,
      non2xx: bareResult.non2xx,
      cpuUsPerBeacon: cpuMicros(bareCpuStart) / bareBeacons,
    });

    // The two Kafka collectors swap places every round, so neither always meets the broker (and
    // the machine's load) first.
    const onKafka = ['collector', 'collector-inline-producer'] as const;
    for (const target of [
      ...(round % 2 === 1 ? onKafka : [...onKafka].reverse()),
      'collector-embedded',
      'collector-spooling',
    ] as const)
      runs.push(await runCollector(target, brokers, round));
    process.stdout.write(`round ${round}: ${JSON.stringify(runs.slice(-5))}\n`);
  }

  const of = (target: Run['target'], key: keyof Run) =>
    median(runs.filter((r) => r.target === target).map((r) => r[key] as number));
  const summary = {
    benchmark: 'collector',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      note: 'the Kafka broker shares these cores; loadAverage1m says what else ran; compare ratios from the same run only',
      loadAverage1m: { before: loadBefore[0], after: os.loadavg()[0] },
    },
    setup: {
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      beaconsPerRequest: BEACONS_PER_REQUEST,
      kafka: brokers.join(','),
      producer:
        'kafkajs on a worker thread (COLLECTOR_EVENT_LOG); collector-inline-producer: on the main thread',
    },
    ratios: {
      beaconsPerSec: of('collector', 'beaconsPerSec') / of('bare', 'beaconsPerSec'),
      p99Latency: of('collector', 'p99Ms') / of('bare', 'p99Ms'),
      p50Latency: of('collector', 'p50Ms') / of('bare', 'p50Ms'),
      /** The same collector with kafkajs on its main thread: what the producer thread changed. */
      inlineProducerBeaconsPerSec:
        of('collector-inline-producer', 'beaconsPerSec') / of('bare', 'beaconsPerSec'),
      inlineProducerP99Latency: of('collector-inline-producer', 'p99Ms') / of('bare', 'p99Ms'),
      embeddedBeaconsPerSec: of('collector-embedded', 'beaconsPerSec') / of('bare', 'beaconsPerSec'),
      embeddedP99Latency: of('collector-embedded', 'p99Ms') / of('bare', 'p99Ms'),
      /** CPU per beacon, bare ÷ collector: the throughput ratio the collector would reach CPU-bound. */
      cpuPerBeacon: of('bare', 'cpuUsPerBeacon') / of('collector', 'cpuUsPerBeacon'),
      embeddedCpuPerBeacon: of('bare', 'cpuUsPerBeacon') / of('collector-embedded', 'cpuUsPerBeacon'),
      /** The log down, every beacon fsynced to the spool before its 202. */
      spoolingBeaconsPerSec: of('collector-spooling', 'beaconsPerSec') / of('bare', 'beaconsPerSec'),
      spoolingP99Latency: of('collector-spooling', 'p99Ms') / of('bare', 'p99Ms'),
    },
    medians: {
      bare: {
        beaconsPerSec: of('bare', 'beaconsPerSec'),
        p50Ms: of('bare', 'p50Ms'),
        p99Ms: of('bare', 'p99Ms'),
        cpuUsPerBeacon: of('bare', 'cpuUsPerBeacon'),
      },
      collector: {
        beaconsPerSec: of('collector', 'beaconsPerSec'),
        p50Ms: of('collector', 'p50Ms'),
        p99Ms: of('collector', 'p99Ms'),
        cpuUsPerBeacon: of('collector', 'cpuUsPerBeacon'),
      },
      collectorInlineProducer: {
        beaconsPerSec: of('collector-inline-producer', 'beaconsPerSec'),
        p50Ms: of('collector-inline-producer', 'p50Ms'),
        p99Ms: of('collector-inline-producer', 'p99Ms'),
        cpuUsPerBeacon: of('collector-inline-producer', 'cpuUsPerBeacon'),
      },
      collectorEmbedded: {
        beaconsPerSec: of('collector-embedded', 'beaconsPerSec'),
        p50Ms: of('collector-embedded', 'p50Ms'),
        p99Ms: of('collector-embedded', 'p99Ms'),
        cpuUsPerBeacon: of('collector-embedded', 'cpuUsPerBeacon'),
      },
      collectorSpooling: {
        beaconsPerSec: of('collector-spooling', 'beaconsPerSec'),
        p50Ms: of('collector-spooling', 'p50Ms'),
        p99Ms: of('collector-spooling', 'p99Ms'),
        cpuUsPerBeacon: of('collector-spooling', 'cpuUsPerBeacon'),
      },
    },
    runs,
  };
  const file = new URL('../../results/collector.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary.ratios)}\nwritten to ${file.pathname}\n`);
}

await main();
