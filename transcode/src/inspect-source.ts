/**
 * Decides from a probe whether a source is a video we will encode. Every refusal reads
 * "not a playable video: …" so the uploader (and the e2e test) can tell it from our own failures.
 */
import type { ProbeResult } from './ffmpeg-command.js';

export const MAX_DIMENSION = 8192;
const MIN_DIMENSION = 16;

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

export function inspectSource(probe: ProbeResult): SourceVerdict {
  // Cover art in an audio file is a "video" stream of one picture.
  const video = probe.streams.find((s) => s.codecType === 'video' && !s.attachedPicture);
  if (video === undefined) return { ok: false, reason: notPlayable('it has no video stream') };
  const { width, height } = video;
  if (width === undefined || height === undefined || width <= 0 || height <= 0) {
    return { ok: false, reason: notPlayable('its video stream has no picture size') };
  }
  if (width > MAX_DIMENSION || height > MAX_DIMENSION) {
    return {
      ok: false,
      reason: notPlayable(`${width}x${height} is larger than ${MAX_DIMENSION}x${MAX_DIMENSION}`),
    };
  }
  if (width < MIN_DIMENSION || height < MIN_DIMENSION) {
    return {
      ok: false,
      reason: notPlayable(`${width}x${height} is smaller than ${MIN_DIMENSION}x${MIN_DIMENSION}`),
    };
  }
  if (!Number.isFinite(probe.durationSec) || probe.durationSec <= 0) {
    return { ok: false, reason: notPlayable('it has no duration') };
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
