/**
 * Gives every child URI of an HLS playlist the viewer's token, so a stock player that only knows the
 * master playlist URL can fetch variant playlists, segments, keys, init sections and I-frame
 * playlists without any help. Child URIs are the non-comment lines and the `URI="..."` attributes of
 * tags (EXT-X-KEY, EXT-X-MAP, EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF, EXT-X-SESSION-KEY, EXT-X-PART, ...).
 *
 * Only URIs that resolve to this video's own folder get the token: relative ones and
 * `/media/<videoId>/...`. A URI on another host, `data:` or `skd:` keeps its form, so the token never
 * leaks to a third party.
 */
import { mediaUrlPath } from '@streamloop/core/object-layout';

const URI_ATTRIBUTE = /(\bURI=")([^"]*)(")/g;
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

export function rewriteHlsPlaylist(text: string, videoId: string, token: string): string {
  const withToken = (uri: string): string => (isOwnChild(uri, videoId) ? appendToken(uri, token) : uri);
  return text
    .split('\n')
    .map((line) => {
      const cr = line.endsWith('\r') ? '\r' : '';
      const body = cr ? line.slice(0, -1) : line;
      const trimmed = body.trim();
      if (trimmed === '') return line;
      if (trimmed.startsWith('#')) {
        if (!trimmed.startsWith('#EXT')) return line; // a comment, not a tag
        return (
          body.replace(
            URI_ATTRIBUTE,
            (_m, open: string, uri: string, close: string) => open + withToken(uri) + close,
          ) + cr
        );
      }
      return withToken(trimmed) + cr;
    })
    .join('\n');
}

export function isOwnChild(uri: string, videoId: string): boolean {
  if (uri === '' || HAS_SCHEME.test(uri) || uri.startsWith('//')) return false;
  if (uri.startsWith('/')) return uri.startsWith(mediaUrlPath(videoId, ''));
  return true;
}

/** Adds `token=` to the query (replacing one already there), before any fragment. */
export function appendToken(uri: string, token: string): string {
  const hash = uri.indexOf('#');
  const fragment = hash === -1 ? '' : uri.slice(hash);
  const beforeFragment = hash === -1 ? uri : uri.slice(0, hash);
  const question = beforeFragment.indexOf('?');
  const path = question === -1 ? beforeFragment : beforeFragment.slice(0, question);
  const query = question === -1 ? '' : beforeFragment.slice(question + 1);
  const kept = query.split('&').filter((pair) => pair !== '' && !/^token(=|$)/.test(pair));
  kept.push(`token=${encodeURIComponent(token)}`);
  return `${path}?${kept.join('&')}${fragment}`;
}
