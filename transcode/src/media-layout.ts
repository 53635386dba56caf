/**
 * Where a video's renditions live in the object store, and how each file is typed and cached:
 *
 *   media/<videoId>/master.m3u8            HLS master playlist (written last, with the MPD)
 *   media/<videoId>/manifest.mpd           DASH MPD over the same segments
 *   media/<videoId>/<name>/init.mp4        CMAF init segment per rendition, e.g. 360p/init.mp4
 *   media/<videoId>/<name>/seg_000.m4s     CMAF (fMP4) media segments of ~6 s, each opening with an IDR
 *   media/<videoId>/<name>/index.m3u8      HLS media playlist
 *   media/<videoId>/<name>/iframes.m3u8    HLS I-frame playlist (trick play)
 *   media/<videoId>/audio/...              the one AAC-LC rendition every video rung shares
 *   media/<videoId>/poster.jpg             poster frame
 *   media/<videoId>/storyboard.vtt         seek previews: WebVTT cues pointing into ...
 *   media/<videoId>/storyboard_000.jpg     ... sprite sheets of 10×10 tiles
 *   media/<videoId>/thumbs/t_00000.jpg     single thumbnails, one per keyframe interval (t_00001 = 2 s),
 *                                          for delivery's `thumbnail.jpg?time=`
 */
export const MASTER_PLAYLIST = 'master.m3u8';
export const DASH_MANIFEST = 'manifest.mpd';
export const POSTER = 'poster.jpg';
export const THUMBNAIL_FOLDER = 'thumbs';
/** ffmpeg's image2 pattern, relative to the video's folder; stored as is in the ladder record. */
export const THUMBNAIL_PATTERN = `${THUMBNAIL_FOLDER}/t_%05d.jpg`;
/** Thumbnail number `index` (at `index × intervalSec` seconds): `thumbs/t_00006.jpg`. */
export const thumbnailFile = (index: number): string =>
  `${THUMBNAIL_FOLDER}/t_${String(index).padStart(5, '0')}.jpg`;

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
const MANIFEST_TYPES: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  vtt: 'text/vtt',
};
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function mediaFileType(relativePath: string): MediaFileType {
  const extension = relativePath.slice(relativePath.lastIndexOf('.') + 1).toLowerCase();
  if (extension === 'm3u8' || extension === 'mpd' || extension === 'vtt') {
    return {
      contentType: MANIFEST_TYPES[extension]!,
      cacheControl: PLAYLIST_CACHE,
      phase: relativePath === MASTER_PLAYLIST || relativePath === DASH_MANIFEST ? 2 : 1,
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
