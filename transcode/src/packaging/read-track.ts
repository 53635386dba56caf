/**
 * One rendition folder as written by the encoder (`init.mp4`, `seg_000.m4s`, …) measured from its
 * bytes: per-segment duration and size, the keyframes a trick-play playlist can address, the codec
 * string, and the peak and average bitrates the manifests declare.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { codecString } from './codec-string.js';
import { readInit, readSegment } from './mp4-boxes.js';

export const INIT_SEGMENT = 'init.mp4';
const MEDIA_SEGMENT = /^seg_(\d+)\.m4s$/;

export interface IFrame {
  /** Byte range from the fragment's moof to the end of the keyframe: decodable on its own with the init. */
  offset: number;
  length: number;
  /** Presentation time of the keyframe, seconds from the start. */
  startSec: number;
}

export interface MeasuredSegment {
  file: string;
  number: number;
  /** In the track's timescale (DASH timeline). */
  startTime: number;
  duration: number;
  durationSec: number;
  bytes: number;
  iframes: IFrame[];
}

export interface MeasuredTrack {
  /** Folder name, e.g. '720p' or 'audio'. */
  name: string;
  kind: 'video' | 'audio';
  codecs: string;
  timescale: number;
  width: number | undefined;
  height: number | undefined;
  segments: MeasuredSegment[];
  durationSec: number;
  /** Largest segment bitrate (HLS BANDWIDTH), and bytes over duration (AVERAGE-BANDWIDTH). */
  peakBitrate: number;
  averageBitrate: number;
}

export async function readTrack(dir: string): Promise<MeasuredTrack> {
  const init = readInit(await readFile(path.join(dir, INIT_SEGMENT)));
  const files = (await readdir(dir))
    .map((file) => ({ file, match: MEDIA_SEGMENT.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map((f) => ({ file: f.file, number: Number(f.match[1]) }))
    .sort((a, b) => a.number - b.number);
  if (files.length === 0) throw new Error(`no media segments in ${path.basename(dir)}`);

  const segments: MeasuredSegment[] = [];
  for (const { file, number } of files) {
    const buf = await readFile(path.join(dir, file));
    const { baseDecodeTime, samples } = readSegment(buf, init);
    let time = baseDecodeTime;
    const iframes: IFrame[] = [];
    for (const sample of samples) {
      // Only a keyframe that opens its fragment can be fetched with the moof that describes it.
      if (sample.keyframe && sample.firstInFragment) {
        iframes.push({
          offset: sample.fragmentStart,
          length: sample.offset + sample.size - sample.fragmentStart,
          startSec: time / init.timescale,
        });
      }
      time += sample.duration;
    }
    const duration = time - baseDecodeTime;
    segments.push({
      file,
      number,
      startTime: baseDecodeTime,
      duration,
      durationSec: duration / init.timescale,
      bytes: buf.length,
      iframes,
    });
  }
  const durationSec = segments.reduce((sum, s) => sum + s.durationSec, 0);
  const totalBytes = segments.reduce((sum, s) => sum + s.bytes, 0);
  return {
    name: path.basename(dir),
    kind: init.sampleEntry === 'mp4a' ? 'audio' : 'video',
    codecs: codecString(init),
    timescale: init.timescale,
    width: init.width,
    height: init.height,
    segments,
    durationSec,
    peakBitrate: Math.max(...segments.map((s) => segmentBitrate(s))),
    averageBitrate: Math.round((totalBytes * 8) / durationSec),
  };
}

/** Bits per second of one segment; a tail of a few frames counts as 0.5 s, its container overhead is no peak. */
function segmentBitrate(segment: MeasuredSegment): number {
  return Math.round((segment.bytes * 8) / Math.max(segment.durationSec, 0.5));
}
