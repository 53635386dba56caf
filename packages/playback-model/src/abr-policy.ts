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
  /** False while a rung is excluded (VHS excludes a rung for 10 s after an early abort). */
  isEnabled: (rung: number) => boolean;
  /** Seconds buffered ahead of the playhead. */
  forwardBufferSec: number;
  currentTimeSec: number;
  durationSec: number;
}

export interface AbrPolicy {
  readonly name: string;
  /** The SDK's `switchReason` for this policy's own switches (VHS: its `checkABR_` cause). */
  readonly switchReason: string;
  /** Abort a segment that would finish after the buffer runs out (VHS' earlyAbortWhenNeeded_). */
  readonly earlyAbort: boolean;
  /**
   * Asked only after a segment that follows one of the same rendition: VHS' segment loader fires
   * `bandwidthupdate` only when "walking forward", and a rendition switch (or the first segment of
   * the session) resyncs it. False: asked after every segment.
   */
  readonly onlyWalkingForward: boolean;
  /** The rung to download next (the current one to stay). */
  chooseRung(context: AbrContext): number;
  /** Seconds of forward buffer the loader fills to before idling. */
  goalBufferSec(currentTimeSec: number): number;
}
