/**
 * The 0–100 QoE score (docs/metrics.md, "QoE score"): four components in [0, 1], weighted.
 * Each component is a published straight line between a "perfect" and a "worthless" point, so a
 * score can be recomputed by hand from the API's other numbers.
 */
export const SCORE_WEIGHTS = { startup: 0.3, smoothness: 0.3, reliability: 0.3, quality: 0.1 } as const;
/** Startup p50 at or under this is perfect... */
export const STARTUP_PERFECT_MS = 1_000;
/** ...and at or over this is worth nothing. */
export const STARTUP_WORTHLESS_MS = 10_000;
/** A CTA-2066 rebuffer ratio at or over this (10 % of the time stalled) is worth nothing. */
export const REBUFFER_RATIO_WORTHLESS = 0.1;

export interface ScoreInputs {
  plays: number;
  /** Views that started, failed to start, or failed during playback. */
  startFailures: number;
  playbackFailures: number;
  startupP50Ms: number | null;
  /** CTA-2066 stall / (stall + play); null when nothing played. */
  rebufferRatio: number | null;
  upscaleTimeMs: number;
  playTimeMs: number;
}

export interface QoeScore {
  score: number;
  startup: number;
  smoothness: number;
  reliability: number;
  quality: number;
}

const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));

/** Null without plays: no experience, no score. */
export function qoeScore(inputs: ScoreInputs): QoeScore | null {
  if (inputs.plays === 0) return null;
  // No view reached a first frame: startup is as bad as it gets.
  const startup =
    inputs.startupP50Ms === null
      ? 0
      : clamp01(1 - (inputs.startupP50Ms - STARTUP_PERFECT_MS) / (STARTUP_WORTHLESS_MS - STARTUP_PERFECT_MS));
  const smoothness =
    inputs.rebufferRatio === null ? 1 : clamp01(1 - inputs.rebufferRatio / REBUFFER_RATIO_WORTHLESS);
  const reliability = clamp01(1 - (inputs.startFailures + inputs.playbackFailures) / inputs.plays);
  const quality = inputs.playTimeMs > 0 ? clamp01(1 - inputs.upscaleTimeMs / inputs.playTimeMs) : 1;
  const weighted =
    SCORE_WEIGHTS.startup * startup +
    SCORE_WEIGHTS.smoothness * smoothness +
    SCORE_WEIGHTS.reliability * reliability +
    SCORE_WEIGHTS.quality * quality;
  return { score: Math.round(weighted * 1000) / 10, startup, smoothness, reliability, quality };
}
