import { VideoId } from '@streamloop/core/schemas/video';
import { normaliseSha256 } from './source-hash.js';

/** What an uploader may say about a file in tus `Upload-Metadata`. */
export interface UploadMetadata {
  /** Required for a new video; an existing video (`videoId`) keeps its own title when absent. */
  title: string | undefined;
  filename: string | undefined;
  /** A video created earlier with POST /api/v1/videos, still in 'waiting_upload'. */
  videoId: string | undefined;
  /** SHA-256 of the whole file (64 hex digits or base64 of the 32 bytes), checked when it finishes. */
  sha256: string | undefined;
  /** The declared media type (`filetype`, what tus-js-client sends for a File). */
  filetype: string | undefined;
}

export type MetadataResult = { ok: true; value: UploadMetadata } | { ok: false; reason: string };

const VIDEO_ID = new RegExp(VideoId.pattern as string);
const MAX_TITLE = 500;
const MAX_FILENAME = 1024;

export function isVideoId(value: string): boolean {
  return VIDEO_ID.test(value);
}

/** Validates the decoded `Upload-Metadata` pairs; never throws. */
export function readUploadMetadata(raw: Record<string, string | null> | undefined): MetadataResult {
  const text = (name: string): string | undefined => {
    const value = raw?.[name];
    return value === null || value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const title = text('title');
  const videoId = text('videoId');
  const declaredSha256 = text('sha256');
  const sha256 = declaredSha256 === undefined ? undefined : normaliseSha256(declaredSha256);
  const filetype = text('filetype')?.toLowerCase();
  // Browsers send a base name; strip any path another client may send so it never reads like one.
  const filename = text('filename')?.split(/[\\/]/).pop();

  if (videoId !== undefined && !isVideoId(videoId)) {
    return { ok: false, reason: 'Upload-Metadata videoId is not a video id' };
  }
  if (declaredSha256 !== undefined && sha256 === undefined) {
    return { ok: false, reason: 'Upload-Metadata sha256 must be 64 hex digits or the 32 bytes in base64' };
  }
  if (title === undefined && videoId === undefined) {
    return { ok: false, reason: 'Upload-Metadata must include a title' };
  }
  if (title !== undefined && title.length > MAX_TITLE) {
    return { ok: false, reason: `Upload-Metadata title is longer than ${MAX_TITLE} characters` };
  }
  if (filename !== undefined && filename.length > MAX_FILENAME) {
    return { ok: false, reason: `Upload-Metadata filename is longer than ${MAX_FILENAME} characters` };
  }
  return { ok: true, value: { title, filename, videoId, sha256, filetype } };
}
