/**
 * CMCD (CTA-5004, version 1) for one VHS request: what the player knows about the object it asks
 * for, as a `CMCD=` query parameter (default: no CORS preflight, survives any proxy) or as `CMCD-*`
 * headers. `sid` is the beacon session id and `cid` the video id, so the origin's server-side beacons
 * join the SDK's.
 *
 * Object facts come from VHS' parsed manifest (`vhs.playlists.main`): `br` is the playlist's
 * BANDWIDTH (the peak, as CTA-5004 asks, and what the quality levels report as the rung's bitrate),
 * `d` the segment's duration, `tb` the top BANDWIDTH. `rtp` asks for 5× the object's bitrate, the
 * default safety factor of dash.js.
 *
 * The encoding is written out for the fourteen keys sent here, not @svta/cml-cmcd's general encoder:
 * every startup request passes through this hook before it leaves, and the general encoder (every CMCD
 * version and mode, structured-field objects) was the SDK's largest cost between play() and the
 * first frame in bench:sdk's CPU profiles. The tests decode what this writes with @svta/cml-cmcd.
 */
import type { VhsLike, VhsPlaylistLike, VhsRequestOptions } from './player-like.js';

export type CmcdMode = 'query' | 'header';

/** What the player knows right now, read once per request. */
export interface CmcdState {
  sessionId: string;
  contentId: string;
  /** Startup, seek or recovery from a stall: the object is needed urgently (`su`). */
  urgent(): boolean;
  /** The buffer ran empty since the previous media request (`bs`); reading it clears it. */
  takeStarved(): boolean;
  bufferMs(): number;
  /** 1 at normal speed, 0 when not playing. */
  playbackRate(): number;
  /** 'h' HLS, 'd' DASH. */
  format(): string;
  live(): boolean;
}

/** The CMCD version 1 keys this SDK sends (CTA-5004 §3.3). */
export interface CmcdData {
  /** Buffer length, ms (sent rounded to 100 ms). */
  bl?: number;
  /** Encoded bitrate, kbps. */
  br?: number;
  /** Buffer starvation since the previous media request. */
  bs?: boolean;
  cid?: string;
  /** Object duration, ms. */
  d?: number;
  /** Measured throughput, kbps (sent rounded to 100 kbps). */
  mtp?: number;
  ot?: string;
  /** Playback rate; 1 is the default and not sent. */
  pr?: number;
  /** Requested maximum throughput, kbps (sent rounded to 100 kbps). */
  rtp?: number;
  sf?: string;
  sid?: string;
  st?: string;
  su?: boolean;
  /** Top bitrate, kbps. */
  tb?: number;
}

type CmcdKey = keyof CmcdData;
type CmcdShard = 'CMCD-Object' | 'CMCD-Request' | 'CMCD-Status' | 'CMCD-Session';

/** Each key: its value's type in the structured-field dictionary, and its header (CTA-5004 §3.2). */
const KEYS: readonly [
  CmcdKey,
  'integer' | 'hundred' | 'decimal' | 'string' | 'token' | 'boolean',
  CmcdShard,
][] =
  // Alphabetical: the order CTA-5004 asks for (less to fingerprint).
  [
    ['bl', 'hundred', 'CMCD-Request'],
    ['br', 'integer', 'CMCD-Object'],
    ['bs', 'boolean', 'CMCD-Status'],
    ['cid', 'string', 'CMCD-Session'],
    ['d', 'integer', 'CMCD-Object'],
    ['mtp', 'hundred', 'CMCD-Request'],
    ['ot', 'token', 'CMCD-Object'],
    // CMCD-Status, as @svta/cml-cmcd (CTA-5004-B) puts it; a decoder reads every shard alike.
    ['pr', 'decimal', 'CMCD-Status'],
    ['rtp', 'hundred', 'CMCD-Status'],
    ['sf', 'token', 'CMCD-Session'],
    ['sid', 'string', 'CMCD-Session'],
    ['st', 'token', 'CMCD-Session'],
    ['su', 'boolean', 'CMCD-Request'],
    ['tb', 'integer', 'CMCD-Object'],
  ];

/** One `key=value` member of the dictionary (RFC 8941 §4.1.2), or undefined when the key is not sent. */
function member(key: CmcdKey, kind: (typeof KEYS)[number][1], value: unknown): string | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (kind === 'boolean') return value === true ? key : undefined;
  if (kind === 'string' || kind === 'token') {
    if (typeof value !== 'string' || value === '') return undefined;
    return kind === 'token' ? `${key}=${value}` : `${key}="${value.replace(/[\\"]/g, '\\$&')}"`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (kind === 'decimal') {
    if (key === 'pr' && value === 1) return undefined;
    return `${key}=${Math.round(value * 1000) / 1000}`;
  }
  return `${key}=${kind === 'hundred' ? Math.round(value / 100) * 100 : Math.round(value)}`;
}

/** The CMCD dictionary of `data`, keys in order; with `shard`, only that header's keys. */
export function encodeCmcd(data: CmcdData, shard?: CmcdShard): string {
  const members: string[] = [];
  for (const [key, kind, header] of KEYS) {
    if (shard !== undefined && header !== shard) continue;
    const encoded = member(key, kind, data[key]);
    if (encoded !== undefined) members.push(encoded);
  }
  return members.join(',');
}

const SHARDS: readonly CmcdShard[] = ['CMCD-Object', 'CMCD-Request', 'CMCD-Session', 'CMCD-Status'];
const QUERY = /CMCD=[^&#]*/;

interface ObjectInfo {
  ot: string;
  br?: number;
  d?: number;
}

const RTP_SAFETY_FACTOR = 5;
const MANIFEST_TYPES = ['hls-playlist', 'dash-manifest'];

/**
 * `av` when the rendition's segments carry audio and video, `v`/`a` for one of them, `av` when unknown.
 * A variant with an AUDIO group names the group's codec in CODECS, but its own segments are video only.
 */
function mediaObjectType(playlist: VhsPlaylistLike): string {
  const codecs = playlist.attributes?.CODECS ?? '';
  const video = /avc|hvc|hev|av01|vp0?9|dvh/.test(codecs);
  const audio = /mp4a|ac-3|ec-3|opus|flac/.test(codecs) && playlist.attributes?.AUDIO === undefined;
  return video === audio ? 'av' : video ? 'v' : 'a';
}

/** Every playlist whose segments a request may name: the variants, then the demuxed audio renditions. */
function mediaPlaylists(vhs: VhsLike | undefined): { playlist: VhsPlaylistLike; ot?: string }[] {
  const main = vhs?.playlists?.main;
  const audio = Object.values(main?.mediaGroups?.AUDIO ?? {}).flatMap((group) =>
    Object.values(group).flatMap((rendition) => rendition.playlists ?? []),
  );
  return [
    ...(main?.playlists ?? []).map((playlist) => ({ playlist })),
    ...audio.map((playlist) => ({ playlist, ot: 'a' })),
  ];
}

export function createCmcdObjects() {
  let indexed = new WeakSet<VhsPlaylistLike>();
  const byUri = new Map<string, ObjectInfo>();

  const index = (vhs: VhsLike | undefined): void => {
    const playlists = mediaPlaylists(vhs).filter(({ playlist }) => playlist.segments?.length);
    if (playlists.every(({ playlist }) => indexed.has(playlist))) return;
    // A live playlist comes back from every refresh as a new object naming new segments: the map is
    // rebuilt from the playlists VHS holds now, so it never keeps a segment that has left them.
    byUri.clear();
    indexed = new WeakSet();
    for (const { playlist, ot: knownType } of playlists) {
      indexed.add(playlist);
      const bandwidth = playlist.attributes?.BANDWIDTH;
      const br = bandwidth === undefined ? undefined : Math.round(bandwidth / 1000);
      const ot = knownType ?? mediaObjectType(playlist);
      for (const segment of playlist.segments ?? []) {
        if (segment.resolvedUri)
          byUri.set(segment.resolvedUri, {
            ot,
            br,
            d: segment.duration === undefined ? undefined : Math.round(segment.duration * 1000),
          });
        if (segment.map?.resolvedUri) byUri.set(segment.map.resolvedUri, { ot: 'i', br });
      }
    }
  };

  return {
    /** Object type, bitrate and duration of what a request asks for. */
    lookup(requestType: string | undefined, uri: string, vhs: VhsLike | undefined): ObjectInfo {
      if (requestType !== undefined && MANIFEST_TYPES.includes(requestType)) return { ot: 'm' };
      if (requestType === 'segment-key') return { ot: 'k' };
      if (requestType !== 'segment' && requestType !== 'segment-media-initialization') return { ot: 'o' };
      if (!byUri.has(uri)) index(vhs);
      return byUri.get(uri) ?? { ot: requestType === 'segment' ? 'av' : 'i' };
    },
    /** Segments known now (bounded by the playlists VHS holds). */
    size: () => byUri.size,
    topBitrateKbps(vhs: VhsLike | undefined): number | undefined {
      let top: number | undefined;
      for (const playlist of vhs?.playlists?.main?.playlists ?? []) {
        const bandwidth = playlist.attributes?.BANDWIDTH;
        if (bandwidth !== undefined) top = Math.max(top ?? 0, Math.round(bandwidth / 1000));
      }
      return top;
    },
  };
}

export type CmcdObjects = ReturnType<typeof createCmcdObjects>;

export function cmcdFor(
  options: VhsRequestOptions,
  vhs: VhsLike | undefined,
  objects: CmcdObjects,
  state: CmcdState,
): CmcdData {
  const object = objects.lookup(options.requestType, options.uri, vhs);
  const media = object.ot === 'av' || object.ot === 'v' || object.ot === 'a';
  const data: CmcdData = {
    sid: state.sessionId,
    cid: state.contentId,
    ot: object.ot,
    sf: state.format(),
    st: state.live() ? 'l' : 'v',
    pr: state.playbackRate(),
  };
  if (state.urgent()) data.su = true;
  if (object.br !== undefined) data.br = object.br;
  if (object.d !== undefined) data.d = object.d;
  if (vhs?.bandwidth !== undefined && Number.isFinite(vhs.bandwidth))
    data.mtp = Math.round(vhs.bandwidth / 1000);
  if (media) {
    data.bl = Math.round(state.bufferMs());
    const top = objects.topBitrateKbps(vhs);
    if (top !== undefined) data.tb = top;
    if (object.br !== undefined) data.rtp = object.br * RTP_SAFETY_FACTOR;
    if (state.takeStarved()) data.bs = true;
  }
  return data;
}

/** Puts the data on the request: the URI's query (replacing a `CMCD=` already there) or headers. */
export function applyCmcd(options: VhsRequestOptions, data: CmcdData, mode: CmcdMode): void {
  if (mode === 'header') {
    const headers = { ...options.headers };
    for (const shard of SHARDS) {
      const value = encodeCmcd(data, shard);
      if (value !== '') headers[shard] = value;
    }
    options.headers = headers;
    return;
  }
  const payload = encodeCmcd(data);
  if (payload === '') return;
  const query = `CMCD=${encodeURIComponent(payload)}`;
  options.uri = QUERY.test(options.uri)
    ? options.uri.replace(QUERY, query)
    : `${options.uri}${options.uri.includes('?') ? '&' : '?'}${query}`;
}
