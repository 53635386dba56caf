/**
 * How each published file is typed and cached, and in which order it is uploaded. Where files live
 * is core's object-layout.ts; this is what the object store is told about each of them.
 */
import path from 'node:path';
import { DASH_MANIFEST, MASTER_PLAYLIST } from '@streamloop/core/object-layout';

export interface MediaFileType {
  contentType: string;
  cacheControl: string;
  /** Upload order: segments and images first, media playlists next, the master last. */
  phase: 0 | 1 | 2;
}

const PLAYLIST_CACHE = 'public, max-age=60';
const MANIFEST_TYPES: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  vtt: 'text/vtt',
};
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** `relativePath` below the video's folder, e.g. `default/360p/index.m3u8`. */
export function mediaFileType(relativePath: string): MediaFileType {
  const extension = relativePath.slice(relativePath.lastIndexOf('.') + 1).toLowerCase();
  if (extension === 'm3u8' || extension === 'mpd' || extension === 'vtt') {
    const name = path.posix.basename(relativePath);
    return {
      contentType: MANIFEST_TYPES[extension]!,
      cacheControl: PLAYLIST_CACHE,
      phase: name === MASTER_PLAYLIST || name === DASH_MANIFEST ? 2 : 1,
    };
  }
  const types: Record<string, string> = {
    ts: 'video/mp2t',
    m4s: 'video/iso.segment',
    mp4: 'video/mp4',
    jpg: 'image/jpeg',
  };
  return { contentType: types[extension] ?? 'application/octet-stream', cacheControl: IMMUTABLE, phase: 0 };
}
