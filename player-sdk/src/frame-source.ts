/**
 * "A new video frame reached the screen", from requestVideoFrameCallback where the browser has it.
 * It is the closest signal to what the viewer sees, but it does not fire in a hidden tab, so the
 * startup controller races it against the playhead advancing.
 */
import { type PlayerLike, videoElementOf } from './player-like.js';

export interface FrameSource {
  /** Calls `callback` once at the next presented frame; returns a cancel function (no-op when unsupported). */
  next(callback: () => void): () => void;
}

interface FrameCallbackVideo {
  requestVideoFrameCallback(callback: () => void): number;
  cancelVideoFrameCallback(handle: number): void;
}

/** The player's video element, looked up when needed: video.js may load its tech after `monitor()`. */
export function createPlayerFrameSource(player: PlayerLike): FrameSource {
  const element = (): Partial<FrameCallbackVideo> | undefined => videoElementOf(player);
  return {
    next(callback) {
      const video = element();
      if (
        typeof video?.requestVideoFrameCallback !== 'function' ||
        typeof video.cancelVideoFrameCallback !== 'function'
      ) {
        return () => {};
      }
      const target = video as FrameCallbackVideo;
      const handle = target.requestVideoFrameCallback(() => callback());
      return () => target.cancelVideoFrameCallback(handle);
    },
  };
}
