/**
 * Issue 7 acceptance, through real processes:
 * - the single-process stack on Kafka, S3Proxy, PostgreSQL and Redis takes a ~50 MB real video as a
 *   direct multipart upload (parts PUT straight to S3Proxy through presigned URLs) to `ready`;
 * - a fresh embedded stack prints a first scoped key, and scoped keys are enforced across ingest and
 *   analytics: no key / revoked key → 401, a key without the scope → 403.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@streamloop/core/config';
import { eventually, requireService } from '@streamloop/core/testing';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryOf, processEnv, realServiceEnv, SHARED_SECRETS } from './processes.js';

const run = promisify(execFile);
// The whole stack (PGlite, chdb, ffmpeg worker) starting on 2 cores shared with other test files.
const START_TIMEOUT_MS = 240_000;

async function call(base: string, key: string | undefined, method: string, route: string, body?: unknown) {
  const response = await fetch(base + route, {
    method,
    headers: {
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: the test reads response fields ad hoc and asserts on them.
  const json: Record<string, any> = text === '' ? {} : JSON.parse(text);
  return { status: response.status, body: json };
}

describe('direct multipart upload of ~50 MB to ready (stack on the real services)', () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamloop-direct-'));
  const clip = path.join(workDir, 'noisy-9s.mp4');
  const apiKey = SHARED_SECRETS.STREAMLOOP_API_KEY;
  let stack: RunningProcess;

  beforeAll(async () => {
    const config = loadConfig(process.env);
    requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
    requireService('PostgreSQL', 'DATABASE_URL', config.databaseUrl);
    // Noise defeats compression: 9 s of 640x360 at crf 8 is a real, decodable ~50 MB H.264 file.
    await run('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25,noise=alls=60:allf=t+u'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '9'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '8', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip],
    ]);
    stack = await startProcess(
      entryOf('stack'),
      processEnv({ ...realServiceEnv(), STREAMLOOP_DEMO: '0' }),
      START_TIMEOUT_MS,
    );
  }, START_TIMEOUT_MS + 60_000);
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('PUTs the parts to S3 itself, completes, and the video becomes ready', async () => {
    const bytes = fs.readFileSync(clip);
    expect(bytes.length).toBeGreaterThan(50_000_000);
    const started = await call(stack.baseUrl, apiKey, 'POST', '/api/v1/uploads/multipart', {
      filename: 'noisy-9s.mp4',
      sizeBytes: bytes.length,
      title: 'Direct to S3',
      contentType: 'video/mp4',
    });
    expect(started.status).toBe(201);
    const { videoId, partSizeBytes, parts, complete } = started.body as {
      videoId: string;
      partSizeBytes: number;
      parts: { partNumber: number; url: string }[];
      complete: { method: string; url: string };
    };
    expect(parts.length).toBe(Math.ceil(bytes.length / partSizeBytes));
    const etags = [];
    for (const { partNumber, url } of parts) {
      expect(url.startsWith(stack.baseUrl)).toBe(false);
      const from = (partNumber - 1) * partSizeBytes;
      const res = await fetch(url, { method: 'PUT', body: bytes.subarray(from, from + partSizeBytes) });
      expect(res.status).toBe(200);
      etags.push({ partNumber, etag: res.headers.get('etag') ?? '' });
    }
    const done = await call(stack.baseUrl, apiKey, complete.method, complete.url, { parts: etags });
    // The answer is the video's status now: the transcode worker may already have taken the job
    // (seen once on a loaded CI machine), so 'processing' is as right as 'uploaded'.
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ videoId, status: expect.stringMatching(/^(uploaded|processing)$/) });

    const ready = await eventually(
      `video ${videoId} to be ready`,
      async () => {
        const video = (await call(stack.baseUrl, apiKey, 'GET', `/api/v1/videos/${videoId}`)).body;
        if (video.status === 'failed') throw new Error(`transcode failed: ${video.error}`);
        return video.status === 'ready' ? video : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    expect(ready).toMatchObject({
      title: 'Direct to S3',
      sourceKey: `sources/${videoId}`,
      progressPercent: 100,
    });
    expect(ready.durationMs).toBeGreaterThan(8_000);
    await call(stack.baseUrl, apiKey, 'DELETE', `/api/v1/videos/${videoId}`);
  }, 420_000);
});

describe('scoped keys across ingest and analytics (fresh embedded stack)', () => {
  let stack: RunningProcess;
  let firstKey: string;
  const keys: Record<'manage' | 'analytics' | 'revoked', string> = {} as never;
  const qoe = '/api/v1/qoe/overview?videoId=abcdefgh12345678';

  beforeAll(async () => {
    stack = await startProcess(
      entryOf('stack'),
      processEnv({ ...SHARED_SECRETS, STREAMLOOP_DEMO: '0' }),
      START_TIMEOUT_MS,
    );
    const printed = /First scoped API key[^\n]*: (sl_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(stack.output());
    expect(printed).not.toBeNull();
    firstKey = printed![1]!;
    const make = async (scopes: string[]) => {
      const res = await call(stack.baseUrl, firstKey, 'POST', '/api/v1/keys', { scopes });
      expect(res.status).toBe(201);
      return res.body as { id: string; key: string };
    };
    keys.manage = (await make(['manage', 'upload'])).key;
    keys.analytics = (await make(['analytics-read'])).key;
    const revoked = await make(['manage', 'upload', 'analytics-read']);
    expect((await call(stack.baseUrl, firstKey, 'DELETE', `/api/v1/keys/${revoked.id}`)).status).toBe(204);
    keys.revoked = revoked.key;
  }, START_TIMEOUT_MS + 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('the first key printed at start holds every scope', async () => {
    expect((await call(stack.baseUrl, firstKey, 'GET', '/api/v1/videos')).status).toBe(200);
    expect((await call(stack.baseUrl, firstKey, 'GET', qoe)).status).toBe(200);
  });

  it.each([
    ['catalog (manage)', 'GET', '/api/v1/videos', 'analytics' as const],
    ['QoE API (analytics-read)', 'GET', qoe, 'manage' as const],
  ])(
    '%s: no key 401, revoked key 401, key without the scope 403, right key 200',
    async (_name, method, route, wrong) => {
      expect((await call(stack.baseUrl, undefined, method, route)).status).toBe(401);
      expect((await call(stack.baseUrl, keys.revoked, method, route)).status).toBe(401);
      const forbidden = await call(stack.baseUrl, keys[wrong], method, route);
      expect([forbidden.status, forbidden.body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
      const right = wrong === 'analytics' ? keys.manage : keys.analytics;
      expect((await call(stack.baseUrl, right, method, route)).status).toBe(200);
    },
  );

  it('direct uploads on the embedded store are refused with ERR_S3_REQUIRED', async () => {
    const res = await call(stack.baseUrl, keys.manage, 'POST', '/api/v1/uploads/multipart', {
      filename: 'a.mp4',
      sizeBytes: 10,
    });
    expect([res.status, res.body.error.code]).toEqual([501, 'ERR_S3_REQUIRED']);
  });
});
