/**
 * The ladder a video was published with, as the playback model reads it (`ladderFromHls`): the
 * master and media playlists through the public playback API and the origin, and every named file's
 * size from a HEAD — what VHS itself would fetch, so the model sees the real segment sizes.
 */
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { ladderFromHls } from '@streamloop/playback-model/hls-ladder';
import type { Ladder } from '@streamloop/playback-model/ladder';

async function text(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
}

/** Playlist URIs the master names (variants and audio), resolved like hls-ladder resolves them. */
function playlistUris(masterText: string): string[] {
  const uris: string[] = [];
  const lines = masterText.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.startsWith('#EXT-X-STREAM-INF:')) uris.push(lines[i + 1]?.trim() ?? '');
    const media = /^#EXT-X-MEDIA:.*TYPE=AUDIO.*URI="([^"]+)"/.exec(line);
    if (media?.[1]) uris.push(media[1]);
  });
  return uris;
}

/** Files a media playlist names (MAP and segments). */
function fileUris(playlistText: string): string[] {
  return playlistText
    .split(/\r?\n/)
    .map((line) => line.trim())
    .flatMap((line) => {
      const map = /^#EXT-X-MAP:.*URI="([^"]+)"/.exec(line);
      if (map?.[1]) return [map[1]];
      return line !== '' && !line.startsWith('#') ? [line] : [];
    });
}

export async function publishedLadder(base: string, videoId: string): Promise<Ladder> {
  const playback = (await (
    await fetch(`${base}/api/v1/videos/${videoId}/playback`)
  ).json()) as PlaybackResponse;
  const masterUrl = new URL(playback.manifestUrl, base);
  // Keys are origin-relative paths with their query (the signed token), as the playlists name them.
  const keyOf = (url: URL): string => url.pathname + url.search;
  const masterText = await text(masterUrl.href);
  const mediaPlaylists: Record<string, string> = {};
  const sizes = new Map<string, number>();
  for (const uri of playlistUris(masterText)) {
    const playlistUrl = new URL(uri, masterUrl);
    const playlistText = await text(playlistUrl.href);
    mediaPlaylists[keyOf(playlistUrl)] = playlistText;
    await Promise.all(
      fileUris(playlistText).map(async (file) => {
        const fileUrl = new URL(file, playlistUrl);
        const head = await fetch(fileUrl, { method: 'HEAD' });
        const length = Number(head.headers.get('content-length'));
        if (!head.ok || !(length > 0)) throw new Error(`HEAD ${fileUrl.pathname}: ${head.status}, length ${length}`);
        sizes.set(keyOf(fileUrl), length);
      }),
    );
  }
  return ladderFromHls({
    masterPath: keyOf(masterUrl),
    masterText,
    mediaPlaylists,
    bytesOf: (path) => sizes.get(path),
  });
}
