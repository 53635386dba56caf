/**
 * The one module that runs ffmpeg (through fluent-ffmpeg): probing an untrusted source and encoding
 * it to an HLS ladder in ONE process (`split` + `scale` in a filter graph). Everything else in the
 * package deals in plans and results, never in command lines.
 *
 * Untrusted input (FACTS.md): an HLS playlist renamed `.mp4` is still demuxed as HLS and reads other
 * local files, so the probe only admits the container demuxers in ACCEPTED_FORMATS, and the encode
 * forces the demuxer the probe found. `-protocol_whitelist file` keeps both off the network.
 */

import { execFile } from 'node:child_process';
import path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { MASTER_PLAYLIST, POSTER } from './media-layout.js';
import type { Rendition } from './plan-ladder.js';

/**
 * Container demuxers a source may use. Never playlists or lists of other files (hls, dash, concat,
 * ffconcat), image sequences (image2, *_pipe), raw streams or anything that opens a second input.
 */
export const ACCEPTED_FORMATS = [
  'mov,mp4,m4a,3gp,3g2,mj2',
  'matroska,webm',
  'avi',
  'flv',
  'mpegts',
  'mpeg',
  'ogg',
  'asf',
].join(',');

/** 4096 × 4096: the probe and the decoders refuse larger frames before allocating them. */
export const MAX_PIXELS = 4096 * 4096;

const SAFE_INPUT = ['-protocol_whitelist', 'file', '-format_whitelist', ACCEPTED_FORMATS];

/** ffprobe reads headers and a few packets; a source it cannot judge in this long is refused. */
const PROBE_TIMEOUT_MS = 60_000;
const PROBE_OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;

export interface ProbedStream {
  codecType: string;
  codecName: string | undefined;
  width: number | undefined;
  height: number | undefined;
  frameRate: number | undefined;
  attachedPicture: boolean;
  /** Packets of this stream in the whole file (`-count_packets`: demuxed, never decoded). */
  packetCount: number | undefined;
}

export interface ProbeResult {
  formatName: string;
  durationSec: number;
  streams: ProbedStream[];
  /**
   * A picture size a decoder refused to allocate (over MAX_PIXELS, or beyond what ffmpeg can
   * address at all); ffprobe then reports that stream's size as 0x0.
   */
  refusedPictureSize: { width: number; height: number } | undefined;
}

/** The file could not be read as media (a verdict about the input, not a failure of ours). */
export class UnreadableMediaError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableMediaError';
  }
}

interface FfprobeJson {
  format?: { format_name?: string; duration?: string };
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    nb_read_packets?: string;
    disposition?: { attached_pic?: number };
  }[];
}

/**
 * ffprobe with the safe input options and `-max_pixels`, run directly (not through fluent-ffmpeg) so
 * its warnings are read too; rejects with UnreadableMediaError for bad input.
 */
export function probeMedia(file: string): Promise<ProbeResult> {
  const args = [
    ...['-v', 'error', '-hide_banner'],
    ...SAFE_INPUT,
    ...['-max_pixels', String(MAX_PIXELS), '-count_packets'],
    ...['-of', 'json', '-show_format', '-show_streams', file],
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      args,
      { timeout: PROBE_TIMEOUT_MS, maxBuffer: PROBE_OUTPUT_LIMIT_BYTES, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const spawnError = err as (NodeJS.ErrnoException & { killed?: boolean }) | null;
        // Not installed / cannot spawn: our problem, not the uploader's.
        if (spawnError?.code === 'ENOENT' || spawnError?.code === 'EACCES') return reject(err);
        if (spawnError?.killed) {
          return reject(new UnreadableMediaError(`probing it took longer than ${PROBE_TIMEOUT_MS / 1000} s`));
        }
        if (spawnError) return reject(new UnreadableMediaError(describeProbeFailure(stderr, file)));
        let data: FfprobeJson;
        try {
          data = JSON.parse(stdout) as FfprobeJson;
        } catch {
          return reject(new UnreadableMediaError('the file cannot be read as media'));
        }
        resolve({
          formatName: data.format?.format_name ?? '',
          durationSec: Number(data.format?.duration),
          refusedPictureSize: refusedPictureSize(stderr),
          streams: (data.streams ?? []).map((s) => ({
            codecType: s.codec_type ?? '',
            codecName: s.codec_name,
            width: s.width,
            height: s.height,
            frameRate: parseRate(s.avg_frame_rate) ?? parseRate(s.r_frame_rate),
            attachedPicture: s.disposition?.attached_pic === 1,
            packetCount: s.nb_read_packets === undefined ? undefined : Number(s.nb_read_packets),
          })),
        });
      },
    );
  });
}

export function describeProbeFailure(stderr: string, file: string): string {
  if (/not on whitelist/i.test(stderr)) return 'its format is not an accepted video container';
  const last = stderr
    .split('\n')
    .map((line) => line.replaceAll(file, 'input').trim())
    .filter((line) => line !== '')
    .pop();
  return last
    ? `the file cannot be read as media (${last.replace(/^input:\s*/, '')})`
    : 'the file cannot be read as media';
}

const REFUSED_PICTURE = /Picture size (\d+)x(\d+) (?:exceeds specified max pixel count|is invalid)/;

function refusedPictureSize(stderr: string): ProbeResult['refusedPictureSize'] {
  const match = REFUSED_PICTURE.exec(stderr);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}

function parseRate(rate: string | undefined): number | undefined {
  const [num, den] = (rate ?? '').split('/').map(Number);
  if (num === undefined || !Number.isFinite(num) || num <= 0) return undefined;
  const fps = den === undefined ? num : num / den;
  return Number.isFinite(fps) && fps > 0 && fps <= 240 ? fps : undefined;
}

export interface EncodePlan {
  input: string;
  /** The demuxer the probe found, forced for the encode. */
  formatName: string;
  durationSec: number;
  frameRate: number | undefined;
  hasAudio: boolean;
  renditions: Rendition[];
  outputDir: string;
  segmentSeconds: number;
  keyframeSeconds: number;
}

/** The arguments of the encode, in fluent-ffmpeg's terms (pure: tests read it). */
export interface EncodeArguments {
  inputOptions: string[];
  filterGraph: string;
  hlsOptions: string[];
  hlsTarget: string;
  posterOptions: string[];
  posterTarget: string;
}

export function encodeArguments(plan: EncodePlan): EncodeArguments {
  const { renditions } = plan;
  const count = renditions.length;
  const top = renditions[count - 1]!;
  const posterAtSec = Math.min(1, plan.durationSec / 2);
  const filterGraph = [
    `[0:v:0]format=yuv420p,split=${count + 1}${renditions.map((_, i) => `[s${i}]`).join('')}[sp]`,
    ...renditions.map((r, i) => `[s${i}]scale=w=${r.width}:h=${r.height},setsar=1[v${i}]`),
    // A bounded trim ends the poster branch; open-ended, it would scale every frame for nothing.
    `[sp]trim=start=${posterAtSec.toFixed(3)}:duration=1,scale=w=${top.width}:h=${top.height},setsar=1[poster]`,
  ].join(';');

  const gop = plan.frameRate === undefined ? [] : Math.round(plan.frameRate * plan.keyframeSeconds);
  const perRendition = renditions.flatMap((r, i) => [
    ...[`-b:v:${i}`, `${r.videoBitrateKbps}k`, `-maxrate:v:${i}`, `${r.maxrateKbps}k`],
    ...[`-bufsize:v:${i}`, `${r.bufsizeKbps}k`],
    ...(plan.hasAudio ? [`-b:a:${i}`, `${r.audioBitrateKbps}k`] : []),
  ]);
  const streamMap = renditions
    .map((r, i) => `v:${i}${plan.hasAudio ? `,a:${i}` : ''},name:${r.name}`)
    .join(' ');

  return {
    inputOptions: [
      ...['-nostdin', '-hide_banner'],
      ...SAFE_INPUT,
      ...['-max_pixels', String(MAX_PIXELS)],
      // ffprobe names a demuxer by all its aliases ('mov,mp4,m4a,…'); any one of them selects it.
      ...['-f', plan.formatName.split(',')[0]!],
    ],
    filterGraph,
    hlsOptions: [
      ...renditions.flatMap((_, i) => ['-map', `[v${i}]`, ...(plan.hasAudio ? ['-map', '0:a:0'] : [])]),
      // Uploaders' metadata (GPS, device names) does not travel into public renditions.
      ...['-map_metadata', '-1', '-map_chapters', '-1'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high'],
      // Apple HLS authoring spec: a keyframe every 2 s, aligned across renditions, no scene cuts.
      ...['-force_key_frames:v', `expr:gte(t,n_forced*${plan.keyframeSeconds})`, '-sc_threshold', '0'],
      ...(typeof gop === 'number' ? ['-g', String(gop), '-keyint_min', String(gop)] : []),
      ...(plan.hasAudio ? ['-c:a', 'aac', '-ac', '2', '-ar', '48000'] : []),
      ...perRendition,
      ...['-f', 'hls', '-hls_time', String(plan.segmentSeconds), '-hls_playlist_type', 'vod'],
      ...['-hls_flags', 'independent_segments', '-hls_segment_type', 'mpegts'],
      ...['-hls_segment_filename', path.join(plan.outputDir, '%v', 'seg_%03d.ts')],
      ...['-master_pl_name', MASTER_PLAYLIST, '-var_stream_map', streamMap],
    ],
    hlsTarget: path.join(plan.outputDir, '%v', 'index.m3u8'),
    posterOptions: ['-map', '[poster]', '-frames:v', '1', '-q:v', '3', '-update', '1'],
    posterTarget: path.join(plan.outputDir, POSTER),
  };
}

export class EncodeFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeFailedError';
  }
}

export interface EncodeOptions {
  /** Seconds of output written so far (from ffmpeg's `time=` progress lines). */
  onProgress?: (encodedSec: number) => void;
  signal?: AbortSignal;
  timeoutSec: number;
}

const TIME = /time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/;

/** Runs the encode; rejects with EncodeFailedError carrying ffmpeg's last words. */
export function runEncode(plan: EncodePlan, options: EncodeOptions): Promise<void> {
  const args = encodeArguments(plan);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new EncodeFailedError('encode aborted before it started'));
    const stderrTail: string[] = [];
    // No 'progress' listener on purpose: fluent-ffmpeg would then run its own ffprobe on the input,
    // without our safe options.
    const command = ffmpeg({ timeout: options.timeoutSec })
      .input(plan.input)
      .inputOptions(...args.inputOptions)
      .complexFilter(args.filterGraph)
      .output(args.hlsTarget)
      .outputOptions(...args.hlsOptions)
      .output(args.posterTarget)
      .outputOptions(...args.posterOptions)
      .on('stderr', (line: string) => {
        const match = TIME.exec(line);
        if (match) {
          options.onProgress?.(Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]));
          return;
        }
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
      })
      .on('end', () => {
        options.signal?.removeEventListener('abort', abort);
        resolve();
      })
      .on('error', (err: Error) => {
        options.signal?.removeEventListener('abort', abort);
        const lastWords = stderrTail
          .filter((l) => l.trim() !== '')
          .slice(-3)
          .join(' | ');
        reject(new EncodeFailedError(`${err.message.split('\n')[0]}${lastWords ? `: ${lastWords}` : ''}`));
      });
    const abort = () => command.kill('SIGKILL');
    options.signal?.addEventListener('abort', abort, { once: true });
    command.run();
  });
}
