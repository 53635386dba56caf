/**
 * The parts of the published HLS playlists a live viewer needs to play: variant URIs with their
 * BANDWIDTH/RESOLUTION/CODECS/AUDIO, the audio rendition's URI, and per media playlist the segment
 * URIs, durations, init section (EXT-X-MAP) and target duration. URIs are resolved against the
 * playlist's own URL (the origin has already put the viewer's token on each). playback-model's
 * `ladderFromHls` reads the same tags for sizes; here the live viewer needs the URIs, which it drops.
 */
export class PlaylistError extends Error {
  readonly code = 'ERR_PLAYLIST_INVALID';
  constructor(url: string, reason: string) {
    super(`${new URL(url).pathname}: ${reason}`);
    this.name = 'PlaylistError';
  }
}

export interface MasterVariant {
  uri: string;
  bandwidth: number;
  width: number;
  height: number;
  codecs: string | undefined;
  audioGroup: string | undefined;
}

export interface MasterPlaylist {
  variants: MasterVariant[];
  audioUri: string | undefined;
}

export interface MediaPlaylist {
  targetDurationSec: number;
  initUri: string | undefined;
  segments: { uri: string; durationSec: number }[];
}

const attribute = (line: string, name: string): string | undefined => {
  const match = new RegExp(`(?:^|[:,])${name}=("([^"]*)"|[^,]*)`).exec(line);
  return match ? (match[2] ?? match[1]) : undefined;
};

const linesOf = (url: string, text: string): string[] => {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') throw new PlaylistError(url, 'not an M3U8 playlist (#EXTM3U)');
  return lines;
};

export function parseMasterPlaylist(url: string, text: string): MasterPlaylist {
  const lines = linesOf(url, text);
  const variants: MasterVariant[] = [];
  let audioUri: string | undefined;
  lines.forEach((line, i) => {
    if (line.startsWith('#EXT-X-MEDIA:') && attribute(line, 'TYPE') === 'AUDIO') {
      const uri = attribute(line, 'URI');
      if (uri !== undefined && audioUri === undefined) audioUri = new URL(uri, url).href;
    }
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return;
    const bandwidth = Number(attribute(line, 'BANDWIDTH'));
    const resolution = /^(\d+)x(\d+)$/.exec(attribute(line, 'RESOLUTION') ?? '');
    const uri = lines[i + 1];
    if (!(bandwidth > 0) || !resolution || !uri || uri.startsWith('#'))
      throw new PlaylistError(url, `line ${i + 1}: EXT-X-STREAM-INF needs BANDWIDTH, RESOLUTION and a URI`);
    variants.push({
      uri: new URL(uri, url).href,
      bandwidth,
      width: Number(resolution[1]),
      height: Number(resolution[2]),
      codecs: attribute(line, 'CODECS'),
      audioGroup: attribute(line, 'AUDIO'),
    });
  });
  if (variants.length === 0) throw new PlaylistError(url, 'has no EXT-X-STREAM-INF variants');
  return { variants, audioUri };
}

export function parseMediaPlaylist(url: string, text: string): MediaPlaylist {
  const lines = linesOf(url, text);
  let targetDurationSec = 0;
  let initUri: string | undefined;
  let duration: number | undefined;
  const segments: MediaPlaylist['segments'] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDurationSec = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-MAP:')) {
      const uri = attribute(line, 'URI');
      if (uri !== undefined) initUri = new URL(uri, url).href;
    } else if (line.startsWith('#EXTINF:')) {
      duration = Number.parseFloat(line.slice(8));
      if (!(duration > 0)) throw new PlaylistError(url, `line ${i + 1}: EXTINF without a positive duration`);
    } else if (line !== '' && !line.startsWith('#')) {
      if (duration === undefined) throw new PlaylistError(url, `line ${i + 1}: a URI without EXTINF`);
      segments.push({ uri: new URL(line, url).href, durationSec: duration });
      duration = undefined;
    }
  });
  if (segments.length === 0) throw new PlaylistError(url, 'has no segments');
  return { targetDurationSec, initUri, segments };
}
