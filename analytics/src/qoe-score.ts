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

/**
 * `qoeScore` of ONE view as a ClickHouse expression over viewRowsSql's columns (qoe-view-sql.ts), so
 * the views list can sort worst first in the engine: the view is one play (its own startup time as
 * the p50, its own failures), built from the same constants. Null when the view never asked to play.
 * qoe-score.test.ts checks it against `qoeScore` view by view.
 */
export function viewQoeScoreSql(): string {
  const clamp = (expression: string) => `greatest(0, least(1, ${expression}))`;
  const startup = `if(startup_time_ms IS NULL, 0, ${clamp(
    `1 - (startup_time_ms - ${STARTUP_PERFECT_MS}) / ${STARTUP_WORTHLESS_MS - STARTUP_PERFECT_MS}`,
  )})`;
  const smoothness = `if(play_time_ms + rebuffer_time_ms = 0, 1, ${clamp(
    `1 - rebuffer_time_ms / (play_time_ms + rebuffer_time_ms) / ${REBUFFER_RATIO_WORTHLESS}`,
  )})`;
  const reliability = clamp('1 - (toUInt8(start_failure) + toUInt8(playback_failure))');
  const quality = `if(play_time_ms > 0, ${clamp('1 - upscale_time_ms / play_time_ms')}, 1)`;
  const weighted = [
    `${SCORE_WEIGHTS.startup} * ${startup}`,
    `${SCORE_WEIGHTS.smoothness} * ${smoothness}`,
    `${SCORE_WEIGHTS.reliability} * ${reliability}`,
    `${SCORE_WEIGHTS.quality} * ${quality}`,
  ].join(' + ');
  return `if(requested, round((${weighted}) * 1000) / 10, NULL)`;
}
