/**
 * What one playback token opens of a video: one ladder's folder (`default/`), and — for a derived
 * ladder — only some of its renditions. The origin refuses any other path with that token, and
 * serves the ladder's master playlist and DASH manifest with the other renditions left out, so the
 * player never sees them. The folder's shared files (audio, thumbnails, poster, storyboard,
 * manifests) and the video's own routes (its key, a still at a time) stay open.
 */
import {
  AES_KEY_FILE,
  AUDIO_FOLDER,
  THUMBNAIL_FOLDER,
  THUMBNAIL_STILL_FILE,
} from '@streamloop/core/object-layout';

export interface LadderScope {
  /** The ladder's folder below the video (`default`, `mobile-first`). */
  folder: string;
  /** Rendition folders the token opens (a derived ladder); absent: all of the folder's. */
  renditions?: readonly string[];
}

const SHARED_FOLDERS = new Set([AUDIO_FOLDER, THUMBNAIL_FOLDER]);

/** Whether `path` (below the video's folder: `default/360p/seg_001.m4s`) is inside `scope`. */
export function scopeAllows(scope: LadderScope, path: string): boolean {
  const segments = path.split('/');
  // The video's own routes (its key, a still at a time) serve every ladder of it.
  if (segments.length === 1) return segments[0] === AES_KEY_FILE || segments[0] === THUMBNAIL_STILL_FILE;
  if (segments[0] !== scope.folder) return false;
  if (segments.length === 2 || scope.renditions === undefined) return true;
  const folder = segments[1] as string;
  return SHARED_FOLDERS.has(folder) || scope.renditions.includes(folder);
}

/** The rendition folder an HLS or DASH URI names (`360p/index.m3u8` → `360p`). */
const renditionOf = (uri: string): string => uri.split('?')[0]?.split('/')[0] ?? '';

/**
 * An HLS master playlist with only the variants (and I-frame variants) of `renditions`; the audio
 * rendition and every other tag are kept as they are.
 */
export function filterHlsMaster(text: string, renditions: readonly string[]): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      // The variant's URI is the next line that is not blank or a comment.
      let next = i + 1;
      while (
        next < lines.length &&
        ((lines[next] as string).trim() === '' || (lines[next] as string).startsWith('#'))
      )
        next++;
      const uri = (lines[next] ?? '').trim();
      if (renditions.includes(renditionOf(uri))) kept.push(...lines.slice(i, next + 1));
      i = next;
      continue;
    }
    if (line.startsWith('#EXT-X-I-FRAME-STREAM-INF:')) {
      const uri = /URI="([^"]*)"/.exec(line)?.[1] ?? '';
      if (renditions.includes(renditionOf(uri))) kept.push(line);
      continue;
    }
    kept.push(line);
  }
  return kept.join('\n');
}

const REPRESENTATION = /[ \t]*<Representation\s[^>]*\bid="([^"]*)"[^>]*>[\s\S]*?<\/Representation>\r?\n?/g;
const EMPTY_VIDEO_SET = /[ \t]*<AdaptationSet\s[^>]*contentType="video"[^>]*>\s*<\/AdaptationSet>\r?\n?/g;

/**
 * A DASH MPD with only the video Representations of `renditions` (by id, which names the rendition
 * folder) and no video AdaptationSet left empty; audio is kept.
 */
export function filterDashManifest(text: string, renditions: readonly string[]): string {
  return text
    .replace(REPRESENTATION, (block, id: string) =>
      id === AUDIO_FOLDER || renditions.includes(id) ? block : '',
    )
    .replace(EMPTY_VIDEO_SET, '');
}
