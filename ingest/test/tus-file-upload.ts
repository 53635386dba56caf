/** tus-js-client uploading a file from disk (read slice by slice, never whole), with retries. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Upload, type UploadOptions } from 'tus-js-client';
import { API_KEY } from './helpers.js';

export const MIB = 1024 * 1024;

export interface FileUploadOutcome {
  videoId: string | undefined;
  uploadUrl: string | null;
  /** Failed requests tus-js-client retried (each one a resume). */
  retries: number;
}

export interface FileUpload {
  upload: Upload;
  done: Promise<FileUploadOutcome>;
}

export async function startFileUpload(
  endpoint: string,
  file: string,
  options: Partial<UploadOptions> & { metadata: Record<string, string> },
): Promise<FileUpload> {
  const size = (await stat(file)).size;
  let videoId: string | undefined;
  let retries = 0;
  let upload!: Upload;
  const done = new Promise<FileUploadOutcome>((resolve, reject) => {
    upload = new Upload(createReadStream(file), {
      endpoint: `${endpoint}/uploads/`,
      uploadSize: size,
      chunkSize: 5 * MIB,
      headers: { Authorization: `Bearer ${API_KEY}` },
      retryDelays: [0, 100, 250, 500, 1000, 2000],
      // tus-js-client's own rule (retry unless a 4xx other than 409/423), counting the retries.
      onShouldRetry: (err) => {
        const status = err.originalResponse?.getStatus() ?? 0;
        const retry = status < 400 || status >= 500 || status === 409 || status === 423;
        if (retry) retries += 1;
        return retry;
      },
      onAfterResponse: (_req, res) => {
        videoId = res.getHeader('X-Video-Id') ?? videoId;
      },
      onSuccess: () => resolve({ videoId, uploadUrl: upload.url, retries }),
      onError: reject,
      ...options,
    });
  });
  upload.start();
  return { upload, done };
}
