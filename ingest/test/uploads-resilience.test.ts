/**
 * tus on S3Proxy (@tus/s3-store) when the network and the server misbehave: connections cut and
 * reset mid-PATCH, a server restart mid-upload, two clients PATCHing one offset, a byte flipped in
 * transit. The stored object must always be exactly the source, or refused loudly.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { getVideo } from '@streamloop/catalog/video-repository';
import { eventually, metricValue, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashStream } from '../src/source-hash.js';
import { type ChaosProxy, startChaosProxy } from './chaos-proxy.js';
import { recordJobs } from './helpers.js';
import { S3_LABEL, type S3Ingest, sha256Of, startS3Ingest, writeRandomFile } from './s3-fixture.js';
import { MIB, startFileUpload } from './tus-file-upload.js';
import { createUpload, head, patch } from './tus-requests.js';

describe(`tus uploads that survive the network and restarts (${S3_LABEL})`, () => {
  let s3: S3Ingest;
  let proxy: ChaosProxy | undefined;
  let jobs: Awaited<ReturnType<typeof recordJobs>>;

  beforeAll(async () => {
    s3 = await startS3Ingest();
    jobs = await recordJobs(s3.eventLog, uniqueName('jobs'));
  });
  afterAll(async () => {
    await proxy?.close();
    await jobs?.stop();
    await s3?.teardown();
  });

  const storedSha256 = async (key: string) => {
    const object = await s3.objectStore.get(key);
    expect(object, `${key} is stored`).not.toBeNull();
    return hashStream(object!.body);
  };

  it('a 200 MB upload in 5 MiB chunks resumes through 10 cuts and a reset mid-PATCH; the stored object is the source', async () => {
    const size = 200 * 1000 * 1000;
    const file = path.join(s3.dir, 'big.bin');
    const sourceSha256 = await writeRandomFile(file, size);
    // Random break points across the upload; the reset lands inside a 5 MiB PATCH body.
    const cutAtBytes = Array.from({ length: 10 }, () =>
      Math.floor(2 * MIB + Math.random() * (size - 4 * MIB)),
    ).sort((a, b) => a - b);
    proxy = await startChaosProxy(Number(new URL(s3.ingest.baseUrl).port), {
      cutAtBytes,
      resetAtBytes: Math.floor(size / 2) + 12_345,
    });

    const { done } = await startFileUpload(proxy.url, file, {
      metadata: { title: 'Big one', filename: 'big.bin', sha256: sourceSha256 },
    });
    const outcome = await done;

    expect({ cuts: proxy.cuts, resets: proxy.resets }).toEqual({ cuts: 10, resets: 1 });
    expect(outcome.retries).toBeGreaterThanOrEqual(11);
    const videoId = outcome.videoId!;
    const video = await getVideo(s3.catalog, videoId);
    expect(video).toMatchObject({ status: 'uploaded', sourceSha256 });
    expect(await storedSha256(video!.sourceKey!)).toEqual({ sha256: sourceSha256, sizeBytes: size });
    // Bytes re-sent: what crossed the proxy beyond the file itself (HTTP request heads included).
    const resentBytes = proxy.upstreamBytes - size;
    console.info(
      `200 MB upload: ${outcome.retries} resumes, ${resentBytes} bytes re-sent (${((100 * resentBytes) / size).toFixed(2)}% of the file, request heads included)`,
    );
    expect(resentBytes).toBeLessThan(11 * 5 * MIB + MIB);
    // Every byte that was stored passed through this process in order: no need to read 200 MB back.
    expect(await metricValue(s3.ingest.registry, 'streamloop_ingest_sources_rehashed_total')).toBe(0);
    await eventually('one transcode job', () => (jobs.forKey(videoId).length > 0 ? true : undefined));
    expect(jobs.forKey(videoId)).toHaveLength(1);
    await proxy.close();
    proxy = undefined;
  }, 600_000);

  it('a server restart in the middle of an upload: the client resumes at the same URL and the object is the source', async () => {
    const size = 23 * MIB + 777;
    const file = path.join(s3.dir, 'restart.bin');
    const sourceSha256 = await writeRandomFile(file, size);

    let restarting: Promise<unknown> | undefined;
    const { upload, done } = await startFileUpload(s3.ingest.baseUrl, file, {
      metadata: { title: 'Interrupted', filename: 'restart.bin' },
      onChunkComplete: (_chunk, accepted) => {
        // The server goes away while the client is still sending; it retries into the new one.
        if (accepted >= 10 * MIB && restarting === undefined) restarting = s3.restart();
      },
    });
    const firstUrl = await eventually('the upload URL', () => upload.url ?? undefined);
    const outcome = await done;
    await restarting;

    expect(outcome.retries).toBeGreaterThanOrEqual(1);
    expect(outcome.uploadUrl).toBe(firstUrl);
    const video = await getVideo(s3.catalog, outcome.videoId!);
    expect(video).toMatchObject({ status: 'uploaded', sourceSha256 });
    expect(await storedSha256(video!.sourceKey!)).toEqual({ sha256: sourceSha256, sizeBytes: size });
    // The new process did not see the first bytes: it hashed the object back from storage.
    expect(await metricValue(s3.ingest.registry, 'streamloop_ingest_sources_rehashed_total')).toBe(1);
    // The new server received only what was missing after the restart, not the whole file again.
    expect(await metricValue(s3.ingest.registry, 'streamloop_ingest_bytes_received_total')).toBeLessThan(
      size - 9 * MIB,
    );
  }, 300_000);

  it('two clients PATCHing the same offset 50 times: never both land, never a corrupt object', async () => {
    const size = 512 * 1024;
    const statuses = new Map<number, number>();
    for (let round = 0; round < 50; round++) {
      const source = randomBytes(size);
      const url = await createUpload(s3.ingest.baseUrl, size, { title: `race ${round}` });
      const trickle = { pieceBytes: 64 * 1024, pauseMs: 2 };
      const answers = await Promise.all([
        patch(url, 0, source, { trickle }),
        patch(url, 0, source, { trickle }),
      ]);
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
});
