/**
 * Independent measurements of the encoder's output with ffprobe (not our own box reader): what a
 * player would decode from one init + media segment.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../helpers.js';

export interface SegmentProbe {
  codecName: string;
  codecTag: string;
  profile: string | undefined;
  pixFmt: string | undefined;
  width: number | undefined;
  height: number | undefined;
  frameRate: string;
  averageFrameRate: string;
  durationSec: number;
  /** Bytes of the segment file as stored. */
  bytes: number;
  firstPacketIsKey: boolean;
  /** Presentation times of keyframes, seconds. */
  keyframeTimesSec: number[];
}

interface FfprobeJson {
  streams: {
    codec_name: string;
    codec_tag_string: string;
    profile?: string;
    pix_fmt?: string;
    width?: number;
    height?: number;
    r_frame_rate: string;
    avg_frame_rate: string;
  }[];
  packets: { pts_time: string; duration_time?: string; flags: string }[];
}

export async function probeSegment(folder: string, segment: string, scratch: string): Promise<SegmentProbe> {
  const joined = path.join(scratch, `${path.basename(folder)}-${segment}.mp4`);
  await writeFile(
    joined,
    Buffer.concat([
      await readFile(path.join(folder, 'init.mp4')),
      await readFile(path.join(folder, segment)),
    ]),
  );
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-of', 'json', '-show_streams', '-show_packets'],
    ...['-show_entries', 'packet=pts_time,duration_time,flags'],
    joined,
  ]);
  const json = JSON.parse(stdout) as FfprobeJson;
  const stream = json.streams[0]!;
  const packets = json.packets;
  const times = packets.map((p) => Number(p.pts_time));
  const last = packets[packets.length - 1];
  const end = Math.max(...times.map((t, i) => t + Number(packets[i]?.duration_time ?? 0)));
  return {
    codecName: stream.codec_name,
    codecTag: stream.codec_tag_string,
    profile: stream.profile,
    pixFmt: stream.pix_fmt,
    width: stream.width,
    height: stream.height,
    frameRate: stream.r_frame_rate,
    averageFrameRate: stream.avg_frame_rate,
    durationSec: last === undefined ? 0 : end - Math.min(...times),
    bytes: (await stat(path.join(folder, segment))).size,
    firstPacketIsKey: packets[0]?.flags.startsWith('K') ?? false,
    keyframeTimesSec: packets.filter((p) => p.flags.startsWith('K')).map((p) => Number(p.pts_time)),
  };
}

/** Mean luma (0–255) of an image, from ffmpeg's signalstats. */
export async function meanLuma(image: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-f', 'lavfi', `movie=${image.replaceAll(':', '\\:')},signalstats`],
    ...['-show_entries', 'frame_tags=lavfi.signalstats.YAVG', '-of', 'csv=p=0'],
  ]);
  return Number(stdout.trim().split('\n')[0]);
}

export async function imageSize(image: string): Promise<{ width: number; height: number }> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', image],
  ]);
  const [width, height] = stdout.trim().split(',').map(Number);
  return { width: width!, height: height! };
}
