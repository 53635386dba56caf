/**
 * What `GET /api/v1/recommendations` costs per request, and what its QoE-aware step (the playback
 * model's fit and stall risk, cached per ladder and throughput bucket) adds: the same app, feature
 * sets and request mix, with and without `qoeAware`, in alternating blocks of one run. Requests go
 * through fastify's `inject` (the route's own cost, no sockets) against the feature sets on loopback
 * Redis (REDIS_URL, required) and a PGlite catalog (its answers remembered 30 s, as in production).
 *
 * The data is generated, not simulated: BENCH_TITLES titles in clusters of 100 (30 co-watch
 * neighbours each, mostly from their cluster; Zipf-like popularity; 5 % signed and 3 % still
 * processing, so the catalog filter has work; four ladders, lowest rungs from 195 to 3 095 kbit/s),
 * BENCH_VIEWERS viewers (1 to 20 recent titles of a cluster; 3G-class, mid and broadband throughput).
 * A request is a known viewer on a title of their cluster (70 %), a known viewer on no title (20 %)
 * or an unknown viewer (10 %), limit 10. One block of each arm is a warm-up and is not counted.
 * The playback model runs on its worker thread, as the route runs it by default. Each arm's requests
 * are also split by what they waited for (`byWhatTheyWaitedFor`): nothing but the pointers (warm),
 * feature rows the process had not read lately, a catalog query, or the start of a model run.
 * Run: `npm run bench:recommendations -w bench` (REDIS_URL set; `npm run infra:up` starts Redis).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkerModelRunner } from '@streamloop/analytics/recommendations/model-worker';
import { createPlaybackPredictor } from '@streamloop/analytics/recommendations/playback-prediction';
import { createRecommendableTitles } from '@streamloop/analytics/recommendations/recommendable-titles';
import { recommendationsRoutes } from '@streamloop/analytics/recommendations/recommendations-route';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { loadConfig } from '@streamloop/core/config';
import {
  FLEET_ENTITY,
  POPULAR_LIMIT,
  type ThroughputDistribution,
  type TitleFeatures,
  type ViewerFeatures,
} from '@streamloop/core/features';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { LadderRecord, LadderRung } from '@streamloop/core/schemas/ladder';
import { makeLadderRecord, makePackagedRendition, requireService } from '@streamloop/core/testing';
import { createFeatureStore } from '@streamloop/feature-store/create';
import {
  FEATURE_SET_SEQ_KEY,
  featureSetKeys,
  publishFeatureSet,
} from '@streamloop/feature-store/feature-sets';
import { createRandom } from '@streamloop/playback-model/random';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { machine } from '../machine.js';

const TITLES = Number(process.env.BENCH_TITLES ?? 3_000);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 3_000);
const REQUESTS_PER_BLOCK = Number(process.env.BENCH_REQUESTS ?? 500);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 12);
const CLUSTER = 100;
const CO_WATCH = 30;

interface RequestKind {
  ranModel: boolean;
  askedCatalog: boolean;
  readRows: boolean;
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
};
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

const redisUrl = requireService('Redis', 'REDIS_URL', loadConfig(process.env).redisUrl);
const load1Before = loadavg()[0] ?? 0;
const random = createRandom('recommendations-bench');
const logger = createLogger({ name: 'bench', level: 'silent' });
const keyPrefix = `bench-recommendations-${process.pid}-${Date.now()}:`;
const featureStore = await createFeatureStore({ redisUrl }, { logger, keyPrefix });
const dir = await mkdtemp(join(tmpdir(), 'streamloop-bench-recommendations-'));
const catalog = await createPgliteCatalog({ dataDir: join(dir, 'catalog') });
await catalog.migrate();

/**
 * The default ladder and three cuts of it without its lowest rungs, as transcode would publish them
 * (peak = the rung's VBV cap, average = its target): lowest rungs declaring 195, 955, 1 597 and
 * 3 095 kbit/s with the audio's 99.
 */
const recordOf = (rungs: readonly LadderRung[]): LadderRecord =>
  makeLadderRecord({
    renditions: rungs.map(({ height, videoBitrateKbps, maxrateKbps, bufsizeKbps }) =>
      makePackagedRendition({
        name: `${height}p`,
        height,
        width: 2 * Math.round((height * 8) / 9),
        shortSide: height,
        videoBitrateKbps,
        maxrateKbps,
        bufsizeKbps,
        peakBitrate: maxrateKbps * 1000,
        averageBitrate: videoBitrateKbps * 1000,
      }),
    ),
  });
const LADDERS = [0, 1, 2, 3].map((dropped) => recordOf(DEFAULT_LADDER.rungs.slice(dropped)));

const titleId = (i: number) => `bench-title-${String(i).padStart(6, '0')}`;
const clusterOf = (i: number) => Math.floor(i / CLUSTER);
/** A title of cluster `c` (wrapping at the end), or anywhere one time in ten. */
const titleNear = (c: number): number =>
  random.next() < 0.1 ? random.int(TITLES) : Math.min(TITLES - 1, c * CLUSTER + random.int(CLUSTER));
const between = (low: number, high: number) => low + (high - low) * random.next();
/** The quantiles of a lognormal throughput with this median and log-spread. */
const lognormal = (medianKbps: number, sigma: number): ThroughputDistribution => {
  const at = (z: number) => medianKbps * Math.exp(z * sigma);
  return {
    samples: 50,
    p10: at(-1.2816),
    p25: at(-0.6745),
    p50: medianKbps,
    p75: at(0.6745),
    p90: at(1.2816),
  };
};
const FLEET_THROUGHPUT = lognormal(4_000, 0.8);

function titleRows(): TitleFeatures[] {
  const rows: TitleFeatures[] = [];
  const decayed = (i: number) => 1_000 / (1 + ((i * 7919) % TITLES));
  for (let i = 0; i < TITLES; i++) {
    const neighbours = new Map<string, number>();
    while (neighbours.size < CO_WATCH) {
      const other = titleNear(clusterOf(i));
      if (other !== i) neighbours.set(titleId(other), round(between(0.01, 0.6), 4));
    }
    rows.push({
      videoId: titleId(i),
      popularity: { h1: 0, h24: 0, d7: 0, decayed: decayed(i) },
      completionRate: 0.4,
      coWatch: [...neighbours]
        .map(([videoId, score]) => ({ videoId, score }))
        .sort((a, b) => b.score - a.score),
      qoe: { views: 100, rebufferRatio: 0.01, startFailureRate: 0.01 },
      rungShare: [],
      throughputKbps: FLEET_THROUGHPUT,
    });
  }
  const popular = rows
    .map((row) => ({ videoId: row.videoId, score: row.popularity.decayed }))
    .sort((a, b) => b.score - a.score)
    .slice(0, POPULAR_LIMIT);
  rows.push({
    videoId: FLEET_ENTITY,
    popularity: { h1: 0, h24: 0, d7: 0, decayed: 0 },
    completionRate: 0.4,
    coWatch: [],
    qoe: { views: 100 * TITLES, rebufferRatio: 0.01, startFailureRate: 0.01 },
    rungShare: [],
    throughputKbps: FLEET_THROUGHPUT,
    popular,
  });
  return rows;
}

/** 3G-class one viewer in five (median 0.3 to 1.2 Mbit/s), broadband one in two, the rest in between. */
function viewerThroughput(): ThroughputDistribution {
  const kind = random.next();
  const median =
    kind < 0.2 ? between(300, 1_200) : kind < 0.7 ? between(10_000, 60_000) : between(2_000, 8_000);
  return lognormal(median, between(0.4, 1.2));
}

function viewerRows(): { rows: ViewerFeatures[]; clusters: number[] } {
  const rows: ViewerFeatures[] = [];
  const clusters: number[] = [];
  for (let v = 0; v < VIEWERS; v++) {
    const cluster = random.int(Math.ceil(TITLES / CLUSTER));
    clusters.push(cluster);
    const recent = new Set<string>();
    const count = 1 + random.int(20);
    while (recent.size < count) recent.add(titleId(titleNear(cluster)));
    rows.push({
      viewerId: `bench-viewer-${v}`,
      recentVideoIds: [...recent],
      throughputKbps: viewerThroughput(),
      deviceClass: 'desktop',
      displayHeight: 1080,
      views7d: count,
      rebuffers7d: 0,
      startFailures7d: 0,
    });
  }
  return { rows, clusters };
}

/** The request mix described at the top; the video on screen is always a public one, as on a player page. */
function requestUrls(count: number, clusters: readonly number[], playable: ReadonlySet<number>): string[] {
  const onScreen = (cluster: number): number => {
    for (;;) {
      const title = titleNear(cluster);
      if (playable.has(title)) return title;
    }
  };
  return Array.from({ length: count }, (_, k) => {
    const kind = random.next();
    if (kind < 0.1) return `viewerId=bench-cold-${k}&limit=10`;
    const v = random.int(VIEWERS);
    if (kind < 0.3) return `viewerId=bench-viewer-${v}&limit=10`;
    return `viewerId=bench-viewer-${v}&videoId=${titleId(onScreen(clusters[v] ?? 0))}&limit=10`;
  });
}

const app = buildHttpApp({
  logger,
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  ports: [],
});
// As the route builds it by default: the model on a worker thread.
const modelRunner = createWorkerModelRunner();
const predictor = createPlaybackPredictor({ runner: modelRunner });
// Catalog queries counted, to tell the requests that waited for the catalog from those that did not.
let catalogQueries = 0;
const countedCatalog: typeof catalog = Object.assign(Object.create(catalog), {
  query: (...args: Parameters<typeof catalog.query>) => {
    catalogQueries++;
    return catalog.query(...args);
  },
});
// Rows read from Redis (not remembered by the process yet), counted the same way.
let rowsFromStore = 0;
const countedStore: typeof featureStore = Object.assign(Object.create(featureStore), {
  hmget: (key: string, fields: readonly string[]) => {
    rowsFromStore += fields.length;
    return featureStore.hmget(key, fields);
  },
});
app.register(recommendationsRoutes, {
  featureStore: countedStore,
  catalog,
  apiKey: 'bench-api-key-0123456789',
  rateLimit: { max: Number.MAX_SAFE_INTEGER, timeWindowMs: 60_000 },
  titles: createRecommendableTitles({ catalog: countedCatalog }),
  predictor,
});
await app.ready();

try {
  const setup = performance.now();
  const playable = new Set<number>();
  for (let i = 0; i < TITLES; i++) {
    const roll = random.next();
    if (roll >= 0.08) playable.add(i);
    await insertVideo(catalog, {
      id: titleId(i),
      title: `Bench title ${i}`,
      ...(roll < 0.03
        ? { status: 'processing' as const }
        : {
            status: 'ready' as const,
            playbackPolicy: roll < 0.08 ? ('signed' as const) : ('public' as const),
            ladder: LADDERS[i % LADDERS.length],
          }),
    });
  }
  const titles = titleRows();
  const viewers = viewerRows();
  await publishFeatureSet(featureStore, 'title', titles, { newestSourceAt: null });
  await publishFeatureSet(featureStore, 'viewer', viewers.rows, { newestSourceAt: null });
  const setupSeconds = round((performance.now() - setup) / 1000, 1);
  console.log(`catalog and feature sets ready in ${setupSeconds} s`);

  const urls = requestUrls(REQUESTS_PER_BLOCK * (BLOCKS + 1), viewers.clusters, playable);
  let next = 0;
  /** Per measured request of each arm: did it run the model, did it wait for a catalog query. */
  const kinds = { without: [] as RequestKind[], qoeAware: [] as RequestKind[] };
  const block = async (qoeAware: boolean): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < REQUESTS_PER_BLOCK; i++) {
      const url = `/api/v1/recommendations?${urls[next++ % urls.length]}&qoeAware=${qoeAware}`;
      const [runsBefore, queriesBefore, rowsBefore] = [
        predictor.stats.modelRuns,
        catalogQueries,
        rowsFromStore,
      ];
      const started = performance.now();
      const res = await app.inject({ method: 'GET', url });
      ms.push(performance.now() - started);
      if (res.statusCode !== 200) throw new Error(`recommendations answered ${res.statusCode}: ${res.body}`);
      kinds[qoeAware ? 'qoeAware' : 'without'].push({
        ranModel: predictor.stats.modelRuns > runsBefore,
        askedCatalog: catalogQueries > queriesBefore,
        readRows: rowsFromStore > rowsBefore,
      });
    }
    return ms;
  };

  // Warm-up: JIT, the catalog's first answers, the model's first buckets.
  await block(false);
  await block(true);
  kinds.without.length = 0;
  kinds.qoeAware.length = 0;
  const modelBefore = { ...predictor.stats };
  const withQoe: number[] = [];
  const without: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    // Alternating which arm goes first, so neither always follows the other.
    if (b % 2 === 0) {
      without.push(...(await block(false)));
      withQoe.push(...(await block(true)));
    } else {
      withQoe.push(...(await block(true)));
      without.push(...(await block(false)));
    }
  }
  const summary = (ms: number[]) => ({
    requests: ms.length,
    p50Ms: round(quantile(ms, 0.5)),
    p99Ms: round(quantile(ms, 0.99)),
    meanMs: round(ms.reduce((sum, value) => sum + value, 0) / ms.length),
  });
  /** The arm's requests by what they waited for, each group's size and quantiles. */
  const byKind = (ms: number[], arm: RequestKind[]) => {
    const group = (keep: (kind: RequestKind) => boolean) => {
      const kept = ms.filter((_, i) => keep(arm[i]!));
      return kept.length === 0 ? { requests: 0 } : summary(kept);
    };
    return {
      warm: group((k) => !k.ranModel && !k.askedCatalog && !k.readRows),
      readRowsFromStore: group((k) => k.readRows),
      askedCatalog: group((k) => k.askedCatalog),
      startedModel: group((k) => k.ranModel),
    };
  };
  const result = {
    benchmark: 'recommendations',
    date: new Date().toISOString(),
    command: 'npm run bench:recommendations -w bench',
    machine: machine(load1Before),
    data: {
      titles: TITLES,
      viewers: VIEWERS,
      coWatchPerTitle: CO_WATCH,
      ladders: LADDERS.length,
      featureStore: 'Redis (REDIS_URL, loopback)',
      catalog: 'PGlite, answers remembered 30 s',
      generated: 'generated feature rows, not a simulated audience',
      setupSeconds,
    },
    blocks: { perArm: BLOCKS, requestsPerBlock: REQUESTS_PER_BLOCK, warmUpBlocksPerArm: 1 },
    quantiles: 'nearest rank over every measured request of the arm',
    without: summary(without),
    qoeAware: summary(withQoe),
    byWhatTheyWaitedFor: {
      note: 'warm: nothing but the set pointers from Redis; readRowsFromStore: feature rows this process had not read in the last minute; askedCatalog: the request waited for a catalog query (cold titles); startedModel: it started a playback-model run on the worker (a cold ladder and throughput bucket) and was answered without its prediction',
      without: byKind(without, kinds.without),
      qoeAware: byKind(withQoe, kinds.qoeAware),
    },
    addedMs: {
      p50: round(quantile(withQoe, 0.5) - quantile(without, 0.5)),
      p99: round(quantile(withQoe, 0.99) - quantile(without, 0.99)),
    },
    playbackModel: {
      where: 'a worker thread (model-worker.ts), as the route runs it by default',
      runsWhileMeasured: predictor.stats.modelRuns - modelBefore.modelRuns,
      cacheHitsWhileMeasured: predictor.stats.cacheHits - modelBefore.cacheHits,
      answeredBeforeModelWhileMeasured: predictor.stats.answeredBeforeModel - modelBefore.answeredBeforeModel,
      runsInWarmUp: modelBefore.modelRuns,
    },
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(
    new URL('../../results/recommendations.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await app.close();
  await modelRunner.close();
  for (const set of ['title', 'viewer'] as const) {
    const keys = featureSetKeys(set);
    await featureStore.del(keys.live, keys.meta, keys.version(1));
  }
  await featureStore.del(FEATURE_SET_SEQ_KEY);
  await featureStore.close();
  await catalog.close();
  await rm(dir, { recursive: true, force: true });
}
