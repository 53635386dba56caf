/**
 * Audience-aware vs content-only ladders on SIMULATED audiences (synthetic: no real viewers).
 *
 * Two measures for each audience and title:
 * 1. the planner's own prediction (transcode per-title planner): expected delivered quality (PSNR
 *    dB, stalls count 0) and bits per viewer-hour, for the audience-aware proposal and for the
 *    content-only ladder scored on the same audience (passed as the planner's "current" ladder);
 * 2. sessions on playback-model's fast path (VHS ABR), the SAME seeded traces for both ladders:
 *    the QoE score through analytics' own model (toQoeMetrics over the sessions' sums), rebuffer
 *    ratio, startup p50, mean on-screen bitrate, bits delivered per viewer-hour, and the
 *    play-time-weighted PSNR of what was on screen (each rung's hull-predicted PSNR).
 *
 * Traces: synthetic-trace's generator for a network class made from the audience's p10/p50/p90 (its
 * pooled throughput reproduces them); the rest of the class (autocorrelation, outages, latency)
 * borrowed from the LTE class for mobile and the FCC fixed class for broadband. Ladders are the
 * definitions' model (simulator's modelLadderOfDefinition: 6 s segments at the average bitrate,
 * BANDWIDTH at the VBV cap + audio): neither audience-aware ladder is encoded.
 */

import { type TotalsRow, toQoeMetrics } from '@streamloop/analytics/qoe-model';
import type { ThroughputDistribution } from '@streamloop/core/features';
import type { Ladder as LadderDefinition } from '@streamloop/core/schemas/ladder';
import type { ProbePoint } from '@streamloop/core/schemas/ladder-plan';
import type { NetworkClass } from '@streamloop/playback-model/network-classes';
import { simulateSession } from '@streamloop/playback-model/player-model';
import { generateSyntheticTrace } from '@streamloop/playback-model/synthetic-trace';
import { modelLadderOfDefinition } from '@streamloop/simulator/start-hint-evaluation';
import type { LadderPrediction } from '@streamloop/transcode/per-title/ladder-planner';
import { perTitleLadderDefinition, planPerTitle } from '@streamloop/transcode/per-title/per-title-plan';

export interface SimulatedAudience {
  name: string;
  throughputKbps: Omit<ThroughputDistribution, 'samples'>;
  networkClass: NetworkClass;
}

/** p25/p75 geometric midpoints of p10–p50 and p50–p90 (the brief gives p10/p50/p90). */
const quantiles = (p10: number, p50: number, p90: number) => ({
  p10,
  p25: Math.round(Math.sqrt(p10 * p50)),
  p50,
  p75: Math.round(Math.sqrt(p50 * p90)),
  p90,
});

export const SIMULATED_AUDIENCES: readonly SimulatedAudience[] = [
  {
    name: 'mobile-heavy',
    throughputKbps: quantiles(300, 900, 2_500),
    networkClass: {
      id: 'bench-mobile-heavy',
      label: 'mobile-heavy (p10 0.3, p50 0.9, p90 2.5 Mbit/s; LTE dynamics)',
      throughputMbps: { p10: 0.3, p50: 0.9, p90: 2.5 },
      lag1Autocorrelation: 0.67,
      stepSec: 1,
      shareBelow100Kbps: 0.02,
      latencyMs: 60,
      withinSessionVarianceShare: 0.5,
      meanOutageSec: 2,
      outageMbps: 0.01,
    },
  },
  {
    name: 'broadband-heavy',
    throughputKbps: quantiles(3_000, 12_000, 40_000),
    networkClass: {
      id: 'bench-broadband-heavy',
      label: 'broadband-heavy (p10 3, p50 12, p90 40 Mbit/s; fixed-line dynamics)',
      throughputMbps: { p10: 3, p50: 12, p90: 40 },
      lag1Autocorrelation: 0.33,
      stepSec: 1.4,
      shareBelow100Kbps: 0.002,
      latencyMs: 20,
      withinSessionVarianceShare: 0.5,
      meanOutageSec: 2.8,
      outageMbps: 0.01,
    },
  },
];

export interface SessionSummary {
  sessions: number;
  qoeScore: number | null;
  startupP50Ms: number | null;
  rebufferRatio: number | null;
  meanBitrateKbps: number | null;
  bitsPerViewerHour: number;
  /** Play-time-weighted PSNR of what was on screen (each rung's hull-predicted PSNR). */
  onScreenPsnrDb: number | null;
}

export interface LadderComparison {
  audience: string;
  throughputKbps: SimulatedAudience['throughputKbps'];
  ladders: Record<'contentOnly' | 'audienceAware', { rungs: { height: number; bitrateKbps: number }[] }>;
  planner: Record<'contentOnly' | 'audienceAware', LadderPrediction['totals']>;
  sessions: Record<'contentOnly' | 'audienceAware', SessionSummary>;
}

export interface EvaluationOptions {
  videoId: string;
  points: readonly ProbePoint[];
  audioBitrateKbps: number;
  /** The content-only proposal (REFERENCE_AUDIENCE). */
  contentOnly: LadderPrediction;
  sessionsPerAudience: number;
  /** Seconds each simulated session plays, of a title this long. */
  sessionPlaySec: number;
  titleSec: number;
  seed: string;
}

export function compareOnAudiences(options: EvaluationOptions): LadderComparison[] {
  return SIMULATED_AUDIENCES.map((audience) => {
    const { plan } = planPerTitle({
      videoId: options.videoId,
      points: options.points,
      throughputKbps: audience.throughputKbps,
      currentLadder: {
        id: 'content-only',
        rungs: options.contentOnly.rungs.map((r) => ({
          height: r.height,
          width: r.width,
          bitrateKbps: r.bitrateKbps,
        })),
      },
      audioBitrateKbps: options.audioBitrateKbps,
    });
    const simulate = (rungs: LadderPrediction['rungs']) =>
      simulateAudience(options, audience, rungs, `${options.seed}:${audience.name}`);
    return {
      audience: audience.name,
      throughputKbps: audience.throughputKbps,
      ladders: {
        contentOnly: {
          rungs: plan.current.rungs.map(({ height, bitrateKbps }) => ({ height, bitrateKbps })),
        },
        audienceAware: {
          rungs: plan.proposed.rungs.map(({ height, bitrateKbps }) => ({ height, bitrateKbps })),
        },
      },
      planner: { contentOnly: plan.current.totals, audienceAware: plan.proposed.totals },
      sessions: { contentOnly: simulate(plan.current.rungs), audienceAware: simulate(plan.proposed.rungs) },
    };
  });
}

function simulateAudience(
  options: EvaluationOptions,
  audience: SimulatedAudience,
  predicted: LadderPrediction['rungs'],
  seed: string,
): SessionSummary {
  const rungs = [...predicted].sort((a, b) => a.bitrateKbps - b.bitrateKbps);
  const definition: LadderDefinition = { ...perTitleLadderDefinition(options.videoId, rungs), version: 1 };
  const ladder = modelLadderOfDefinition(definition, options.titleSec);
  // The model sorts rungs by BANDWIDTH; the definition's are already in that order (caps rise with bitrate).
  const psnrByRung = rungs.map((r) => r.predictedQuality);
  const startups: number[] = [];
  let startFailures = 0;
  let rebufferCount = 0;
  let rebufferMs = 0;
  let watchMs = 0;
  let playMs = 0;
  let bitrateXPlay = 0;
  let bitratePlay = 0;
  let psnrXPlay = 0;
  let bytes = 0;
  for (let v = 0; v < options.sessionsPerAudience; v++) {
    const outcome = simulateSession({
      ladder,
      trace: generateSyntheticTrace(audience.networkClass, {
        seed: `${seed}:${v}`,
        durationSec: options.sessionPlaySec * 2 + 60,
      }),
      viewport: { width: 1920, height: 1080 },
      watch: { playSec: options.sessionPlaySec },
      ladderChecked: true,
    });
    if (outcome.startupTimeMs === undefined) startFailures += 1;
    else startups.push(outcome.startupTimeMs);
    rebufferCount += outcome.rebufferCount;
    rebufferMs += outcome.rebufferDurationMs;
    watchMs += outcome.watchTimeMs;
    playMs += outcome.playTimeMs;
    if (outcome.meanBitrateKbps !== undefined) {
      bitrateXPlay += outcome.meanBitrateKbps * outcome.playTimeMs;
      bitratePlay += outcome.playTimeMs;
    }
    outcome.playTimeMsByRung.forEach((ms, i) => {
      psnrXPlay += ms * (psnrByRung[i] ?? 0);
    });
    bytes += outcome.bytesDownloaded;
  }
  const sorted = [...startups].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length === 0 ? null : (sorted[Math.floor(p * (sorted.length - 1))] ?? null);
  const sessions = options.sessionsPerAudience;
  const row: TotalsRow = {
    views: String(sessions),
    plays: String(sessions),
    started_views: String(sessions - startFailures),
    start_failures: String(startFailures),
    exits_before_start: '0',
    playback_failures: '0',
    viewers: String(sessions),
    startup_time_ms: [at(0.5), at(0.9), at(0.95)],
    error_count: '0',
    rebuffer_count: String(rebufferCount),
    rebuffer_time_ms: String(Math.round(rebufferMs)),
    seek_count: '0',
    seek_time_ms: '0',
    watch_time_ms: String(Math.round(watchMs)),
    play_time_ms: String(Math.round(playMs)),
    pause_time_ms: '0',
    // The player is 1920×1080 and no rung is taller: nothing is upscaled beyond the ladder's own choice.
    upscale_time_ms: '0',
    bitrate_kbps_x_play_ms: String(Math.round(bitrateXPlay)),
    bitrate_play_time_ms: String(Math.round(bitratePlay)),
  };
  const metrics = toQoeMetrics(row);
  return {
    sessions,
    qoeScore: metrics.qoeScore,
    startupP50Ms: metrics.startupTimeMs.p50,
    rebufferRatio: metrics.rebufferRatio,
    meanBitrateKbps: metrics.averageBitrateKbps,
    bitsPerViewerHour: watchMs > 0 ? (bytes * 8) / (watchMs / 3_600_000) : 0,
    onScreenPsnrDb: playMs > 0 ? psnrXPlay / playMs : null,
  };
}
