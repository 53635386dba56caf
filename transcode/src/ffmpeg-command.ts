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
import { AUDIO_FOLDER, POSTER, THUMBNAIL_PATTERN } from '@streamloop/core/object-layout';
import type { Rendition, VideoCodec } from '@streamloop/core/schemas/ladder';
import ffmpeg from 'fluent-ffmpeg';
import { STORYBOARD_PATTERN, type StoryboardPlan, storyboardFilter } from './packaging/storyboard.js';

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

/** Options before every untrusted input: local files only, container demuxers only. */
export const SAFE_INPUT = ['-protocol_whitelist', 'file', '-format_whitelist', ACCEPTED_FORMATS];

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
  /** Output frame rate (constant; a variable-rate source is resampled to it). */
  frameRate: number;
  hasAudio: boolean;
  renditions: Rendition[];
  audioBitrateKbps: number;
  /** Encoder speed per codec, from the ladder. */
  presets: Readonly<Record<VideoCodec, string>>;
  outputDir: string;
  segmentSeconds: number;
  keyframeSeconds: number;
  storyboard: StoryboardPlan;
  thumbnails: ThumbnailPlan;
}

/** Single JPEG thumbnails for `thumbnail.jpg?time=`: one every `intervalSec`, at a square-pixel size. */
export interface ThumbnailPlan {
  intervalSec: number;
  width: number;
  height: number;
}

/** Where the encoder writes: `<outputDir>/<rendition>/seg_000.m4s`, its init as `init_<n>.mp4`. */
export const ENCODER_PLAYLIST = 'encoder.m3u8';

/** The arguments of the encode, in fluent-ffmpeg's terms (pure: tests read it). */
export interface EncodeArguments {
  inputOptions: string[];
  filterGraph: string;
  outputs: { target: string; options: string[] }[];
}

/** A rate as ffmpeg reads it exactly: 29.97 → 30000/1001. */
export function rateExpression(fps: number): string {
  const ntsc = Math.round(fps * 1.001);
  if (!Number.isInteger(fps) && Math.abs(ntsc / 1.001 - fps) < 0.01) return `${ntsc * 1000}/1001`;
  return String(Math.round(fps * 1000) / 1000);
}

const POSTER_WINDOW_SEC = 10;
const POSTER_SAMPLES_PER_SEC = 2;

function filterGraph(plan: EncodePlan): string {
  const { renditions } = plan;
  const top = renditions[renditions.length - 1]!;
  const posterWindowSec = Math.min(POSTER_WINDOW_SEC, plan.durationSec);
  const posterSamples = Math.max(1, Math.floor(posterWindowSec * POSTER_SAMPLES_PER_SEC));
  return [
    // fps first: a variable-frame-rate source becomes constant, so a GOP of N frames is N/fps seconds.
    `[0:v:0]fps=${rateExpression(plan.frameRate)},format=yuv420p,split=${renditions.length + 3}${renditions.map((_, i) => `[s${i}]`).join('')}[sp][sb][st]`,
    ...renditions.map((r, i) => `[s${i}]scale=w=${r.width}:h=${r.height},setsar=1[v${i}]`),
    // The poster is the frame closest to the average histogram of the first seconds: not a black
    // fade-in. The trim bounds the branch; open-ended it would inspect every frame for nothing.
    `[sp]trim=duration=${posterWindowSec.toFixed(3)},fps=${POSTER_SAMPLES_PER_SEC},thumbnail=n=${posterSamples},scale=w=${top.width}:h=${top.height},setsar=1[poster]`,
    `[sb]${storyboardFilter(plan.storyboard)}[story]`,
    // The same expression as -force_key_frames: each thumbnail is the very frame of an IDR, so the
    // one at N s is the picture a seek to N s shows first. The frame is picked, not resampled.
    `[st]select=gte(t\\,${plan.thumbnails.intervalSec}*selected_n),scale=w=${plan.thumbnails.width}:h=${plan.thumbnails.height},setsar=1[thumbs]`,
  ].join(';');
}

function videoCodecOptions(plan: EncodePlan, r: Rendition, i: number, gop: number): string[] {
  const rate = [
    ...[`-b:v:${i}`, `${r.videoBitrateKbps}k`, `-maxrate:v:${i}`, `${r.maxrateKbps}k`],
    ...[`-bufsize:v:${i}`, `${r.bufsizeKbps}k`],
  ];
  const preset = plan.presets[r.codec];
  switch (r.codec) {
    case 'h264':
      return [`-c:v:${i}`, 'libx264', `-preset:v:${i}`, preset, `-profile:v:${i}`, r.profile, ...rate];
    case 'hevc':
      return [
        ...[`-c:v:${i}`, 'libx265', `-preset:v:${i}`, preset, `-profile:v:${i}`, r.profile],
        // hvc1 (parameter sets in the init segment) is what Apple players require for HEVC in fMP4.
        ...[`-tag:v:${i}`, 'hvc1'],
        ...[`-x265-params:v:${i}`, `keyint=${gop}:min-keyint=${gop}:scenecut=0:open-gop=0:log-level=error`],
        ...rate,
      ];
    case 'av1':
      return [`-c:v:${i}`, 'libsvtav1', `-preset:v:${i}`, preset, ...rate];
  }
}

export function encodeArguments(plan: EncodePlan): EncodeArguments {
  const { renditions } = plan;
  const gop = Math.max(1, Math.round(plan.frameRate * plan.keyframeSeconds));
  const streamMap = [
    ...renditions.map((r, i) => `v:${i},name:${r.name}`),
    ...(plan.hasAudio ? [`a:0,name:${AUDIO_FOLDER}`] : []),
  ].join(' ');
  const noMetadata = ['-map_metadata', '-1', '-map_chapters', '-1'];
  return {
    inputOptions: [
      ...['-nostdin', '-hide_banner'],
      ...SAFE_INPUT,
      ...['-max_pixels', String(MAX_PIXELS)],
      // ffprobe names a demuxer by all its aliases ('mov,mp4,m4a,…'); any one of them selects it.
      ...['-f', plan.formatName.split(',')[0]!],
    ],
    filterGraph: filterGraph(plan),
    outputs: [
      {
        target: path.join(plan.outputDir, '%v', ENCODER_PLAYLIST),
        options: [
          ...renditions.flatMap((_, i) => ['-map', `[v${i}]`]),
          ...(plan.hasAudio ? ['-map', '0:a:0'] : []),
          // Uploaders' metadata (GPS, device names) does not travel into public renditions.
          ...noMetadata,
          ...renditions.flatMap((r, i) => videoCodecOptions(plan, r, i, gop)),
          // Apple HLS authoring spec: an IDR every 2 s, aligned across rungs, closed GOPs, no scene cuts.
          ...['-force_key_frames:v', `expr:gte(t,n_forced*${plan.keyframeSeconds})`],
          ...['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-flags', '+cgop'],
          // AAC-LC once, shared by every rung as one audio rendition.
          ...(plan.hasAudio
            ? [
                '-c:a',
                'aac',
                '-profile:a',
                'aac_low',
                '-b:a',
                `${plan.audioBitrateKbps}k`,
                '-ac',
                '2',
                '-ar',
                '48000',
              ]
            : []),
          ...['-f', 'hls', '-hls_time', String(plan.segmentSeconds), '-hls_playlist_type', 'vod'],
          ...['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4'],
          ...['-hls_flags', 'independent_segments'],
          ...['-hls_segment_filename', path.join(plan.outputDir, '%v', 'seg_%03d.m4s')],
          ...['-var_stream_map', streamMap],
        ],
      },
      {
        target: path.join(plan.outputDir, POSTER),
        options: ['-map', '[poster]', ...noMetadata, '-frames:v', '1', '-q:v', '3', '-update', '1'],
      },
      {
        target: path.join(plan.outputDir, STORYBOARD_PATTERN),
        options: ['-map', '[story]', ...noMetadata, '-q:v', '5', '-start_number', '0', '-f', 'image2'],
      },
      {
        target: path.join(plan.outputDir, THUMBNAIL_PATTERN),
        // passthrough: the selected frames keep their times; cfr would repeat each one up to the frame rate.
        options: [
          ...['-map', '[thumbs]', ...noMetadata, '-q:v', '4', '-start_number', '0'],
          ...['-fps_mode', 'passthrough', '-f', 'image2'],
        ],
      },
    ],
  };
}

export class EncodeFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeFailedError';
  }
}

export interface EncodeProgress {
  /** Seconds of output written so far. */
  encodedSec: number;
  /** Frames per second ffmpeg reports (decoded once, so per rung too). */
  fps: number | undefined;
}

export interface EncodeOptions {
  onProgress?: (progress: EncodeProgress) => void;
  signal?: AbortSignal;
  /** Wall-clock limit; ffmpeg is killed when it passes. */
  timeoutSec: number;
  /** Process priority (nice), so a worker's encode yields to the services on the same host. */
  niceness?: number;
}

const TIME = /time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/;
const FPS = /fps=\s*([\d.]+)/;
const DEFAULT_NICENESS = 10;

/** Runs the encode; rejects with EncodeFailedError carrying ffmpeg's last words. */
export function runEncode(plan: EncodePlan, options: EncodeOptions): Promise<void> {
  const args = encodeArguments(plan);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new EncodeFailedError('encode aborted before it started'));
    const stderrTail: string[] = [];
    // No 'progress' listener on purpose: fluent-ffmpeg would then run its own ffprobe on the input,
    // without our safe options.
    const command = ffmpeg({ timeout: options.timeoutSec, niceness: options.niceness ?? DEFAULT_NICENESS })
      .input(plan.input)
      .inputOptions(...args.inputOptions)
      .complexFilter(args.filterGraph);
    for (const output of args.outputs) command.output(output.target).outputOptions(...output.options);
    command
      .on('stderr', (line: string) => {
        const match = TIME.exec(line);
        if (match) {
          const fps = Number(FPS.exec(line)?.[1]);
          options.onProgress?.({
            encodedSec: Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]),
            fps: Number.isFinite(fps) ? fps : undefined,
          });
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
