import fs from 'node:fs';
import { Upload } from 'tus-js-client';

export interface UploadResult {
  videoId: string;
  uploadUrl: string;
  /** ms since epoch when the last response arrived. */
  completedAt: number;
}

/** Uploads a file with the real tus-js-client in `chunks` PATCH requests; resolves with X-Video-Id. */
export function tusUpload(
  file: string,
  { endpoint, apiKey, chunks, title }: { endpoint: string; apiKey: string; chunks: number; title: string },
): Promise<UploadResult> {
  const size = fs.statSync(file).size;
  const chunkSize = Math.ceil(size / chunks);
  let videoId: string | undefined;
  let patches = 0;
  return new Promise((resolve, reject) => {
    const upload = new Upload(fs.createReadStream(file), {
      endpoint,
      chunkSize,
      uploadSize: size,
      metadata: { filename: file.split('/').pop() ?? 'clip.mp4', title },
      headers: { Authorization: `Bearer ${apiKey}` },
      retryDelays: [],
      onAfterResponse: (req, res) => {
        if (req.getMethod() === 'PATCH') patches += 1;
        videoId = res.getHeader('X-Video-Id') ?? videoId;
      },
      onError: reject,
      onSuccess: () => {
        if (!videoId) return reject(new Error('the completing response carried no X-Video-Id'));
        if (patches !== chunks) return reject(new Error(`expected ${chunks} PATCH requests, saw ${patches}`));
        resolve({ videoId, uploadUrl: upload.url ?? '', completedAt: Date.now() });
      },
    });
    upload.start();
  });
}

export { waitUntilVideoReady as waitUntilReady } from '@streamloop/core/testing';
