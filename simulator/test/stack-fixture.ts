/**
 * The real single-process stack (embedded adapters) with one short generated clip uploaded through
 * tus and transcoded to `ready`, as e2e/test does it (processes.ts, upload.ts); for fast- and
 * live-mode integration tests.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { waitUntilVideoReady } from '@streamloop/core/testing';
import { startProcess } from '@streamloop/service-kit/child-process';
import { generateTestPatternClip } from '@streamloop/stack/test-pattern-clip';
import { Upload } from 'tus-js-client';

export const STACK_API_KEY = 'simulator-test-api-key-0123456789abcdef';

export interface StackWithVideo {
  base: string;
  apiKey: string;
  videoId: string;
  stop(): Promise<unknown>;
}

export async function startStackWithVideo({
  seconds = 8,
  width = 640,
  height = 360,
}: {
  seconds?: number;
  width?: number;
  height?: number;
} = {}): Promise<StackWithVideo> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'simulator-stack-'));
  const clip = path.join(workDir, 'clip.mp4');
  const entry = createRequire(import.meta.url).resolve('@streamloop/stack/main');
  const [stack] = await Promise.all([
    startProcess(entry, {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      LOG_LEVEL: 'warn',
      STREAMLOOP_DATA_DIR: path.join(workDir, 'data'),
      STREAMLOOP_DEMO: '0',
      STREAMLOOP_API_KEY: STACK_API_KEY,
    }),
    generateTestPatternClip(clip, { seconds, width, height, video: { preset: 'ultrafast', bitrate: '2M' } }),
  ]);
  const base = stack.baseUrl;
  const videoId = await upload(clip, `${base}/uploads/`);
  await waitUntilVideoReady(base, STACK_API_KEY, videoId);
  return { base, apiKey: STACK_API_KEY, videoId, stop: () => stack.stop() };
}

function upload(file: string, endpoint: string): Promise<string> {
  let videoId: string | undefined;
  return new Promise((resolve, reject) => {
    new Upload(fs.createReadStream(file), {
      endpoint,
      uploadSize: fs.statSync(file).size,
      chunkSize: fs.statSync(file).size,
      metadata: { filename: 'clip.mp4', title: 'simulator test clip' },
      headers: { Authorization: `Bearer ${STACK_API_KEY}` },
      retryDelays: [],
      onAfterResponse: (_req, res) => {
        videoId = res.getHeader('X-Video-Id') ?? videoId;
      },
      onError: reject,
      onSuccess: () => (videoId ? resolve(videoId) : reject(new Error('no X-Video-Id'))),
    }).start();
  });
}
