/**
 * Builders for the transcode tests: real media made by ffmpeg (nothing downloaded), a transcode
 * worker on the embedded adapters, and a reader for the HLS playlists it writes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { getVideo, insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import { sourceKey } from '@streamloop/core/object-layout';
import type { DeadLetter } from '@streamloop/core/schemas/dead-letter';
import type { TranscodeJob } from '@streamloop/core/schemas/job';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { EVENT_NAMES, TOPICS } from '@streamloop/core/topics';
import { readDeadLetters } from '@streamloop/event-log/dead-letter-reader';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { createLocalObjectStore } from '@streamloop/object-store/local-object-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import {
  createTranscodeWorker,
  type TranscodeWorker,
  type TranscodeWorkerDeps,
} from '../src/transcode-worker.js';

export const run = promisify(execFile);
export const silentLogger = createLogger({ name: 'transcode-test', level: 'silent' });

/**
 * A slide deck (low-complexity content for per-title tests): flat background, a title that changes
 * every 3 s, one box sliding across. An ffmpeg lavfi source.
 */
export const slidesLavfi = (size: string, seconds: number) =>
  `color=c=0x203040:size=${size}:rate=30:duration=${seconds},drawtext=text='Slide %{eif\\:floor(t/3)+1\\:d}':fontsize=96:fontcolor=white:x=120:y=120,drawbox=x=120+40*t:y=400:w=200:h=120:color=orange:t=fill`;

/** A clip from ffmpeg's test sources: testsrc2 picture (or the slide deck), a sine tone. */
export async function makeClip(
  file: string,
  options: {
    seconds?: number;
    size?: string;
    format?: string;
    audio?: boolean;
    picture?: 'testsrc2' | 'slides';
  } = {},
): Promise<Buffer> {
  const seconds = options.seconds ?? 6;
  const size = options.size ?? '640x360';
  const picture =
    options.picture === 'slides'
      ? slidesLavfi(size, seconds)
      : `testsrc2=size=${size}:rate=30:duration=${seconds}`;
  await run('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', picture],
    ...(options.audio === false ? [] : ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`]),
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    ...(options.audio === false ? [] : ['-c:a', 'aac', '-shortest']),
    ...(options.format ? ['-f', options.format] : []),
    file,
  ]);
  return readFile(file);
}

export interface TranscodeFixture {
  dir: string;
  catalog: Catalog;
  eventLog: EventLog;
  objectStore: ObjectStore;
  registry: Registry;
  worker: TranscodeWorker;
  /** Letters on the dead-letter topic so far, in order. */
  deadLetters: DeadLetter[];
  /** A video in 'uploaded' with `source` stored at its sourceKey, and its job published. */
  submit(source: Buffer, overrides?: Partial<TranscodeJob>): Promise<TranscodeJob>;
  publish(job: TranscodeJob | string): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * The worker on PGlite, the in-process log (ONE partition, so every job queues behind the one
 * before it) and a local folder.
 */
export async function startTranscodeFixture(
  options: Partial<
    Pick<TranscodeWorkerDeps, 'maxAttempts' | 'retryBackoffMs' | 'encryption' | 'limits' | 'perTitle'>
  > = {},
): Promise<TranscodeFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'streamloop-transcode-'));
  const catalog = await createPgliteCatalog({ dataDir: path.join(dir, 'catalog') });
  await catalog.migrate();
  const eventLog = createMemoryEventLog({ logger: silentLogger });
  await eventLog.ensureTopics([
    { name: TOPICS.transcodeJobs.name, partitions: 1 },
    { name: TOPICS.deadLetter.name, partitions: 1 },
  ]);
  const objectStore = await createLocalObjectStore({ root: path.join(dir, 'objects') });
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const worker = createTranscodeWorker({
    eventLog,
    objectStore,
    catalog,
    logger: silentLogger,
    registry,
    workDir: path.join(dir, 'work'),
    groupId: uniqueName('transcode'),
    ...options,
  });
  await worker.start();
  const letters = await readDeadLetters(eventLog, { groupId: uniqueName('dead-letter-reader') });
  const deadLetters = letters.letters;

  const publish = async (job: TranscodeJob | string) => {
    const value = typeof job === 'string' ? job : JSON.stringify(job);
    const key = typeof job === 'string' ? 'garbage' : job.videoId;
    await eventLog.publish(TOPICS.transcodeJobs.name, [{ key, value: Buffer.from(value) }]);
  };

  return {
    dir,
    catalog,
    eventLog,
    objectStore,
    registry,
    worker,
    deadLetters,
    publish,
    async submit(source, overrides = {}) {
      const video = await insertVideo(catalog, { title: 'test clip', status: 'uploaded' });
      const job = makeJob({ videoId: video.id, sourceKey: sourceKey(video.id), ...overrides });
      await objectStore.put(job.sourceKey, source);
      await publish(job);
      return job;
    },
    async teardown() {
      await worker.stop();
      await letters.stop();
      await eventLog.close();
      await catalog.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The video once its transcode has settled, ready or failed (the caller asserts which). */
export function settledVideo(
  catalog: Catalog,
  videoId: string,
  { timeoutMs = 120_000, intervalMs = 100 } = {},
): Promise<NonNullable<Awaited<ReturnType<typeof getVideo>>>> {
  return eventually(
    `video ${videoId} to be ready or failed`,
    async () => {
      const current = await getVideo(catalog, videoId);
      return current?.status === 'ready' || current?.status === 'failed' ? current : undefined;
    },
    { timeoutMs, intervalMs },
  );
}

export function makeJob(overrides: Partial<TranscodeJob> & Pick<TranscodeJob, 'videoId'>): TranscodeJob {
  return {
    event: EVENT_NAMES.transcodeJob,
    jobId: uniqueName('job'),
    sourceKey: sourceKey(overrides.videoId),
    attempt: 1,
    requestedAt: new Date().toISOString(),
    ...overrides,
  };
}

export interface VariantEntry {
  uri: string;
  attributes: Record<string, string>;
}

/** `#EXT-X-STREAM-INF` entries of a master playlist with their attributes (quotes removed). */
export function parseMaster(text: string): VariantEntry[] {
  const lines = text.split('\n').map((l) => l.trim());
  const variants: VariantEntry[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return;
    const attributes: Record<string, string> = {};
    for (const match of line.slice('#EXT-X-STREAM-INF:'.length).matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) {
      attributes[match[1]!] = match[2]!.replace(/^"|"$/g, '');
    }
    variants.push({ uri: lines.slice(i + 1).find((l) => l !== '' && !l.startsWith('#'))!, attributes });
  });
  return variants;
}

/** The URIs a media playlist lists (its segments). */
export function parseMediaPlaylist(text: string): {
  segments: string[];
  ended: boolean;
  targetDuration: number;
} {
  const lines = text.split('\n').map((l) => l.trim());
  return {
    segments: lines.filter((l) => l !== '' && !l.startsWith('#')),
    ended: lines.includes('#EXT-X-ENDLIST'),
    targetDuration: Number(lines.find((l) => l.startsWith('#EXT-X-TARGETDURATION:'))?.split(':')[1]),
  };
}

/** Codec names of a media file's streams, by ffprobe. */
export async function codecsOf(bytes: Buffer, dir: string): Promise<string[]> {
  const file = path.join(dir, `${uniqueName('probe')}.bin`);
  await writeFile(file, bytes);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'json',
    file,
  ]);
  await rm(file);
  return (JSON.parse(stdout) as { streams: { codec_name: string }[] }).streams
    .map((s) => s.codec_name)
    .sort();
}

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (
    metric?.values
      .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
      .reduce((sum, v) => sum + v.value, 0) ?? 0
  );
}
