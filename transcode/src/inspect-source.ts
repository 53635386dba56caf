/**
 * Decides from a probe whether a source is a video we will encode, before anything is decoded.
 * Every refusal reads "not a playable video: …" so the uploader (and the e2e test) can tell it from
 * our own failures.
 */
import { MAX_PIXELS, type ProbeResult } from './ffmpeg-command.js';

/** Width and height limit; MAX_PIXELS (what the decoders enforce) is its square. */
export const MAX_DIMENSION = Math.sqrt(MAX_PIXELS);
const MIN_DIMENSION = 16;

export interface SourceLimits {
  /** Longest source accepted; default 4 h. */
  maxDurationSec: number;
  /** Most streams (video, audio, subtitles, data) in one file; default 16. */
  maxStreams: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = { maxDurationSec: 4 * 60 * 60, maxStreams: 16 };

export interface SourceInfo {
  formatName: string;
  durationSec: number;
  width: number;
  height: number;
  frameRate: number | undefined;
  hasAudio: boolean;
}

export type SourceVerdict = { ok: true; source: SourceInfo } | { ok: false; reason: string };

export function notPlayable(why: string): string {
  return `not a playable video: ${why}`;
}

export function inspectSource(
  probe: ProbeResult,
  limits: SourceLimits = DEFAULT_SOURCE_LIMITS,
): SourceVerdict {
  const refuse = (why: string): SourceVerdict => ({ ok: false, reason: notPlayable(why) });
  if (probe.streams.length > limits.maxStreams) {
    return refuse(`it has ${probe.streams.length} streams, more than ${limits.maxStreams}`);
  }
  const tooLarge = (width: number, height: number) =>
    refuse(`${width}x${height} is larger than ${MAX_DIMENSION}x${MAX_DIMENSION}`);
  const refused = probe.refusedPictureSize;
  // Cover art in an audio file is a "video" stream of one picture.
  const video = probe.streams.find((s) => s.codecType === 'video' && !s.attachedPicture);
  if (video === undefined) {
    return refused ? tooLarge(refused.width, refused.height) : refuse('it has no video stream');
  }
  if (video.codecName === undefined || video.codecName === 'none') {
    return refuse('it has no decodable video stream');
  }
  const { width, height } = video;
  if (width === undefined || height === undefined || width <= 0 || height <= 0) {
    // ffprobe leaves the size at 0 when -max_pixels refused the frame.
    return refused ? tooLarge(refused.width, refused.height) : refuse('its video stream has no picture size');
  }
  if (width > MAX_DIMENSION || height > MAX_DIMENSION) return tooLarge(width, height);
  if (width < MIN_DIMENSION || height < MIN_DIMENSION) {
    return refuse(`${width}x${height} is smaller than ${MIN_DIMENSION}x${MIN_DIMENSION}`);
  }
  if (video.packetCount !== undefined && video.packetCount < 2) {
    return refuse(
      video.packetCount === 0
        ? 'its video stream has no frames'
        : 'it has a single frame (a picture, not a video)',
    );
  }
  if (!Number.isFinite(probe.durationSec) || probe.durationSec <= 0) {
    return refuse('it has no duration');
  }
  if (probe.durationSec > limits.maxDurationSec) {
    return refuse(
      `it lasts ${formatSeconds(probe.durationSec)}, longer than ${formatSeconds(limits.maxDurationSec)}`,
    );
  }
  return {
    ok: true,
    source: {
      formatName: probe.formatName,
      durationSec: probe.durationSec,
      width,
      height,
      frameRate: video.frameRate,
      hasAudio: probe.streams.some((s) => s.codecType === 'audio'),
    },
  };
}

function formatSeconds(totalSec: number): string {
  const whole = Math.floor(totalSec);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}
