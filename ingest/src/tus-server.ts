/**
 * The tus 1.0 server (@tus/server) behind `/uploads/`. Upload URLs are `/uploads/<videoId>`: the
 * video id is fixed when the upload is created (fresh, or the `videoId` of a video created through
 * the API), so the id in the URL, the catalog row and the source key always agree.
 */

import type { IncomingMessage } from 'node:http';
import type { Catalog } from '@streamloop/catalog/catalog';
import { getVideo, newVideoId } from '@streamloop/catalog/video-repository';
import type { Logger } from '@streamloop/core/logger';
import { MemoryLocker, Server } from '@tus/server';
import { DEFAULT_OWNER, SourceIntegrityError } from './source-pipeline.js';
import type { UploadFinisher } from './upload-finisher.js';
import { isVideoId, readUploadMetadata } from './upload-metadata.js';
import type { UploadStore } from './upload-store.js';

export const UPLOADS_PATH = '/uploads';
export const VIDEO_ID_HEADER = 'X-Video-Id';
/** On the finishing response when the content was already uploaded: the id this upload would have had. */
export const DEDUPLICATED_FROM_HEADER = 'X-Deduplicated-From';
/** tus checksum extension: the stored bytes do not match the declared checksum. */
export const CHECKSUM_MISMATCH = 460;

/** Who made a request (set by the upload routes after authentication), keyed by the raw request. */
export type RequestOwners = WeakMap<IncomingMessage, string>;

/** tus hooks abort a request by throwing this shape. */
interface TusError {
  status_code: number;
  body: string;
}
const reject = (status_code: number, body: string): TusError => ({ status_code, body: `${body}\n` });
const isTusError = (err: unknown): err is TusError =>
  typeof (err as TusError | undefined)?.status_code === 'number' &&
  typeof (err as TusError).body === 'string';

export interface TusServerDeps {
  store: UploadStore;
  catalog: Catalog;
  finisher: UploadFinisher;
  logger: Logger;
  maxUploadBytes: number;
  owners: RequestOwners;
  /** How long a lock waits for the request holding it to let go (it is asked to) before 423. */
  lockTimeoutMs?: number;
}

const ownerOf = (owners: RequestOwners, req: unknown): string => {
  const raw = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  return (raw && owners.get(raw)) ?? DEFAULT_OWNER;
};

export function createTusServer(deps: TusServerDeps): Server {
  const { store, catalog, finisher, logger } = deps;
  const uploadIdOfUrl = (lastPath: string | undefined): string | undefined =>
    lastPath !== undefined && isVideoId(lastPath) ? store.uploadIdOf(lastPath) : undefined;

  return new Server({
    path: UPLOADS_PATH,
    datastore: store.datastore,
    maxSize: deps.maxUploadBytes,
    exposedHeaders: [VIDEO_ID_HEADER, DEDUPLICATED_FROM_HEADER],
    /*
     * One process: a PATCH for an upload another request holds asks that request to stop (it ends
     * at the bytes it has stored), then finds the offset moved and gets 409 — two PATCHes at one
     * offset never both land. Several processes need a shared locker here (README).
     */
    locker: new MemoryLocker({ acquireLockTimeout: deps.lockTimeoutMs ?? 30_000 }),
    // Relative: behind a gateway the host the client used is not ours to guess.
    generateUrl: (_req, { path, id }) => `${path}/${videoIdOfUpload(id)}`,
    getFileIdFromRequest: (_req, lastPath) => uploadIdOfUrl(lastPath),
    namingFunction: (_req, metadata) => {
      const requested = metadata?.videoId ?? undefined;
      if (requested !== undefined && !isVideoId(requested))
        throw reject(400, 'Upload-Metadata videoId is not a video id');
      return store.uploadIdOf(requested ?? newVideoId());
    },

    async onUploadCreate(req, upload) {
      const metadata = readUploadMetadata(upload.metadata);
      if (!metadata.ok) throw reject(400, metadata.reason);
      const videoId = videoIdOfUpload(upload.id);
      if (metadata.value.videoId !== undefined) {
        const video = await getVideo(catalog, videoId);
        if (video === undefined) throw reject(404, `no video ${videoId}; create it with POST /api/v1/videos`);
        if (video.status !== 'waiting_upload') throw reject(409, `video ${videoId} already has its source`);
        const started = await store.datastore.getUpload(upload.id).then(
          () => true,
          () => false,
        );
        if (started) throw reject(409, `an upload for video ${videoId} is already in progress`);
      }
      const { title, filename, sha256, filetype } = metadata.value;
      // Only what we validated is kept; `owner` comes from the credentials, never from the client.
      const kept = { title, filename, sha256, filetype };
      return {
        metadata: {
          videoId,
          owner: ownerOf(deps.owners, req),
          ...Object.fromEntries(Object.entries(kept).filter(([, v]) => v !== undefined)),
        },
      };
    },

    async onUploadFinish(_req, upload) {
      const finished = await finisher.finish(upload);
      return { headers: finishedHeaders(finished) };
    },

    onResponseError(_req, err) {
      if (isTusError(err) && err.status_code < 500) return undefined;
      if (err instanceof SourceIntegrityError)
        return { status_code: CHECKSUM_MISMATCH, body: `${err.message}\n` };
      // Never the internals of a 5xx in the body: the log has them.
      logger.error({ err }, 'upload request failed');
      return { status_code: 500, body: 'internal error; see the server log\n' };
    },
  });
}

function videoIdOfUpload(uploadId: string): string {
  return uploadId.slice(uploadId.lastIndexOf('/') + 1);
}

/** The headers of the response that completed an upload. */
export function finishedHeaders(finished: {
  videoId: string;
  deduplicatedFrom?: string;
}): Record<string, string> {
  return {
    [VIDEO_ID_HEADER]: finished.videoId,
    ...(finished.deduplicatedFrom === undefined
      ? {}
      : { [DEDUPLICATED_FROM_HEADER]: finished.deduplicatedFrom }),
  };
}
