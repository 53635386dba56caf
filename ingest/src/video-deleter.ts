/**
 * Deleting a video removes everything it left behind: the source (tus sidecars and transcode's
 * content probe included), the
 * renditions under media/<id>/, then the catalog row (with the video.deleted event in the same
 * statement). The row goes last so a failure half-way leaves a row to retry the DELETE on, never
 * objects nobody can find. Other services' data about the video (analytics' features) is theirs to
 * forget when the event reaches them.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { deleteVideo, type VideoRecord } from '@streamloop/catalog/video-repository';
import {
  contentProbeKey,
  mediaPrefix,
  sourceFolderPrefix,
  sourceKey,
  sourceUploadKeys,
} from '@streamloop/core/object-layout';
import type { ObjectStore } from '@streamloop/object-store/object-store';

export interface VideoDeleterDeps {
  catalog: Catalog;
  objectStore: ObjectStore;
}

export type VideoDeleter = (video: Pick<VideoRecord, 'id' | 'sourceKey'>) => Promise<void>;

export function createVideoDeleter(deps: VideoDeleterDeps): VideoDeleter {
  const { catalog, objectStore } = deps;
  return async (video) => {
    const sourceKeys = new Set([
      ...sourceUploadKeys(video.id),
      video.sourceKey ?? sourceKey(video.id),
      contentProbeKey(video.id),
    ]);
    for (const key of sourceKeys) await objectStore.delete(key);
    await objectStore.deletePrefix(sourceFolderPrefix(video.id));
    await objectStore.deletePrefix(mediaPrefix(video.id));
    await deleteVideo(catalog, video.id);
  };
}
