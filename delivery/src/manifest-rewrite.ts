/**
 * Token propagation for every manifest the origin serves, chosen by extension: HLS playlists
 * (playlist-rewrite.ts), DASH MPDs and storyboard WebVTT. A player handed only the manifest URL
 * fetches every child with the same token; URIs outside the video's folder are never touched.
 */
import { appendToken, isOwnChild, rewriteHlsPlaylist } from './playlist-rewrite.js';

export function rewriteManifest(path: string, text: string, videoId: string, token: string): string {
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  if (extension === 'mpd') return rewriteDashManifest(text, videoId, token);
  if (extension === 'vtt') return rewriteStoryboardVtt(text, videoId, token);
  return rewriteHlsPlaylist(text, videoId, token);
}

/** MPD attributes and elements that hold a URL (ISO/IEC 23009-1 5.3.9, 5.6). */
const URL_ATTRIBUTE = /(\s(?:initialization|media|index|sourceURL)=")([^"]*)(")/g;
const BASE_URL = /(<BaseURL(?:\s[^>]*)?>)([^<]*)(<\/BaseURL>)/g;

const xmlUnescape = (s: string): string =>
  s
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
const xmlEscape = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/**
 * A SegmentTemplate's `media="720p/seg_$Number%03d$.m4s"` becomes `…m4s?token=…`: DASH clients
 * substitute the identifiers and keep the query (23009-1 5.3.9.4.4).
 */
export function rewriteDashManifest(text: string, videoId: string, token: string): string {
  const withToken = (open: string, raw: string, close: string): string => {
    const uri = xmlUnescape(raw);
    return isOwnChild(uri, videoId) ? open + xmlEscape(appendToken(uri, token)) + close : open + raw + close;
  };
  return text
    .replace(URL_ATTRIBUTE, (_m, open: string, uri: string, close: string) => withToken(open, uri, close))
    .replace(BASE_URL, (_m, open: string, uri: string, close: string) => withToken(open, uri, close));
}

/** Cue payloads that are one URL (`storyboard_000.jpg#xywh=0,0,160,90`) get the token before the fragment. */
export function rewriteStoryboardVtt(text: string, videoId: string, token: string): string {
  const blocks = text.split(/(\r?\n\r?\n)/);
  return blocks
    .map((block) => {
      const lines = block.split(/(\r?\n)/);
      const timing = lines.findIndex((line) => line.includes('-->'));
      if (timing === -1) return block;
      return lines
        .map((line, i) => {
          const uri = line.trim();
          if (i <= timing || uri === '' || /\s/.test(uri) || !isOwnChild(uri, videoId)) return line;
          return appendToken(uri, token);
        })
        .join('');
    })
    .join('');
}
