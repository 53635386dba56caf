/**
 * What assigning a ladder-experiment arm adds to the playback API (issue 12: < 1 ms at p99). The same
 * app, video and viewers, in alternating blocks: the baseline is the playback route with no experiment
 * running (it still checks the running list: a cached read); the measured one with a running
 * two-arm experiment on the video (a derived arm, so both arms are ready), each request a new viewer id.
 * Requests go through fastify's `inject` (the route's own cost, no sockets), on PGlite (the catalog
 * read is cached, re-read every second here, 5 s in production). Run: `npm run bench:assignment -w bench`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExperiment, startExperiment, stopExperiment } from '@streamloop/catalog/experiment-repository';
import { createLadderVersion, seedLadders } from '@streamloop/catalog/ladder-repository';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { makeLadderRecord } from '@streamloop/core/testing';
import { mountDelivery } from '@streamloop/delivery/mount-delivery';
import { createLocalObjectStore } from '@streamloop/object-store/local-object-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { machine } from '../machine.js';

const REQUESTS_PER_BLOCK = Number(process.env.BENCH_REQUESTS ?? 2000);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 6);
const API_KEY = 'bench-api-key-0123456789';
/** The running list is re-read at most this often (production: 5 s); shorter so blocks can switch. */
const REFRESH_MS = 1000;

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

const load1Before = loadavg()[0] ?? 0;
const dir = await mkdtemp(join(tmpdir(), 'streamloop-bench-assignment-'));
const logger = createLogger({ name: 'bench', level: 'silent' });
const catalog = await createPgliteCatalog({ dataDir: join(dir, 'catalog') });
await catalog.migrate();
const objectStore = await createLocalObjectStore({ root: join(dir, 'objects') });
const registry = createMetricsRegistry({ collectProcessMetrics: false });
const app = buildHttpApp({ logger, registry, ports: [catalog, objectStore] });
mountDelivery(app, {
  catalog,
  objectStore,
  signingSecret: 'bench-signing-secret-0123456789abcdef',
  apiKey: API_KEY,
  logger,
  registry,
  experimentRefreshMs: REFRESH_MS,
});
await app.ready();

try {
  await seedLadders(catalog, [DEFAULT_LADDER]);
  await createLadderVersion(
    catalog,
    { id: 'top', derivedFrom: { ladderId: 'default' }, filter: { minHeight: 300 } },
    'bench',
  );
  const video = await insertVideo(catalog, { title: 'bench', status: 'ready', ladder: makeLadderRecord() });
  const definition = {
    name: 'bench',
    scope: { videoIds: [video.id] },
    arms: [
      { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
      { name: 'top', ladderId: 'top', trafficPercent: 50 },
    ],
    primaryMetric: 'rebuffer_ratio',
    guardrails: [],
    minimumViewersPerArm: 100,
  };

  /** Past one refresh of the assigner's cached list of running experiments. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, REFRESH_MS + 100));
  let viewer = 0;
  const block = async (expectVariant: boolean): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < REQUESTS_PER_BLOCK; i++) {
      const started = performance.now();
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/videos/${video.id}/playback?viewerId=viewer-${viewer++}`,
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      ms.push(performance.now() - started);
      if (res.statusCode !== 200) throw new Error(`playback answered ${res.statusCode}: ${res.body}`);
      // Both conditions are what they claim: an arm with the experiment, none without.
      if ((res.json().variant !== null) !== expectVariant)
        throw new Error(`unexpected variant ${res.json().variant}`);
    }
    return ms;
  };
  /** A block with a freshly started experiment (a stopped one cannot restart), stopped after it. */
  const withRunning = async (): Promise<number[]> => {
    const { id } = await createExperiment(catalog, definition, 'bench');
    await startExperiment(catalog, id, 'bench');
    await settle();
    const ms = await block(true);
    await stopExperiment(catalog, id, 'bench');
    await settle();
    return ms;
  };

  await block(false); // warm-up: JIT, the catalog's first reads
  const without: number[] = [];
  const withExperiment: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    without.push(...(await block(false)));
    withExperiment.push(...(await withRunning()));
  }
  const summary = (ms: number[]) => ({
    requests: ms.length,
    p50Ms: round(quantile(ms, 0.5)),
    p99Ms: round(quantile(ms, 0.99)),
  });
  const result = {
    benchmark: 'experiment-assignment',
    date: new Date().toISOString(),
    machine: machine(load1Before),
    baseline: 'the same playback route, app, video and fresh viewer ids with no experiment running',
    without: summary(without),
    withExperiment: summary(withExperiment),
    addedMs: {
      p50: round(quantile(withExperiment, 0.5) - quantile(without, 0.5)),
      p99: round(quantile(withExperiment, 0.99) - quantile(without, 0.99)),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(
    new URL('../../results/experiment-assignment.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await app.close();
  await catalog.close();
  await rm(dir, { recursive: true, force: true });
}
