/**
 * What `monitor.getStats()` returns: the view so far, totals since it began (beacons carry the
 * same measurements as deltas). Meant for a "stats for nerds" overlay and for apps' own displays.
 */
import type { TransportStats } from './transport-controller.js';

export type PlaybackStatsState =
  | 'idle'
  | 'starting'
  | 'playing'
  | 'paused'
  | 'stalled'
  | 'seeking'
  | 'ended'
  | 'failed';

export interface PlaybackStats {
  sessionId: string;
  viewId: string;
  videoId: string;
  state: PlaybackStatsState;
  startupTimeMs: number | undefined;
  watchTimeMs: number;
  playTimeMs: number;
  pauseTimeMs: number;
  rebufferCount: number;
  /** An open stall counts up to now. */
  rebufferDurationMs: number;
  seekCount: number;
  seekDurationMs: number;
  renditionSwitches: number;
  /** The rung VHS downloads. */
  bitrateKbps: number | undefined;
  width: number | undefined;
  height: number | undefined;
  /** The rung on screen (it trails the download by the buffer). */
  displayedBitrateKbps: number | undefined;
  displayedWidth: number | undefined;
  displayedHeight: number | undefined;
  /** The video element's size in CSS pixels. */
  playerWidth: number | undefined;
  playerHeight: number | undefined;
  upscaleTimeMs: number;
  downscaleTimeMs: number;
  /** Media buffered ahead of the playhead. */
  bufferMs: number;
  droppedFrames: number | undefined;
  decodedFrames: number | undefined;
  requestCount: number;
  requestFailures: number;
  bytesDownloaded: number;
  /** Measured over the segment downloads so far. */
  throughputKbps: number | undefined;
  /** VHS' bandwidth estimate (what its ABR and CMCD `mtp` use). */
  bandwidthEstimateKbps: number | undefined;
  lastTtfbMs: number | undefined;
  completionPercent: number | undefined;
  errorCount: number;
  lastError: string | undefined;
  /** The CMCD payload of the last segment request (query mode). */
  lastCmcd: string | undefined;
  beacons: TransportStats;
}

export function statsState(s: {
  failed: boolean;
  requested: boolean;
  started: boolean;
  ended: boolean;
  paused: boolean;
  stalled: boolean;
  seeking: boolean;
}): PlaybackStatsState {
  if (s.failed) return 'failed';
  if (!s.started) return s.requested ? 'starting' : 'idle';
  if (s.ended) return 'ended';
  if (s.seeking) return 'seeking';
  if (s.stalled) return 'stalled';
  return s.paused ? 'paused' : 'playing';
}
