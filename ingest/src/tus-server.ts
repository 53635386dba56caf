/**
 * The tus 1.0 server (@tus/server) behind `/uploads/`. Upload URLs are `/uploads/<videoId>`: the
 * video id is fixed when the upload is created (fresh, or the `videoId` of a video created through
 * the API), so the id in the URL, the catalog row and the source key always agree.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { getVideo, newVideoId } from '@streamloop/catalog/video-repository';
import type { Logger } from '@streamloop/core/logger';
import { Server } from '@tus/server';
import type { UploadFinisher } from './upload-finisher.js';
import { isVideoId, readUploadMetadata } from './upload-metadata.js';
import type { UploadStore } from './upload-store.js';

export const UPLOADS_PATH = '/uploads';
export const VIDEO_ID_HEADER = 'X-Video-Id';

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
}

export function createTusServer(deps: TusServerDeps): Server {
  const { store, catalog, finisher, logger } = deps;
  const uploadIdOfUrl = (lastPath: string | undefined): string | undefined =>
    lastPath !== undefined && isVideoId(lastPath) ? store.uploadIdOf(lastPath) : undefined;

  return new Server({
    path: UPLOADS_PATH,
    datastore: store.datastore,
    maxSize: deps.maxUploadBytes,
    exposedHeaders: [VIDEO_ID_HEADER],
    // Relative: behind a gateway the host the client used is not ours to guess.
    generateUrl: (_req, { path, id }) => `${path}/${videoIdOfUpload(id)}`,
    getFileIdFromRequest: (_req, lastPath) => uploadIdOfUrl(lastPath),
    namingFunction: (_req, metadata) => {
      const requested = metadata?.videoId ?? undefined;
      if (requested !== undefined && !isVideoId(requested))
        throw reject(400, 'Upload-Metadata videoId is not a video id');
      return store.uploadIdOf(requested ?? newVideoId());
    },

    async onUploadCreate(_req, upload) {
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
      const { title, filename } = metadata.value;
      return {
        metadata: {
          videoId,
          ...(title === undefined ? {} : { title }),
          ...(filename === undefined ? {} : { filename }),
        },
      };
    },

    async onUploadFinish(_req, upload) {
      const videoId = await finisher.finish(upload);
      return { headers: { [VIDEO_ID_HEADER]: videoId } };
    },

    onResponseError(_req, err) {
      if (isTusError(err) && err.status_code < 500) return undefined;
      // Never the internals of a 5xx in the body: the log has them.
      logger.error({ err }, 'upload request failed');
      return { status_code: 500, body: 'internal error; see the server log\n' };
    },
  });
}

function videoIdOfUpload(uploadId: string): string {
  return uploadId.slice(uploadId.lastIndexOf('/') + 1);
}
