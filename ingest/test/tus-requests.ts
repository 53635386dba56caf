/** Raw tus requests (fetch), for what tus-js-client will not do on purpose: races and bad headers. */
import { API_KEY } from './helpers.js';

export const TUS_HEADERS = { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${API_KEY}` };

export function encodeMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

/** POST /uploads/ → the absolute upload URL. */
export async function createUpload(
  baseUrl: string,
  size: number,
  metadata: Record<string, string>,
): Promise<string> {
  const response = await fetch(`${baseUrl}/uploads/`, {
    method: 'POST',
    headers: { ...TUS_HEADERS, 'Upload-Length': String(size), 'Upload-Metadata': encodeMetadata(metadata) },
  });
  if (response.status !== 201)
    throw new Error(`creation answered ${response.status}: ${await response.text()}`);
  return new URL(response.headers.get('location')!, baseUrl).toString();
}

/** A body that arrives in pieces, so two requests really overlap on the server. */
function trickle(bytes: Buffer, pieceBytes: number, pauseMs: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    async pull(controller) {
      if (at >= bytes.length) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      controller.enqueue(bytes.subarray(at, at + pieceBytes));
      at += pieceBytes;
    },
  });
}

export async function patch(
  url: string,
  offset: number,
  body: Buffer,
  options: { trickle?: { pieceBytes: number; pauseMs: number }; headers?: Record<string, string> } = {},
): Promise<{ status: number; offset: number | undefined; text: string }> {
  const response = await fetch(url, {
    method: 'PATCH',
    headers: {
      ...TUS_HEADERS,
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
      ...options.headers,
    },
    body: options.trickle ? trickle(body, options.trickle.pieceBytes, options.trickle.pauseMs) : body,
    duplex: 'half',
  } as RequestInit);
  const newOffset = response.headers.get('upload-offset');
  return {
    status: response.status,
    offset: newOffset === null ? undefined : Number(newOffset),
    text: await response.text(),
  };
}

export async function head(url: string): Promise<{ status: number; offset: number | undefined }> {
  const response = await fetch(url, { method: 'HEAD', headers: TUS_HEADERS });
  const offset = response.headers.get('upload-offset');
  return { status: response.status, offset: offset === null ? undefined : Number(offset) };
}
