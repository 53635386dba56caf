/**
 * HLS playlists (RFC 8216) written from measured tracks: a media playlist and an I-frame playlist
 * per video rendition, one audio playlist, and the master that ties them together. Every number in
 * them (BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION) comes from the files, not the ladder.
 */
import { INIT_SEGMENT, type MeasuredTrack } from './read-track.js';

export const MEDIA_PLAYLIST = 'index.m3u8';
export const IFRAME_PLAYLIST = 'iframes.m3u8';
const AUDIO_GROUP = 'audio';

const header = (targetDurationSec: number): string[] => [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  `#EXT-X-TARGETDURATION:${targetDurationSec}`,
  '#EXT-X-MEDIA-SEQUENCE:0',
  '#EXT-X-PLAYLIST-TYPE:VOD',
  '#EXT-X-INDEPENDENT-SEGMENTS',
];

// RFC 8216 4.3.3.1: every EXTINF, rounded to the nearest integer, is at most the target duration.
const targetDuration = (durations: number[]): number => Math.max(1, ...durations.map((d) => Math.round(d)));

export function mediaPlaylist(track: MeasuredTrack): string {
  return [
    ...header(targetDuration(track.segments.map((s) => s.durationSec))),
    `#EXT-X-MAP:URI="${INIT_SEGMENT}"`,
    ...track.segments.flatMap((s) => [`#EXTINF:${s.durationSec.toFixed(6)},`, s.file]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

interface IFrameEntry {
  file: string;
  offset: number;
  length: number;
  durationSec: number;
}

/** Each addressable keyframe, lasting until the next one (or the end of the track). */
function iframeEntries(track: MeasuredTrack): IFrameEntry[] {
  const frames = track.segments.flatMap((s) => s.iframes.map((frame) => ({ ...frame, file: s.file })));
  return frames.map((frame, i) => ({
    file: frame.file,
    offset: frame.offset,
    length: frame.length,
    durationSec: (frames[i + 1]?.startSec ?? track.durationSec + startOf(track)) - frame.startSec,
  }));
}

const startOf = (track: MeasuredTrack): number => (track.segments[0]?.startTime ?? 0) / track.timescale;

export function iframePlaylist(track: MeasuredTrack): string {
  const entries = iframeEntries(track);
  return [
    ...header(targetDuration(entries.map((e) => e.durationSec))),
    '#EXT-X-I-FRAMES-ONLY',
    `#EXT-X-MAP:URI="${INIT_SEGMENT}"`,
    ...entries.flatMap((e) => [
      `#EXTINF:${e.durationSec.toFixed(6)},`,
      `#EXT-X-BYTERANGE:${e.length}@${e.offset}`,
      e.file,
    ]),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

/** Peak bitrate of fetching only the keyframes, as EXT-X-I-FRAME-STREAM-INF declares it. */
export function iframePeakBitrate(track: MeasuredTrack): number {
  return Math.max(
    1,
    ...iframeEntries(track).map((e) => Math.round((e.length * 8) / Math.max(e.durationSec, 0.5))),
  );
}

export interface MasterVariant {
  track: MeasuredTrack;
  frameRate: number;
}

export function masterPlaylist(variants: MasterVariant[], audio: MeasuredTrack | undefined): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (audio !== undefined) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${AUDIO_GROUP}",NAME="default",LANGUAGE="und",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="${audio.name}/${MEDIA_PLAYLIST}"`,
    );
  }
  // Lowest first: a player that starts on the first variant starts fast.
  const sorted = [...variants].sort((a, b) => a.track.peakBitrate - b.track.peakBitrate);
  for (const { track, frameRate } of sorted) {
    const codecs = audio === undefined ? track.codecs : `${track.codecs},${audio.codecs}`;
    lines.push(
      [
        // The audio rendition plays alongside every variant: the network carries both.
        `#EXT-X-STREAM-INF:BANDWIDTH=${track.peakBitrate + (audio?.peakBitrate ?? 0)}`,
        `AVERAGE-BANDWIDTH=${track.averageBitrate + (audio?.averageBitrate ?? 0)}`,
        `CODECS="${codecs}"`,
        `RESOLUTION=${track.width}x${track.height}`,
        `FRAME-RATE=${frameRate.toFixed(3)}`,
        ...(audio === undefined ? [] : [`AUDIO="${AUDIO_GROUP}"`]),
      ].join(','),
      `${track.name}/${MEDIA_PLAYLIST}`,
    );
  }
  for (const { track } of sorted) {
    lines.push(
      [
        `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=${iframePeakBitrate(track)}`,
        `CODECS="${track.codecs}"`,
        `RESOLUTION=${track.width}x${track.height}`,
        `URI="${track.name}/${IFRAME_PLAYLIST}"`,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
