/**
 * Where an attempt works before it publishes, and the clean-up of attempts that never finished.
 *
 * An attempt encodes into `<workDir>/<videoId>/<attemptId>/` on local disk; nothing reaches the
 * public `media/<videoId>/` prefix until the whole ladder is there. A worker killed with -9 leaves
 * its folder behind: the next attempt for the same video (jobs are keyed by video id, so it lands on
 * the partition's one owner) removes every older attempt folder of that video first. A worker killed
 * while publishing leaves part of a ladder under `media/<videoId>/<ladderId>/` with the video still
 * `processing` (so delivery serves none of it): the next attempt empties that ladder's prefix before
 * it publishes, so the published playlists only ever name objects of the attempt that published
 * them. Other ladders of the video (experiments) are left alone; deleting the video removes them all.
 */
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { ladderPrefix } from '@streamloop/core/object-layout';
import type { ObjectStore } from '@streamloop/object-store/object-store';

export interface AttemptFolder {
  dir: string;
  /** Folders of older attempts of the same video that were removed (killed attempts). */
  staleAttempts: string[];
  /** Removes this attempt's folder, and the video's folder once empty. */
  remove(): Promise<void>;
}

export async function openAttemptFolder(
  workDir: string,
  videoId: string,
  attemptId: string,
): Promise<AttemptFolder> {
  const videoDir = path.join(workDir, videoId);
  const staleAttempts = await readdir(videoDir).catch(() => [] as string[]);
  for (const stale of staleAttempts) await rm(path.join(videoDir, stale), { recursive: true, force: true });
  const dir = path.join(videoDir, attemptId);
  await mkdir(dir, { recursive: true });
  return {
    dir,
    staleAttempts,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      // Another attempt of the same video may have started meanwhile; then its folder stays.
      await rmdir(videoDir).catch(() => undefined);
    },
  };
}

/** Objects a killed attempt published with this ladder before it could flip the status; returns how many. */
export function clearUnpublishedMedia(
  objectStore: ObjectStore,
  videoId: string,
  ladderId: string,
): Promise<number> {
  return objectStore.deletePrefix(ladderPrefix(videoId, ladderId));
}
