/**
 * The whole beacon path, end to end (issue 16, deliverable 5): beacons/s sustained from the
 * collector's HTTP front to rows queryable in ClickHouse, and how long a beacon takes from its 202
 * to being queryable. Two deployments, each as the project runs it:
 *  - embedded: the single-process stack (`@streamloop/stack/main`: collector, embedded event log,
 *    analytics consumer and chdb in one process, `npm start`'s defaults);
 *  - services: `beacon-collector/main` and `analytics/main` as two processes on Kafka (a private
 *    single broker started for the run, so the fixed topic names meet no other test's traffic).
 * The load generator (this process: fetch, SDK-shaped bodies of 10 heartbeats of one session),
 * Kafka and the services share the same 2 cores; nothing else is separated either.
 *
 * Throughput: beacons answered 202 during the load window, divided by the time from the first
 * request until the last of them is queryable (`SELECT` through analytics' own read-only SQL
 * endpoint, as a data scientist would see them). Lag: every 20th request is a tracer (a video of its
 * own, one view per request); a poller asks every POLL_MS which tracer views are complete, so each
 * tracer's lag (first seen complete − its 202) is exact to within one poll interval.
 *
 *   npm run build && npm run bench:beacon-path -w bench    (writes results/beacon-path.json)
 * Env: BENCH_MODES=embedded,services  BENCH_DURATION_S=20  BENCH_CONNECTIONS=16  BENCH_KAFKA_PORT=19192 (+1)
 */
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeBeacon } from '@streamloop/core/testing';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';
import { type KafkaInstance, startKafkaInstance } from '../../../infra/services.mjs';

const MODES = (process.env.BENCH_MODES ?? 'embedded,services').split(',') as Mode[];
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const BEACONS_PER_REQUEST = 10;
const TRACER_EVERY = 20;
const POLL_MS = 250;
const DRAIN_TIMEOUT_MS = 180_000;
const API_KEY = 'bench-beacon-path-key-0123456789abcdef';
const KAFKA_PORT = Number(process.env.BENCH_KAFKA_PORT ?? 19_192);
const requireEntry = createRequire(import.meta.url);

type Mode = 'embedded' | 'services';

interface Deployment {
  collectorUrl: string;
  analyticsUrl: string;
  stop(): Promise<void>;
}

const baseEnv = (dataDir: string): Record<string, string | undefined> => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  PORT: '0',
  LOG_LEVEL: 'warn',
  STREAMLOOP_DATA_DIR: dataDir,
  STREAMLOOP_API_KEY: API_KEY,
  STREAMLOOP_DEMO: '0',
  // Every request of the load generator comes from one address.
  BEACON_RATE_LIMIT: '0',
});

const tempDir = (name: string) => mkdtempSync(path.join(os.tmpdir(), `bench-beacon-path-${name}-`));

async function deploy(mode: Mode): Promise<Deployment> {
  if (mode === 'embedded') {
    const stack = await startProcess(
      requireEntry.resolve('@streamloop/stack/main'),
      baseEnv(tempDir('stack')),
    );
    return {
      collectorUrl: stack.baseUrl,
      analyticsUrl: stack.baseUrl,
      stop: async () => void (await stack.stop()),
    };
  }
  const kafka: KafkaInstance = await startKafkaInstance({
    // Fixed, off the shared broker's ports; startKafkaInstance refuses a port in use, by number.
    port: KAFKA_PORT,
    controllerPort: KAFKA_PORT + 1,
    dataDir: tempDir('kafka'),
  });
  const started: RunningProcess[] = [];
  try {
    const env = { KAFKA_BROKERS: kafka.brokers.join(',') };
    const collector = await startProcess(requireEntry.resolve('@streamloop/beacon-collector/main'), {
      ...baseEnv(tempDir('collector')),
      ...env,
    });
    started.push(collector);
    const analytics = await startProcess(requireEntry.resolve('@streamloop/analytics/main'), {
      ...baseEnv(tempDir('analytics')),
      ...env,
    });
    started.push(analytics);
    return {
      collectorUrl: collector.baseUrl,
      analyticsUrl: analytics.baseUrl,
      async stop() {
        for (const p of started.reverse()) await p.stop();
        await kafka.stop();
      },
    };
  } catch (err) {
    for (const p of started) await p.stop();
    await kafka.stop();
    throw err;
  }
}

async function sql<R>(deployment: Deployment, query: string, params: Record<string, string>): Promise<R[]> {
  const res = await fetch(`${deployment.analyticsUrl}/api/v1/sql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, format: 'json', params }),
  });
  if (res.status !== 200) throw new Error(`SQL answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as R[];
}

function body(run: string, request: number, videoId: string, viewId: string): string {
  const now = Date.now();
  return JSON.stringify(
    Array.from({ length: BEACONS_PER_REQUEST }, (_, seq) =>
      makeBeacon({
        beaconId: `${run}-${request}-${seq}`,
        event: 'heartbeat',
        sessionId: `session-${viewId}`,
        viewId,
        viewerId: `viewer-${request % 500}`,
        videoId,
        seq,
        clientTimeMs: now,
        monotonicMs: seq * 10_000,
        playheadMs: seq * 10_000,
        watchTimeMs: 10_000,
        playTimeMs: 10_000,
        bitrateKbps: 4500,
        width: 1920,
        height: 1080,
      }),
    ),
  );
}

const quantile = (sorted: number[], q: number): number | null =>
  sorted.length === 0
    ? null
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);

async function measure(mode: Mode) {
  const deployment = await deploy(mode);
  try {
    const run = `bp${Date.now().toString(36)}`;
    const video = `bench-${run}`;
    const tracerVideo = `tracer-${run}`;
    const acceptedAt = new Map<string, number>();
    const statuses: Record<string, number> = {};
    let acceptedBeacons = 0;
    let next = 0;
    const load1Before = os.loadavg()[0];
    const started = performance.now();
    const deadline = started + DURATION_S * 1000;

    const connection = async () => {
      while (performance.now() < deadline) {
        const request = next++;
        const tracer = request % TRACER_EVERY === 0;
        const viewId = tracer ? `t${request}` : `v${request}`;
        const payload = body(run, request, tracer ? tracerVideo : video, viewId);
        // Like the SDK: a refused (5xx) batch is sent again, after the advised pause.
        for (;;) {
          const res = await fetch(`${deployment.collectorUrl}/v1/beacons`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: payload,
          });
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 202) {
            acceptedBeacons += BEACONS_PER_REQUEST;
            if (tracer) acceptedAt.set(viewId, performance.now());
            break;
          }
          if (res.status < 500) throw new Error(`the collector answered ${res.status}: refused for good`);
          await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
        }
      }
    };

    // The poller: tracer views complete in ClickHouse, and the run's total.
    const seenAt = new Map<string, number>();
    let queryable = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const complete = await sql<{ view_id: string }>(
          deployment,
          'SELECT view_id FROM beacons_v1 WHERE video_id = {v:String} GROUP BY view_id HAVING uniqExact(beacon_id) = {n:UInt32}',
          { v: tracerVideo, n: String(BEACONS_PER_REQUEST) },
        );
        const now = performance.now();
        for (const { view_id } of complete) if (!seenAt.has(view_id)) seenAt.set(view_id, now);
        const [total] = await sql<{ n: string }>(
          deployment,
          'SELECT uniqExact(beacon_id) AS n FROM beacons_v1 WHERE video_id IN ({a:String}, {b:String})',
          { a: video, b: tracerVideo },
        );
        queryable = Number(total?.n ?? 0);
        await sleep(POLL_MS);
      }
    })();

    await Promise.all(Array.from({ length: CONNECTIONS }, connection));
    const loadEnded = performance.now();
    const load1AtLoadEnd = os.loadavg()[0];
    const drainDeadline = loadEnded + DRAIN_TIMEOUT_MS;
    while (queryable < acceptedBeacons && performance.now() < drainDeadline) await sleep(POLL_MS);
    const allQueryable = performance.now();
    await sleep(2 * POLL_MS);
    polling = false;
    await poller;
    const [stored] = await sql<{ rows: string; distinct: string }>(
      deployment,
      'SELECT count() AS rows, uniqExact(beacon_id) AS distinct FROM beacons_v1 WHERE video_id IN ({a:String}, {b:String})',
      { a: video, b: tracerVideo },
    );

    const lags = [...acceptedAt]
      .map(([view, at]) => (seenAt.get(view) ?? Number.NaN) - at)
      .filter((lag) => Number.isFinite(lag))
      .sort((a, b) => a - b);
    const firstHalf = [...acceptedAt].slice(0, Math.floor(acceptedAt.size / 2));
    const lateHalf = [...acceptedAt].slice(Math.floor(acceptedAt.size / 2));
    const medianLag = (entries: [string, number][]) =>
      quantile(
        entries
          .map(([view, at]) => (seenAt.get(view) ?? Number.NaN) - at)
          .filter(Number.isFinite)
          .sort((a, b) => a - b),
        0.5,
      );
    return {
      mode,
      setup:
        mode === 'embedded'
          ? 'single process: @streamloop/stack/main on embedded defaults (the embedded file log, chdb)'
          : 'beacon-collector/main + analytics/main as two processes on a private single Kafka broker, chdb in analytics',
      acceptedBeacons,
      statuses,
      loadSeconds: Number(((loadEnded - started) / 1000).toFixed(2)),
      acceptedPerSecond: Math.round(acceptedBeacons / ((loadEnded - started) / 1000)),
      endToEndPerSecond: Math.round(acceptedBeacons / ((allQueryable - started) / 1000)),
      drainSecondsAfterLoad: Number(((allQueryable - loadEnded) / 1000).toFixed(2)),
      allQueryable: queryable >= acceptedBeacons,
      stored: { rows: Number(stored?.rows), distinctBeacons: Number(stored?.distinct) },
      lagMs: {
        tracers: acceptedAt.size,
        seen: lags.length,
        pollIntervalMs: POLL_MS,
        p50: quantile(lags, 0.5),
        p90: quantile(lags, 0.9),
        p99: quantile(lags, 0.99),
        max: lags.at(-1) ?? null,
        medianFirstHalf: medianLag(firstHalf),
        medianSecondHalf: medianLag(lateHalf),
      },
      load1: { before: load1Before, atLoadEnd: load1AtLoadEnd, after: os.loadavg()[0] },
    };
  } finally {
    await deployment.stop();
  }
}

const results = [];
for (const mode of MODES) {
  const result = await measure(mode);
  console.log(JSON.stringify(result, null, 2));
  results.push(result);
}
const report = {
  benchmark: 'beacon-path',
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    note: 'the load generator, Kafka and the services all run on these 2 cores; read load1 for what else ran',
  },
  setup: {
    durationS: DURATION_S,
    connections: CONNECTIONS,
    beaconsPerRequest: BEACONS_PER_REQUEST,
    tracerEvery: TRACER_EVERY,
    pollMs: POLL_MS,
    queryableVia: "analytics' POST /api/v1/sql (read-only SQL), uniqExact(beacon_id) over the run's videos",
  },
  results,
};
await writeFile(
  new URL('../../results/beacon-path.json', import.meta.url),
  `${JSON.stringify(report, null, 2)}\n`,
);
