/**
 * On S3Proxy (@tus/s3-store): two clients PATCHing the same offset, a byte flipped in transit under
 * a declared SHA-256, and unfinished uploads expiring with their multipart uploads aborted.
 */
import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { getVideo } from '@streamloop/catalog/video-repository';
import { eventually, metricValue, uniqueName } from '@streamloop/core/testing';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashStream } from '../src/source-hash.js';
import { startChaosProxy } from './chaos-proxy.js';
import { API_KEY, recordJobs } from './helpers.js';
import { S3_LABEL, type S3Ingest, sha256Of, startS3Ingest } from './s3-fixture.js';
import { MIB } from './tus-file-upload.js';
import { createUpload, head, patch } from './tus-requests.js';

const EXPIRATION_MS = 2_000;

describe(`tus races, integrity and expiry (${S3_LABEL})`, () => {
  let s3: S3Ingest;
  let jobs: Awaited<ReturnType<typeof recordJobs>>;

  beforeAll(async () => {
    s3 = await startS3Ingest({ uploadExpirationMs: EXPIRATION_MS });
    jobs = await recordJobs(s3.eventLog, uniqueName('jobs'));
  });
  afterAll(async () => {
    await jobs?.stop();
    await s3?.teardown();
  });

  it('two clients PATCHing the same offset 50 times: never both land, never a corrupt object', async () => {
    const size = 512 * 1024;
    const statuses = new Map<number, number>();
    for (let round = 0; round < 50; round++) {
      const source = randomBytes(size);
      const url = await createUpload(s3.ingest.baseUrl, size, { title: `race ${round}` });
      const trickle = { pieceBytes: 64 * 1024, pauseMs: 2 };
      const answers = await Promise.all([patch(url, 0, source, { trickle }), patch(url, 0, source, { trickle })]);
      for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);

      // Each answer is a success at some offset, or a refusal the client resumes from (409/423).
      for (const a of answers) expect([204, 409, 423], a.text).toContain(a.status);
      expect(answers.filter((a) => a.status === 204 && a.offset === size).length).toBeLessThanOrEqual(1);
      // The client resumes from what the server has (as after a reload), until complete.
      for (let state = await head(url); state.offset! < size; state = await head(url)) {
        const resumed = await patch(url, state.offset!, source.subarray(state.offset!));
        expect(resumed.status, resumed.text).toBe(204);
      }
      const videoId = new URL(url).pathname.split('/').pop()!;
      const video = await getVideo(s3.catalog, videoId);
      expect(video?.sourceSha256, `round ${round}`).toBe(sha256Of(source));
      const stored = await s3.objectStore.get(video!.sourceKey!);
      expect(await hashStream(stored!.body)).toEqual({ sha256: sha256Of(source), sizeBytes: size });
    }
    // The race really happened: some second PATCH was refused.
    expect((statuses.get(409) ?? 0) + (statuses.get(423) ?? 0)).toBeGreaterThan(0);
  }, 300_000);

  it('a byte flipped in transit under a declared sha256 fails the upload with 460; nothing is recorded or transcoded', async () => {
    const source = randomBytes(6 * MIB + 123);
    const proxy = await startChaosProxy(Number(new URL(s3.ingest.baseUrl).port), { flipPatchBodyByte: 4321 });
    try {
      let uploadUrl: string | null = null;
      const failure = await new Promise<Error>((resolve, reject) => {
        const upload = new Upload(source, {
          endpoint: `${proxy.url}/uploads/`,
          chunkSize: 5 * MIB,
          metadata: { title: 'Flipped', sha256: sha256Of(source) },
          headers: { Authorization: `Bearer ${API_KEY}` },
          retryDelays: [0, 100],
          onSuccess: () => reject(new Error('the corrupted upload was accepted')),
          onError: (err) => {
            uploadUrl = upload.url;
            resolve(err);
          },
        });
        upload.start();
      });
      expect(proxy.flipped).toBe(true);
      expect(failure.message).toMatch(/response code: 460.*checksum mismatch/s);

      const videoId = new URL(uploadUrl!).pathname.split('/').pop()!;
      expect(await getVideo(s3.catalog, videoId)).toBeUndefined();
      expect(await s3.objectStore.head(`${s3.keyPrefix}sources/${videoId}`)).toBeNull();
      expect((await head(uploadUrl!.replace(proxy.url, s3.ingest.baseUrl))).status).toBe(404);
      expect(jobs.forKey(videoId)).toEqual([]);
      expect(await metricValue(s3.ingest.registry, 'streamloop_ingest_upload_integrity_failures_total')).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('an unfinished upload expires: 410 to the client, its multipart upload aborted, no parts or objects left', async () => {
    const size = 20 * MIB;
    const url = await createUpload(s3.ingest.baseUrl, size, { title: 'Abandoned' });
    // 9 MiB: one 8 MiB part goes into the multipart upload, the rest waits in a `.part` object.
    const sent = await patch(url, 0, randomBytes(9 * MIB));
    expect(sent).toMatchObject({ status: 204, offset: 9 * MIB });
    const key = `${s3.keyPrefix}sources/${new URL(url).pathname.split('/').pop()}`;
    const client = new S3Client({
      region: s3.s3.region,
      endpoint: s3.s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.s3.accessKeyId, secretAccessKey: s3.s3.secretAccessKey },
    });
    const multipartUploads = async () =>
      (await client.send(new ListMultipartUploadsCommand({ Bucket: s3.s3.bucket, Prefix: key }))).Uploads ?? [];
    expect(await multipartUploads()).toHaveLength(1);

    await eventually('the upload to expire', async () => ((await head(url)).status === 410 ? true : undefined), {
      timeoutMs: EXPIRATION_MS * 5,
    });
    expect(await s3.ingest.routes.sweepExpiredUploads()).toBe(1);

    expect(await multipartUploads()).toEqual([]);
    const left: string[] = [];
    for await (const object of s3.objectStore.list(key)) left.push(object.key);
    expect(left).toEqual([]);
    expect([404, 410]).toContain((await head(url)).status);
    expect(await metricValue(s3.ingest.registry, 'streamloop_ingest_uploads_expired_total')).toBe(1);
    client.destroy();
  });
});
