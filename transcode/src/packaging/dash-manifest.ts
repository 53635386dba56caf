/**
 * A static DASH MPD (ISO/IEC 23009-1, live profile) over the SAME fMP4 files the HLS playlists
 * name: one SegmentTemplate with an exact SegmentTimeline per representation. Video rungs are grouped
 * into one AdaptationSet per codec family, since a player switches seamlessly only within one.
 */
import { INIT_SEGMENT, type MeasuredTrack } from './read-track.js';

export interface DashVideo {
  track: MeasuredTrack;
  frameRate: number;
}

const xmlEscape = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const isoDuration = (sec: number): string => `PT${sec.toFixed(3)}S`;

function timeline(track: MeasuredTrack): string[] {
  const runs: { t: number; d: number; r: number }[] = [];
  let next: number | undefined;
  for (const s of track.segments) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.d === s.duration && next === s.startTime) last.r++;
    else runs.push({ t: s.startTime, d: s.duration, r: 0 });
    next = s.startTime + s.duration;
  }
  return runs.map(({ t, d, r }) => `<S t="${t}" d="${d}"${r > 0 ? ` r="${r}"` : ''}/>`);
}

function representation(track: MeasuredTrack, attributes: string): string[] {
  const first = track.segments[0]?.number ?? 0;
  return [
    `<Representation id="${xmlEscape(track.name)}" bandwidth="${track.peakBitrate}" codecs="${track.codecs}"${attributes}>`,
    `  <SegmentTemplate timescale="${track.timescale}" startNumber="${first}" initialization="${xmlEscape(`${track.name}/${INIT_SEGMENT}`)}" media="${xmlEscape(`${track.name}/seg_$Number%03d$.m4s`)}">`,
    '    <SegmentTimeline>',
    ...timeline(track).map((s) => `      ${s}`),
    '    </SegmentTimeline>',
    '  </SegmentTemplate>',
    '</Representation>',
  ];
}

const indent = (lines: string[], by: string): string[] => lines.map((l) => by + l);

export function dashManifest(videos: DashVideo[], audio: MeasuredTrack | undefined): string {
  const durationSec = Math.max(...videos.map((v) => v.track.durationSec), audio?.durationSec ?? 0);
  const families = new Map<string, DashVideo[]>();
  for (const video of [...videos].sort((a, b) => a.track.peakBitrate - b.track.peakBitrate)) {
    const family = video.track.codecs.split('.')[0]!;
    families.set(family, [...(families.get(family) ?? []), video]);
  }
  const sets: string[] = [];
  let id = 0;
  for (const members of families.values()) {
    sets.push(
      `<AdaptationSet id="${id++}" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">`,
      ...members.flatMap(({ track, frameRate }) =>
        indent(
          representation(
            track,
            ` width="${track.width}" height="${track.height}" frameRate="${frameRateAttribute(frameRate)}" sar="1:1"`,
          ),
          '  ',
        ),
      ),
      '</AdaptationSet>',
    );
  }
  if (audio !== undefined) {
    sets.push(
      `<AdaptationSet id="${id++}" contentType="audio" mimeType="audio/mp4" lang="und" segmentAlignment="true" startWithSAP="1">`,
      ...indent(representation(audio, ' audioSamplingRate="48000"'), '  '),
      '  <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>',
      '</AdaptationSet>',
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="${isoDuration(durationSec)}" minBufferTime="PT2S">`,
    '  <Period id="0" start="PT0S">',
    ...indent(sets, '    '),
    '  </Period>',
    '</MPD>',
    '',
  ].join('\n');
}

/** 29.97 as the exact 30000/1001 a DASH frameRate wants; whole rates stay whole. */
function frameRateAttribute(fps: number): string {
  if (Number.isInteger(fps)) return String(fps);
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs(ntsc / 1.001 - fps) < 0.01) return `${ntsc * 1000}/1001`;
  return `${Math.round(fps * 1000)}/1000`;
}
