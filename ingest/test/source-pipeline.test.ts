/**
 * finishObject: the pipeline an object uploaded without tus (direct multipart) joins — hash, verify,
 * record with its job, or hand back the owner's earlier video with the same content.
 */
import { randomBytes } from 'node:crypto';
import { getVideo, newVideoId } from '@streamloop/catalog/video-repository';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceIntegrityError } from '../src/source-pipeline.js';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { recordJobs } from './helpers.js';
import { sha256Of } from './s3-fixture.js';

describe('the source pipeline for objects that did not come through tus (embedded adapters)', () => {
  let ingest: EmbeddedIngest;
  let jobs: Awaited<ReturnType<typeof recordJobs>>;
  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
    jobs = await recordJobs(ingest.eventLog, uniqueName('jobs'));
  });
  afterAll(async () => {
    await jobs?.stop();
    await ingest?.teardown();
  });

  const putSource = async (bytes: Buffer) => {
    const videoId = newVideoId();
    const objectKey = `sources/${videoId}`;
    await ingest.objectStore.put(objectKey, bytes);
    return { videoId, objectKey, sizeBytes: bytes.length };
  };

  it('records a verified object with one job, dedups the same bytes for that owner only, and refuses a wrong hash', async () => {
    const { sourcePipeline } = ingest.routes;
    const bytes = randomBytes(300_000);
    const owner = uniqueName('owner');

    const first = await putSource(bytes);
    const recorded = await sourcePipeline.finishObject({
      ...first,
      owner,
      title: 'Direct',
      declaredSha256: sha256Of(bytes),
    });
    expect(recorded).toEqual({ videoId: first.videoId, sha256: sha256Of(bytes) });
    expect(await getVideo(ingest.catalog, first.videoId)).toMatchObject({
      status: 'uploaded',
      owner,
      title: 'Direct',
    });
    await eventually('the job', () => (jobs.forKey(first.videoId).length > 0 ? true : undefined));

    const again = await putSource(bytes);
    expect(await sourcePipeline.finishObject({ ...again, owner })).toEqual({
      videoId: first.videoId,
      deduplicatedFrom: again.videoId,
      sha256: sha256Of(bytes),
    });
    expect(await ingest.objectStore.head(again.objectKey)).toBeNull();

    const otherOwner = await putSource(bytes);
    expect((await sourcePipeline.finishObject({ ...otherOwner, owner: uniqueName('owner') })).videoId).toBe(
      otherOwner.videoId,
    );

    const corrupt = await putSource(randomBytes(1000));
    const err = await sourcePipeline
      .finishObject({ ...corrupt, owner, declaredSha256: sha256Of(bytes) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceIntegrityError);
    expect((err as Error).message).toMatch(/checksum mismatch/);
    expect(await ingest.objectStore.head(corrupt.objectKey)).toBeNull();
    expect(await getVideo(ingest.catalog, corrupt.videoId)).toBeUndefined();

    const short = await putSource(randomBytes(1000));
    await expect(sourcePipeline.finishObject({ ...short, sizeBytes: 2000, owner })).rejects.toThrow(
      /stored 1000 bytes but the upload declared 2000/,
    );
    await eventually('jobs settled', () => (jobs.forKey(otherOwner.videoId).length > 0 ? true : undefined));
    expect(jobs.forKey(first.videoId)).toHaveLength(1);
    expect(jobs.forKey(again.videoId)).toEqual([]);
    expect(jobs.forKey(corrupt.videoId)).toEqual([]);
  });
});
