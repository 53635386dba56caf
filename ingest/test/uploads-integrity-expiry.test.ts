/**
 * On S3Proxy (@tus/s3-store): a byte flipped in transit under a declared SHA-256, and unfinished
 * uploads expiring (short expiration) with their multipart uploads aborted.
 */
import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { getVideo } from '@streamloop/catalog/video-repository';
import { eventually, metricValue, uniqueName } from '@streamloop/core/testing';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChaosProxy } from './chaos-proxy.js';
import { API_KEY, recordJobs } from './helpers.js';
import { S3_LABEL, type S3Ingest, sha256Of, startS3Ingest } from './s3-fixture.js';
import { MIB } from './tus-file-upload.js';
import { createUpload, head, patch } from './tus-requests.js';

const EXPIRATION_MS = 3_000;

describe(`tus integrity (${S3_LABEL})`, () => {
  let s3: S3Ingest;
  let jobs: Awaited<ReturnType<typeof recordJobs>>;

  beforeAll(async () => {
    s3 = await startS3Ingest();
    jobs = await recordJobs(s3.eventLog, uniqueName('jobs'));
  });
  afterAll(async () => {
    await jobs?.stop();
    await s3?.teardown();
  });

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
      expect(await metricValue(s3.ingest.registry, 'streamloop_ingest_upload_integrity_failures_total')).toBe(
        1,
      );
    } finally {
      await proxy.close();
    }
  });
});

describe(`tus expiration (${S3_LABEL}, uploads expire after ${EXPIRATION_MS} ms)`, () => {
  let s3: S3Ingest;
  beforeAll(async () => {
    s3 = await startS3Ingest({ uploadExpirationMs: EXPIRATION_MS });
  });
  afterAll(async () => {
    await s3?.teardown();
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
      (await client.send(new ListMultipartUploadsCommand({ Bucket: s3.s3.bucket, Prefix: key }))).Uploads ??
      [];
    expect(await multipartUploads()).toHaveLength(1);

    await eventually(
      'the upload to expire',
      async () => ((await head(url)).status === 410 ? true : undefined),
      {
        timeoutMs: EXPIRATION_MS * 5,
      },
    );
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
