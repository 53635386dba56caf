/**
 * Every object key in the bucket, named once. Services build keys only through these functions, so a
 * second ladder per video or a new file kind changes this module and nothing else.
 *
 *   sources/<videoId>                      the upload as received (the tus id on S3)
 *   sources/<videoId>.info / .part         tus sidecars while and after it arrives (S3 only)
 *   sources/<videoId>.content-probe.json   transcode's probe encodes of it (per-title ladders)
 *   sources/<videoId>/…                    anything else kept about the source
 *   media/<videoId>/                       everything delivery may serve for the video
 *   media/<videoId>/<ladderId>/            one encode of the video with one ladder:
 *     master.m3u8                          HLS master playlist (written last, with the MPD)
 *     manifest.mpd                         DASH MPD over the same segments
 *     <rendition>/init.mp4, seg_000.m4s    CMAF per rendition (e.g. 360p/), index.m3u8, iframes.m3u8
 *     audio/…                              the one AAC-LC rendition every video rung shares
 *     poster.jpg                           poster frame
 *     storyboard.vtt, storyboard_000.jpg   seek previews (WebVTT over sprite sheets)
 *     thumbs/t_00000.jpg                   single thumbnails, one per keyframe interval
 *
 * The ladder record stores paths RELATIVE to the video's folder (`default/master.m3u8`): a record
 * made before ladder folders existed reads `manifest.mpd` (and its `master` the whole key
 * `media/<videoId>/master.m3u8`), and both resolve through `videoRelativePath`.
 *
 * URLs mirror keys: delivery serves the object `media/<videoId>/<path>` at `/media/<videoId>/<path>`.
 */

export const SOURCES_FOLDER = 'sources/';
export const MEDIA_FOLDER = 'media/';

/** The uploaded source of a video. */
export function sourceKey(videoId: string): string {
  return `${SOURCES_FOLDER}${videoId}`;
}

/**
 * Every exact key the upload of a video may have left (the source and its tus sidecars). Exact, not
 * a `sources/<id>` prefix: that prefix also matches longer ids that start alike.
 */
export function sourceUploadKeys(videoId: string): string[] {
  const source = sourceKey(videoId);
  return [source, `${source}.info`, `${source}.part`];
}

/** The folder below the source for anything else kept about it. */
export function sourceFolderPrefix(videoId: string): string {
  return `${sourceKey(videoId)}/`;
}

/**
 * Transcode's content probe of the source (schemas/ladder-plan `ContentProbe`): a sidecar beside the
 * source like tus's, not below `sources/<id>/` — on a filesystem-backed store (S3Proxy's) the source
 * object is a file, so nothing can sit below its name.
 */
export function contentProbeKey(videoId: string): string {
  return `${sourceKey(videoId)}.content-probe.json`;
}

/** Everything served for a video; deleting a video deletes this prefix. */
export function mediaPrefix(videoId: string): string {
  return `${MEDIA_FOLDER}${videoId}/`;
}

/** The object at `relativePath` (as a ladder record states it) below the video's folder. */
export function mediaKey(videoId: string, relativePath: string): string {
  return mediaPrefix(videoId) + relativePath;
}

/** One ladder's folder, relative to the video's folder: `default/`. */
export function ladderFolder(ladderId: string): string {
  return `${ladderId}/`;
}

/** One ladder's encode of a video: `media/<videoId>/<ladderId>/`. */
export function ladderPrefix(videoId: string, ladderId: string): string {
  return mediaPrefix(videoId) + ladderFolder(ladderId);
}

/** A record path as published: normalises the whole key older records stored for `master`. */
export function videoRelativePath(videoId: string, recordPath: string): string {
  const prefix = mediaPrefix(videoId);
  return recordPath.startsWith(prefix) ? recordPath.slice(prefix.length) : recordPath;
}

/** Delivery's URL prefix: the object `media/<videoId>/<path>` is served at `/media/<videoId>/<path>`. */
export const MEDIA_URL_PREFIX = `/${MEDIA_FOLDER}`;

/** The public path of a media object: `/media/<videoId>/<relativePath>` (id URL-encoded). */
export function mediaUrlPath(videoId: string, relativePath: string): string {
  return `/${mediaKey(encodeURIComponent(videoId), relativePath)}`;
}

// File names inside a ladder folder.
export const MASTER_PLAYLIST = 'master.m3u8';
export const DASH_MANIFEST = 'manifest.mpd';
export const POSTER = 'poster.jpg';
export const THUMBNAIL_FOLDER = 'thumbs';
/** The one audio rendition every video rendition of a ladder plays with. */
export const AUDIO_FOLDER = 'audio';
/** ffmpeg's image2 pattern, relative to the ladder folder. */
export const THUMBNAIL_PATTERN = `${THUMBNAIL_FOLDER}/t_%05d.jpg`;
/** Thumbnail number `index` (at `index × intervalSec` seconds): `thumbs/t_00006.jpg`. */
export const thumbnailFile = (index: number): string =>
  `${THUMBNAIL_FOLDER}/t_${String(index).padStart(5, '0')}.jpg`;

/** A printf-style record pattern (`default/thumbs/t_%05d.jpg`) with the thumbnail number filled in. */
export function fillThumbnailPattern(pattern: string, index: number): string {
  return pattern.replace(/%0(\d)d/, (_all, width: string) => String(index).padStart(Number(width), '0'));
}

/** Delivery's HLS AES-128 key route, per video (not per ladder): every ladder's playlists name it. */
export const AES_KEY_FILE = 'aes-128.key';
/** Delivery's still-at-a-time route, per video: `/media/<id>/thumbnail.jpg?time=12`. */
export const THUMBNAIL_STILL_FILE = 'thumbnail.jpg';
export function aesKeyUrlPath(videoId: string): string {
  return mediaUrlPath(videoId, AES_KEY_FILE);
}
