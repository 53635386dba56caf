/**
 * Where a video's renditions live in the object store, and how each file is typed and cached:
 *
 *   media/<videoId>/master.m3u8          master playlist (written last)
 *   media/<videoId>/<name>/index.m3u8    one media playlist per rendition, e.g. 360p/index.m3u8
 *   media/<videoId>/<name>/seg_000.ts    MPEG-TS segments of ~6 s
 *   media/<videoId>/poster.jpg           poster frame
 */
export const MASTER_PLAYLIST = 'master.m3u8';
export const POSTER = 'poster.jpg';

export function mediaPrefix(videoId: string): string {
  return `media/${videoId}/`;
}

export function mediaKey(videoId: string, relativePath: string): string {
  return mediaPrefix(videoId) + relativePath;
}

export interface MediaFileType {
  contentType: string;
  cacheControl: string;
  /** Upload order: segments and images first, media playlists next, the master last. */
  phase: 0 | 1 | 2;
}

const PLAYLIST_CACHE = 'public, max-age=60';
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function mediaFileType(relativePath: string): MediaFileType {
  const extension = relativePath.slice(relativePath.lastIndexOf('.') + 1).toLowerCase();
  if (extension === 'm3u8') {
    return {
      contentType: 'application/vnd.apple.mpegurl',
      cacheControl: PLAYLIST_CACHE,
      phase: relativePath === MASTER_PLAYLIST ? 2 : 1,
    };
  }
  const types: Record<string, string> = {
    ts: 'video/mp2t',
    m4s: 'video/iso.segment',
    mp4: 'video/mp4',
    jpg: 'image/jpeg',
    vtt: 'text/vtt',
  };
  return { contentType: types[extension] ?? 'application/octet-stream', cacheControl: IMMUTABLE, phase: 0 };
}
