/**
 * Uploads an encode's output folder as the video's folder (core's object-layout: the encode sits in
 * its ladder's subfolder, so it lands under `media/<videoId>/<ladderId>/`): segments and the poster
 * first, then the media playlists, the master playlist last, so a player that can read a playlist
 * finds everything it names.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { mediaKey } from '@streamloop/core/object-layout';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { mediaFileType } from './media-file-type.js';

const CONCURRENT_UPLOADS = 4;

export async function publishRenditions(
  objectStore: ObjectStore,
  videoId: string,
  outputDir: string,
): Promise<{ files: number; keys: string[] }> {
  const files = (await readdir(outputDir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) =>
      path.relative(outputDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
    );
  const keys: string[] = [];
  for (const phase of [0, 1, 2] as const) {
    const batch = files.filter((file) => mediaFileType(file).phase === phase);
    await inParallel(batch, CONCURRENT_UPLOADS, async (file) => {
      const { contentType, cacheControl } = mediaFileType(file);
      const key = mediaKey(videoId, file);
      await objectStore.put(key, createReadStream(path.join(outputDir, file)), { contentType, cacheControl });
      keys.push(key);
    });
  }
  return { files: files.length, keys };
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
