/**
 * Dropped and decoded frames from the W3C Media Playback Quality API
 * (`video.getVideoPlaybackQuality()`): `decodedFrames` is its `totalVideoFrames` (frames that were
 * presented or dropped), `droppedFrames` its `droppedVideoFrames`. Counted since the previous take.
 */
import { type PlayerLike, videoElementOf } from './player-like.js';

export interface FrameCounts {
  droppedFrames: number;
  decodedFrames: number;
}

export interface FrameCounter {
  /** Frames since the previous take; undefined where the browser has no quality API. */
  take(): FrameCounts | undefined;
  totals(): FrameCounts | undefined;
}

export function createFrameCounter(player: PlayerLike): FrameCounter {
  let raw: FrameCounts = { droppedFrames: 0, decodedFrames: 0 };
  const total: FrameCounts = { droppedFrames: 0, decodedFrames: 0 };
  let reported: FrameCounts = { ...total };

  const read = (): FrameCounts | undefined => {
    const video = videoElementOf(player);
    if (typeof video?.getVideoPlaybackQuality !== 'function') return undefined;
    const quality = video.getVideoPlaybackQuality();
    const now = { droppedFrames: quality.droppedVideoFrames, decodedFrames: quality.totalVideoFrames };
    // A new source (or MediaSource) starts the element's counters from 0 again.
    const reset = now.decodedFrames < raw.decodedFrames;
    total.droppedFrames += reset ? now.droppedFrames : Math.max(0, now.droppedFrames - raw.droppedFrames);
    total.decodedFrames += reset ? now.decodedFrames : now.decodedFrames - raw.decodedFrames;
    raw = now;
    return { ...total };
  };

  return {
    take() {
      const now = read();
      if (now === undefined) return undefined;
      const since = {
        droppedFrames: now.droppedFrames - reported.droppedFrames,
        decodedFrames: now.decodedFrames - reported.decodedFrames,
      };
      reported = now;
      return since;
    },
    totals: read,
  };
}
