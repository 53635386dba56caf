/**
 * What the origin serves, by file extension: its Content-Type and how long caches may keep it.
 * Anything not listed is not served, so a stray upload or scratch file under media/ stays private.
 * Playlists (HLS .m3u8, DASH .mpd, storyboard .vtt) name other files and are rewritten to carry
 * the viewer's token (manifest-rewrite.ts); segments and images are served as stored.
 */
export type MediaKind = 'playlist' | 'segment';

export interface MediaType {
  contentType: string;
  kind: MediaKind;
}

/** Segment, init and image names change whenever their bytes do (the transcoder writes new names). */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Short, so a re-transcoded ladder reaches players quickly; the issue caps it at 60 s. */
export const PLAYLIST_CACHE_CONTROL = 'public, max-age=10';

const TYPES: Readonly<Record<string, MediaType>> = {
  m3u8: { contentType: 'application/vnd.apple.mpegurl', kind: 'playlist' },
  mpd: { contentType: 'application/dash+xml', kind: 'playlist' },
  vtt: { contentType: 'text/vtt', kind: 'segment' },
  ts: { contentType: 'video/mp2t', kind: 'segment' },
  m4s: { contentType: 'video/iso.segment', kind: 'segment' },
  mp4: { contentType: 'video/mp4', kind: 'segment' },
  m4a: { contentType: 'audio/mp4', kind: 'segment' },
  aac: { contentType: 'audio/aac', kind: 'segment' },
  jpg: { contentType: 'image/jpeg', kind: 'segment' },
  jpeg: { contentType: 'image/jpeg', kind: 'segment' },
  png: { contentType: 'image/png', kind: 'segment' },
  webp: { contentType: 'image/webp', kind: 'segment' },
};

/**
 * The transcoder's seek-preview track: its cues name sprite sheets (`storyboard_000.jpg#xywh=…`),
 * which need the token, so it is a playlist. Subtitle segments (.vtt too) name nothing.
 */
export const STORYBOARD_VTT = 'storyboard.vtt';
const STORYBOARD: MediaType = { contentType: 'text/vtt', kind: 'playlist' };

export function mediaTypeOf(path: string): MediaType | undefined {
  const dot = path.lastIndexOf('.');
  if (dot === -1 || dot < path.lastIndexOf('/')) return undefined;
  if (path === STORYBOARD_VTT) return STORYBOARD;
  return TYPES[path.slice(dot + 1).toLowerCase()];
}

export function cacheControlOf(type: MediaType): string {
  return type.kind === 'playlist' ? PLAYLIST_CACHE_CONTROL : IMMUTABLE_CACHE_CONTROL;
}
