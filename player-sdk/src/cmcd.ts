/**
 * CMCD (CTA-5004, version 1) for one VHS request: what the player knows about the object it asks
 * for, encoded by @svta/cml-cmcd as a `CMCD=` query parameter (default: no CORS preflight, survives
 * any proxy) or as `CMCD-*` headers. `sid` is the beacon session id and `cid` the video id, so the
 * origin's server-side beacons join the SDK's.
 *
 * Object facts come from VHS' parsed manifest (`vhs.playlists.main`): `br` is the playlist's
 * BANDWIDTH (the peak, as CTA-5004 asks, and what the quality levels report as the rung's bitrate),
 * `d` the segment's duration, `tb` the top BANDWIDTH. `rtp` asks for 5× the object's bitrate, the
 * default safety factor of dash.js.
 */
import { appendCmcdHeaders, appendCmcdQuery, CMCD_V1, type Cmcd, type CmcdV1Data } from '@svta/cml-cmcd';
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
  const indexed = new WeakSet<VhsPlaylistLike>();
  const byUri = new Map<string, ObjectInfo>();

  const index = (vhs: VhsLike | undefined): void => {
    for (const { playlist, ot: knownType } of mediaPlaylists(vhs)) {
      if (!playlist.segments?.length || indexed.has(playlist)) continue;
      indexed.add(playlist);
      const bandwidth = playlist.attributes?.BANDWIDTH;
      const br = bandwidth === undefined ? undefined : Math.round(bandwidth / 1000);
      const ot = knownType ?? mediaObjectType(playlist);
      for (const segment of playlist.segments) {
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
): CmcdV1Data {
  const object = objects.lookup(options.requestType, options.uri, vhs);
  const media = object.ot === 'av' || object.ot === 'v' || object.ot === 'a';
  const data: CmcdV1Data = {
    sid: state.sessionId,
    cid: state.contentId,
    ot: object.ot as CmcdV1Data['ot'],
    sf: state.format() as CmcdV1Data['sf'],
    st: (state.live() ? 'l' : 'v') as CmcdV1Data['st'],
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
export function applyCmcd(options: VhsRequestOptions, data: CmcdV1Data, mode: CmcdMode): void {
  const encoding = { version: CMCD_V1 } as const;
  // Version 1 keys are scalars; the encoder's parameter type is the version 2 superset.
  const cmcd = data as unknown as Cmcd;
  if (mode === 'header') options.headers = appendCmcdHeaders({ ...options.headers }, cmcd, encoding);
  else options.uri = appendCmcdQuery(options.uri, cmcd, encoding);
}
