/**
 * Ingest benchmark: a tus upload through our service (tus-js-client → ingest → @tus/s3-store →
 * S3Proxy) against a direct multipart PUT of the same file to S3Proxy (@aws-sdk/lib-storage), in the
 * same run, alternating order. Reports the throughput ratio (target ≥ 0.7) and the time from the
 * last byte sent to the response that names the video — which must hold no transcoding (nothing
 * consumes the job here; the response only waits for hashing, S3 completion and the catalog).
 *
 *   npm run bench:ingest -w bench        (needs `npm run infra:up` for S3Proxy)
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload as S3Upload } from '@aws-sdk/lib-storage';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { getVideo } from '@streamloop/catalog/video-repository';
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { metricValue } from '@streamloop/core/testing';
import { ALL_TOPICS } from '@streamloop/core/topics';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { mountIngest } from '@streamloop/ingest/mount-ingest';
import { createS3ObjectStore } from '@streamloop/object-store/s3-object-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { Upload as TusUpload } from 'tus-js-client';
import { startWireTimer } from './wire-timer.js';

const MIB = 1024 * 1024;
const FILE_BYTES = 128 * MIB;
const ROUNDS = 4;
const TUS_CHUNK_BYTES = 32 * MIB;
const S3_PART_BYTES = 8 * MIB;
const API_KEY = 'bench-api-key-0123456789';

const config = loadConfig(process.env);
const s3 = config.s3;
if (s3 === undefined)
  throw new Error('S3_ENDPOINT is not set: start S3Proxy with `npm run infra:up` and export its env');
const logger = createLogger({ name: 'bench-ingest', level: 'warn' });
const dir = await mkdtemp(path.join(tmpdir(), 'streamloop-bench-ingest-'));
const prefix = `bench-ingest-${Date.now()}/`;

const file = path.join(dir, 'source.bin');
const sourceSha256 = await writeRandomFile(file, FILE_BYTES);

const catalog = await createPgliteCatalog({ dataDir: path.join(dir, 'catalog') });
await catalog.migrate();
const eventLog = createMemoryEventLog({ logger });
await eventLog.ensureTopics(ALL_TOPICS);
const objectStore = await createS3ObjectStore({ ...s3, logger, startupTimeoutMs: 10_000 });
const registry = createMetricsRegistry({ collectProcessMetrics: false });
const app = buildHttpApp({ logger, registry, ports: [catalog, eventLog, objectStore] });
mountIngest(app, {
  catalog,
  eventLog,
  objectStore,
  s3,
  dataDir: path.join(dir, 'data'),
  apiKey: API_KEY,
  logger,
  registry,
  uploadKeyPrefix: prefix,
});
await app.listen({ port: 0, host: '127.0.0.1' });
const ingestPort = (app.server.address() as AddressInfo).port;

const s3ClientConfig = {
  region: s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const;

interface TusRun {
  seconds: number;
  /** From the last byte of the final PATCH leaving the client to the first byte of its response. */
  lastByteToResponseMs: number;
}

/*
 * Both sides go through the same loopback pass-through (wire-timer.ts), so the extra hop costs them
 * alike and the tus side's wait after its last byte is measured on the wire, as a client sees it.
 */
async function tusRun(round: number): Promise<TusRun> {
  const wire = await startWireTimer(ingestPort);
  const started = performance.now();
  let videoId: string | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      const upload = new TusUpload(createReadStream(file), {
        endpoint: `${wire.url}/uploads/`,
        uploadSize: FILE_BYTES,
        chunkSize: TUS_CHUNK_BYTES,
        metadata: { title: `bench ${round}`, filename: 'source.bin', sha256: sourceSha256 },
        headers: { Authorization: `Bearer ${API_KEY}` },
        retryDelays: null,
        onAfterResponse: (_req, res) => {
          videoId = res.getHeader('X-Video-Id') ?? videoId;
        },
        onSuccess: () => resolve(),
        onError: reject,
      });
      upload.start();
    });
  } finally {
    await wire.close();
  }
  const seconds = (performance.now() - started) / 1000;
  if (videoId === null) throw new Error('the finishing response named no video');
  const video = await getVideo(catalog, videoId);
  if (video?.sourceSha256 !== sourceSha256)
    throw new Error(`round ${round}: stored SHA-256 differs from the source`);
  // Recorded, not transcoded: the video is 'uploaded' and stays so (nothing consumes the job here).
  if (video.status !== 'uploaded')
    throw new Error(`round ${round}: video is ${video.status}, expected uploaded`);
  // The next round sends the same bytes, which dedup would answer without storing them: forget this one.
  await catalog.query('UPDATE videos SET source_sha256 = NULL WHERE id = $1', [videoId]);
  return { seconds, lastByteToResponseMs: wire.gapsMs.at(-1)! };
}

async function directRun(round: number): Promise<number> {
  const wire = await startWireTimer(Number(new URL(s3!.endpoint).port));
  const client = new S3Client({ ...s3ClientConfig, endpoint: wire.url });
  const started = performance.now();
  try {
    await new S3Upload({
      client,
      params: { Bucket: s3!.bucket, Key: `${prefix}direct/${round}`, Body: createReadStream(file) },
      partSize: S3_PART_BYTES,
      queueSize: 4,
    }).done();
    return (performance.now() - started) / 1000;
  } finally {
    client.destroy();
    await wire.close();
  }
}

const tus: TusRun[] = [];
const direct: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so neither side always runs on a warmer machine.
    if (round % 2 === 0) {
      tus.push(await tusRun(round));
      direct.push(await directRun(round));
    } else {
      direct.push(await directRun(round));
      tus.push(await tusRun(round));
    }
    console.info(
      `round ${round}: tus ${tus.at(-1)!.seconds.toFixed(2)} s (last byte → response ${tus.at(-1)!.lastByteToResponseMs.toFixed(0)} ms), direct ${direct.at(-1)!.toFixed(2)} s`,
    );
  }
  const mibPerS = (seconds: number) => FILE_BYTES / MIB / seconds;
  const tusMedian = median(tus.map((r) => r.seconds));
  const directMedian = median(direct);
  const result = {
    benchmark: 'ingest: tus upload through ingest vs direct multipart PUT to S3Proxy',
    ranAt: new Date().toISOString(),
    machine: 'shared 2-core VM (other work running), loopback, S3Proxy on the same host',
    path: 'both sides through the same loopback TCP pass-through (timestamps the wire)',
    fileBytes: FILE_BYTES,
    rounds: ROUNDS,
    tus: {
      client: 'tus-js-client 4, one upload at a time, declared sha256 verified on finish',
      chunkBytes: TUS_CHUNK_BYTES,
      serverPartBytes: 8 * MIB,
      secondsPerRound: tus.map((r) => round3(r.seconds)),
      medianMiBPerS: round3(mibPerS(tusMedian)),
      lastByteToResponseMs: tus.map((r) => Math.round(r.lastByteToResponseMs)),
      medianLastByteToResponseMs: Math.round(median(tus.map((r) => r.lastByteToResponseMs))),
      // 0: every SHA-256 was computed while the bytes arrived, none by reading the object back.
      sourcesRehashed: await metricValue(registry, 'streamloop_ingest_sources_rehashed_total'),
      lastByteToResponseHolds:
        'completing the S3 multipart upload (last part + CompleteMultipartUpload), the SHA-256 check (hashed while bytes arrived) and one catalog transaction + job publish; no transcoding',
    },
    direct: {
      client: '@aws-sdk/lib-storage Upload, 4 parts in flight',
      partBytes: S3_PART_BYTES,
      secondsPerRound: direct.map(round3),
      medianMiBPerS: round3(mibPerS(directMedian)),
    },
    ratioTusToDirect: round3(directMedian / tusMedian),
    target: 'ratioTusToDirect ≥ 0.7',
  };
  const out = path.join(import.meta.dirname, '../../results/ingest.json');
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.info(JSON.stringify(result, null, 2));
} finally {
  await app.close();
  await objectStore.deletePrefix(prefix);
  await Promise.allSettled([objectStore.close(), eventLog.close(), catalog.close()]);
  await rm(dir, { recursive: true, force: true });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

async function writeRandomFile(target: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(target);
  for (let written = 0; written < bytes; written += MIB) {
    const chunk = randomBytes(MIB);
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
  return hash.digest('hex');
}
