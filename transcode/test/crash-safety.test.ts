/**
 * kill -9 of a real worker process in the middle of an encode, five times in a row, on the real
 * services (Kafka with a topic of its own, S3Proxy, PostgreSQL in a scratch database). Then a sixth
 * worker is left alone. The video must reach `ready`, its published playlists must only name objects
 * the final attempt wrote, the killed attempts' folders must be gone, and no job may be lost.
 *
 * Mid-encode is detected from the attempt's own staging folder: an attempt folder not seen before
 * holding encoded segments (ffmpeg writes them as it goes). Catalog progress does not name the
 * attempt that wrote it, so a kill timed from it could land between two attempts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog } from '@streamloop/catalog/catalog';
import { listJobAttemptsOfVideo } from '@streamloop/catalog/job-attempts-repository';
import { getVideo, insertVideo } from '@streamloop/catalog/video-repository';
import { type Config, loadConfig } from '@streamloop/core/config';
import { ladderPrefix, MASTER_PLAYLIST, mediaPrefix, sourceKey } from '@streamloop/core/object-layout';
import { eventually, uniqueName } from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { connectRealServices, type RealServices } from '@streamloop/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, makeJob, parseMaster, parseMediaPlaylist, settledVideo, silentLogger } from './helpers.js';

const config: Config = loadConfig(process.env);
const CHILD = fileURLToPath(new URL('./fixtures/worker-child.mjs', import.meta.url));
const BUILT_WORKER = fileURLToPath(new URL('../dist/transcode-worker.js', import.meta.url));
const KILLS = 5;

describe('transcode workers killed with -9 mid-encode, five times (real Kafka, S3Proxy, PostgreSQL)', () => {
  let dir: string;
  let workDir: string;
  let catalog: Catalog;
  let eventLog: EventLog;
  let objectStore: ObjectStore;
  let services: RealServices;
  let childOptions: Record<string, unknown>;
  let child: ChildProcess | undefined;
  const topic = uniqueName('transcode-crash-test');
  const videoIds: string[] = [];

  beforeAll(async () => {
    if (!existsSync(BUILT_WORKER))
      throw new Error(`${BUILT_WORKER} is missing: run npm run build -w transcode first`);
    dir = await mkdtemp(path.join(tmpdir(), 'streamloop-transcode-crash-'));
    workDir = path.join(dir, 'work');
    services = await connectRealServices(config, {
      databasePrefix: 'streamloop_transcode',
      topics: [
        { name: topic, partitions: 2 },
        { name: `${topic}-dead`, partitions: 1 },
      ],
      logger: silentLogger,
    });
    ({ catalog, eventLog, objectStore } = services);
    childOptions = {
      kafka: { ...services.kafka, clientId: uniqueName('transcode-crash') },
      s3: services.s3,
      databaseUrl: services.databaseUrl,
      topic,
      deadLetterTopic: `${topic}-dead`,
      groupId: uniqueName('transcode-crash'),
      workDir,
      maxAttempts: KILLS + 2,
    };
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    for (const id of videoIds) {
      await objectStore?.deletePrefix(mediaPrefix(id));
      await objectStore?.delete(sourceKey(id));
    }
    await services?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const startWorker = (): ChildProcess => {
    const started = spawn(process.execPath, [CHILD, JSON.stringify(childOptions)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    started.stdout?.on('data', (d) => (output += d));
    started.stderr?.on('data', (d) => (output += d));
    started.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`worker exited (${code}): ${output}`);
    });
    return started;
  };

  const submit = async (title: string, seconds: number) => {
    const clip = await makeClip(path.join(dir, `${title}.mp4`), { seconds, size: '640x360' });
    const video = await insertVideo(catalog, { title, status: 'uploaded' });
    videoIds.push(video.id);
    const job = makeJob({ videoId: video.id });
    await objectStore.put(job.sourceKey, clip);
    await eventLog.publish(topic, [{ key: job.videoId, value: Buffer.from(JSON.stringify(job)) }]);
    return job;
  };

  it('still makes the video ready from a clean final attempt, losing no job', async () => {
    const long = await submit('long', 30);
    const short = await submit('short', 3);
    const killedAttempts: string[] = [];

    for (let kill = 1; kill <= KILLS; kill++) {
      child = startWorker();
      const attemptId = await eventually(
        `attempt ${kill} of the long video to be mid-encode`,
        () => attemptEncoding(path.join(workDir, long.videoId), killedAttempts),
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
      killedAttempts.push(attemptId);
      // A killed attempt never published anything, and the video is not playable yet.
      expect(await keysUnder(objectStore, mediaPrefix(long.videoId)), `after kill ${kill}`).toEqual([]);
      expect((await getVideo(catalog, long.videoId))?.status).toBe('processing');
    }

    // Whole seconds: S3 reports Last-Modified to the second.
    const finalStartMs = Math.floor(Date.now() / 1000) * 1000;
    child = startWorker();
    for (const job of [long, short]) {
      const video = await settledVideo(catalog, job.videoId, { timeoutMs: 240_000, intervalMs: 250 });
      expect(video).toMatchObject({ status: 'ready', error: null });
    }

    // Every attempt was counted in the catalog: five killed, at least one more that finished; one job
    // per video. A consumer-group rebalance on a loaded machine (the killed members' sessions expiring
    // while the last worker runs) can hand the job back once more, so the count is a floor, capped by
    // maxAttempts (KILLS + 2): a job past it would have gone to the dead-letter topic instead.
    const attempts = await listJobAttemptsOfVideo(catalog, long.videoId);
    expect(attempts.map((a) => a.jobId)).toEqual([long.jobId]);
    expect(attempts[0]!.attempts).toBeGreaterThanOrEqual(KILLS + 1);
    expect(attempts[0]!.attempts).toBeLessThanOrEqual(KILLS + 2);
    expect(killedAttempts).not.toContain(attempts[0]!.currentAttemptId);
    expect((await listJobAttemptsOfVideo(catalog, short.videoId)).map((a) => a.jobId)).toEqual([short.jobId]);

    // The published ladder names only objects that exist and that the final attempt wrote.
    const prefix = ladderPrefix(long.videoId, 'default');
    const published = new Map(
      (await listUnder(objectStore, mediaPrefix(long.videoId))).map((o) => [o.key, o]),
    );
    const variants = parseMaster(
      (await objectStore.getBuffer(`${prefix}${MASTER_PLAYLIST}`))!.toString('utf8'),
    );
    expect(variants.length).toBeGreaterThanOrEqual(2);
    const referenced = [`${prefix}${MASTER_PLAYLIST}`];
    for (const variant of variants) {
      const playlistKey = prefix + variant.uri;
      referenced.push(playlistKey);
      const playlist = parseMediaPlaylist((await objectStore.getBuffer(playlistKey))!.toString('utf8'));
      expect(playlist.ended).toBe(true);
      const base = playlistKey.slice(0, playlistKey.lastIndexOf('/') + 1);
      referenced.push(...playlist.segments.map((segment) => base + segment));
    }
    for (const key of referenced) {
      const object = published.get(key);
      expect(object, key).toBeDefined();
      expect(object!.lastModified!.getTime(), key).toBeGreaterThanOrEqual(finalStartMs);
    }
    // No folder of a killed attempt is left on the worker's disk.
    expect(existsSync(path.join(workDir, long.videoId))).toBe(false);

    child.kill('SIGTERM');
    await new Promise((resolve) => child!.once('exit', resolve));
    child = undefined;
  }, 900_000);
});

/** The id of an attempt folder not killed yet that holds encoded segments, else undefined. */
async function attemptEncoding(videoDir: string, killed: string[]): Promise<string | undefined> {
  const attempts = await readdir(videoDir).catch(() => [] as string[]);
  for (const attempt of attempts.filter((a) => !killed.includes(a))) {
    const files = await readdir(path.join(videoDir, attempt, 'out'), { recursive: true }).catch(() => []);
    if (files.some((f) => /\.(ts|m4s)$/.test(String(f)))) return attempt;
  }
  return undefined;
}

async function listUnder(store: ObjectStore, prefix: string) {
  const objects = [];
  for await (const object of store.list(prefix)) objects.push(object);
  return objects;
}

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  return (await listUnder(store, prefix)).map((o) => o.key);
}
