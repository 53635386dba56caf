/**
 * What a published ladder costs to store, per rendition and for its audio: the bytes of every file in
 * the rendition's folder (segments, init section, playlists), measured on the finished output folder
 * (after encryption, which pads segments), before it is published.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';

async function folderBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    bytes += entry.isDirectory() ? await folderBytes(file) : (await stat(file)).size;
  }
  return bytes;
}

/** `record` with `storageBytes` on each rendition and the audio; `outputDir` stands for the video's folder. */
export async function withStorageBytes(outputDir: string, record: LadderRecord): Promise<LadderRecord> {
  const bytesOf = (playlist: string) => folderBytes(path.join(outputDir, path.dirname(playlist)));
  const renditions = await Promise.all(
    record.renditions.map(async (r) => ({ ...r, storageBytes: await bytesOf(r.playlist) })),
  );
  const audio = record.audio && { ...record.audio, storageBytes: await bytesOf(record.audio.playlist) };
  return { ...record, renditions, ...(audio === undefined ? {} : { audio }) };
}
