/** What an ABR policy sees when the player asks it for the next rung, and what it answers. */
import type { BandwidthEstimator } from './bandwidth-estimator.js';
import type { Ladder } from './ladder.js';

export interface Viewport {
  /** CSS pixels of the video element (VHS ignores devicePixelRatio unless useDevicePixelRatio). */
  width: number;
  height: number;
}

export interface AbrContext {
  ladder: Ladder;
  viewport: Viewport;
  estimator: BandwidthEstimator;
  /** undefined before the first selection. */
  currentRung: number | undefined;
  /** Seconds buffered ahead of the playhead. */
  forwardBufferSec: number;
  currentTimeSec: number;
  durationSec: number;
}

export interface AbrPolicy {
  readonly name: string;
  /** The rung to download next (the current one to stay). */
  chooseRung(context: AbrContext): number;
  /** Seconds of forward buffer the loader fills to before idling. */
  goalBufferSec(currentTimeSec: number): number;
}
