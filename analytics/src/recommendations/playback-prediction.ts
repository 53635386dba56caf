/**
 * What a viewer's playback of a title would look like, from the playback model (packages/
 * playback-model): the title's published ladder (the catalog's LadderRecord) played by the VHS model
 * over synthetic traces drawn from the viewer's own throughput distribution (the viewer feature set's
 * p10/p50/p90, the fleet's for a viewer without readings).
 *
 * - `fits`: the lowest rung's declared bandwidth (HLS BANDWIDTH: the rendition's measured peak plus
 *   the audio's, the number the player's ABR compares its estimate with) is at most the viewer's p10.
 *   Below that the player has no rung to fall back to for a tenth of the viewer's time.
 * - `stallRisk`: the expected rebuffer ratio (Σ stall ms / Σ watch ms, the QoE API's definition) of
 *   PREDICTION_RUNS sessions of the first PREDICTION_HORIZON_SEC of the title, one seeded trace each.
 * - `startupMs`: their mean time to first frame.
 *
 * The model runs once per (ladder, throughput bucket), not per request: the answer is cached under
 * the ladder's `id@version` and its measured rung bitrates (two videos encoded with one ladder
 * definition publish different bitrates, so id@version alone would hand one video the other's
 * prediction), and the viewer's distribution quantized to quarter octaves (≈ 19 % steps), the model
 * being run on the bucket's own values so that every viewer of a bucket gets the same answer
 * whoever asked first.
 */
import type { ThroughputDistribution } from '@streamloop/core/features';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import type { PredictedPlayback } from '@streamloop/core/schemas/recommendations';
import type { Ladder, MediaSegment } from '@streamloop/playback-model/ladder';
import { memoizeByObject } from '@streamloop/playback-model/memo';
import type { NetworkClass } from '@streamloop/playback-model/network-classes';
import { findNetworkClass } from '@streamloop/playback-model/network-classes';
import { simulateSession } from '@streamloop/playback-model/player-model';
import { generateSyntheticTrace } from '@streamloop/playback-model/synthetic-trace';

/** transcode's CMAF segment length (encode-and-package.ts): a record does not state its segments. */
export const MODEL_SEGMENT_SEC = 6;
/** The first two minutes: where startup and early stalls decide whether a viewer stays. */
export const PREDICTION_HORIZON_SEC = 120;
/** Sessions per prediction, each on its own seeded trace: enough to average over a trace's outages. */
export const PREDICTION_RUNS = 8;
/** Quarter octaves: a bucket's values are 2^(k/4) kbit/s. */
const STEPS_PER_OCTAVE = 4;
/** Below this the model's lognormal fit has nothing to stand on; the outage process covers it. */
const MIN_KBPS = 10;
/** Kept apart on the quantized scale, so the model's two-piece lognormal has a spread on each side. */
const MIN_SPREAD_STEPS = 1;
/** A full HD player: VHS caps rungs at the player's size, and a larger cap only adds risk. */
const VIEWPORT = { width: 1920, height: 1080 };
/** How the viewer's traces move around their distribution: the streaming viewers' class (Puffer 2022). */
const TRACE_SHAPE = findNetworkClass('puffer-2022');

export interface PredictorOptions {
  /** Predictions kept; the oldest goes first. */
  maxEntries?: number;
  /**
   * Where the model runs. Without one it runs inside `predict`, on the caller's thread (tests, tools).
   * With one (the route's default: a worker thread, prediction-worker.ts), a prediction not yet cached
   * is answered without the model's half (`startupMs`/`stallRisk` null; `fits` is always there) while
   * the runner computes it, and the next request of that ladder and bucket gets it: a model run, some
   * milliseconds and much garbage, never lands on a request.
   */
  runner?: ModelRunner;
}

/** Runs the model somewhere else; rejects only when it could not run at all. */
export interface ModelRunner {
  run(ladder: Ladder, bucket: ThroughputBucket): Promise<ModelPrediction>;
  close(): Promise<void>;
}

/** The model's half of a prediction, shared by every title with the same ladder and viewer bucket. */
export interface ModelPrediction {
  startupMs: number | null;
  stallRisk: number | null;
}

export interface PlaybackPredictor {
  /** The prediction for a title's ladder and a viewer's throughput; never throws (nulls where unknown). */
  predict(ladder: LadderRecord, throughput: ThroughputDistribution | undefined): PredictedPlayback;
  /** `predict`'s `fits` and `lowestRungKbps` alone, without the model: a rung compared with the p10. */
  fit(ladder: LadderRecord, throughput: ThroughputDistribution | undefined): RungFit;
  /**
   * Model runs and cache answers so far, and answers given without the model's half because its run
   * was still under way (for the bench and the tests).
   */
  readonly stats: { modelRuns: number; cacheHits: number; answeredBeforeModel: number };
  /** Settles once every model run started so far has ended (tests; a graceful stop). */
  settled(): Promise<void>;
}

export type RungFit = Pick<PredictedPlayback, 'lowestRungKbps' | 'fits'>;

/** What the predictor answers without a model run: no throughput known, or a ladder the model refuses. */
export const UNKNOWN_MODEL_PREDICTION: ModelPrediction = { startupMs: null, stallRisk: null };

export function createPlaybackPredictor(options: PredictorOptions = {}): PlaybackPredictor {
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, ModelPrediction>();
  const stats = { modelRuns: 0, cacheHits: 0, answeredBeforeModel: 0 };
  const { runner } = options;
  /** Runs under way on the runner, by cache key: each key runs once however many ask meanwhile. */
  const running = new Map<string, Promise<void>>();
  const remember = (key: string, prediction: ModelPrediction) => {
    // Map order is insertion order: the first key is the oldest entry.
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(key, prediction);
  };
  const fit = (record: LadderRecord, throughput: ThroughputDistribution | undefined): RungFit => {
    const model = modelLadderOf(record);
    const lowestRungKbps = model === undefined ? null : (model.rungs[0]?.bandwidth ?? 0) / 1000;
    const known = lowestRungKbps !== null && throughput !== undefined && throughput.samples > 0;
    return { lowestRungKbps, fits: known ? lowestRungKbps <= throughput.p10 : null };
  };
  return {
    stats,
    fit,
    async settled() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
    predict(record, throughput) {
      const model = modelLadderOf(record);
      const { lowestRungKbps, fits } = fit(record, throughput);
      const bucket = throughput === undefined ? undefined : throughputBucket(throughput);
      if (model === undefined || bucket === undefined || throughput === undefined) {
        return { ...UNKNOWN_MODEL_PREDICTION, lowestRungKbps, fits: null };
      }
      const key = `${ladderKeyOf(record)}|${bucket.p10}/${bucket.p50}/${bucket.p90}`;
      let prediction = cache.get(key);
      if (prediction !== undefined) {
        stats.cacheHits++;
      } else if (runner === undefined) {
        stats.modelRuns++;
        prediction = runModel(model, bucket);
        remember(key, prediction);
      } else {
        if (!running.has(key)) {
          stats.modelRuns++;
          const run = runner
            .run(model, bucket)
            // A runner that cannot run (its worker died) costs this one prediction on the caller's thread.
            .catch(() => runModel(model, bucket))
            .then((answer) => remember(key, answer))
            .finally(() => running.delete(key));
          running.set(key, run);
        }
        stats.answeredBeforeModel++;
        prediction = UNKNOWN_MODEL_PREDICTION;
      }
      return { ...prediction, lowestRungKbps, fits };
    },
  };
}

/** `default@2:1099000,2099000|99000`: the definition and what its encode of this video measured. */
const ladderKeyOf = memoizeByObject(
  (record: LadderRecord): string =>
    `${record.ladderId}@${record.ladderVersion}:${record.renditions
      .map((r) => r.peakBitrate)
      .sort((a, b) => a - b)
      .join(',')}|${record.audio?.peakBitrate ?? 0}`,
);

/**
 * The model's ladder for a published record, lowest rung first as streamloop's master playlist lists
 * them: BANDWIDTH = rendition peak + audio peak (hls-playlists.ts), segments of MODEL_SEGMENT_SEC at
 * the rendition's measured average bitrate up to PREDICTION_HORIZON_SEC, audio as its own rendition.
 * Records older than measured bitrates (0) fall back to the rung's encoder settings. Undefined for a
 * record the model cannot play (no renditions).
 */
export const modelLadderOf = memoizeByObject((record: LadderRecord): Ladder | undefined => {
  if (record.renditions.length === 0) return undefined;
  const audio = record.audio;
  const audioPeak = audio?.peakBitrate ?? 0;
  const count = Math.ceil(PREDICTION_HORIZON_SEC / MODEL_SEGMENT_SEC);
  const segmentsAt = (bitsPerSecond: number): MediaSegment[] =>
    Array.from({ length: count }, () => ({
      durationSec: MODEL_SEGMENT_SEC,
      bytes: Math.round((bitsPerSecond * MODEL_SEGMENT_SEC) / 8),
    }));
  const rungs = record.renditions
    .map((r) => ({
      bandwidth: (r.peakBitrate > 0 ? r.peakBitrate : r.maxrateKbps * 1000) + audioPeak,
      width: r.width,
      height: r.height,
      segments: segmentsAt(r.averageBitrate > 0 ? r.averageBitrate : r.videoBitrateKbps * 1000),
    }))
    .sort((a, b) => a.bandwidth - b.bandwidth);
  return {
    rungs,
    targetDurationSec: MODEL_SEGMENT_SEC,
    ...(audio === undefined ? {} : { audio: { segments: segmentsAt(audio.averageBitrate) } }),
  };
});

export interface ThroughputBucket {
  p10: number;
  p50: number;
  p90: number;
}

const stepOf = (kbps: number): number => Math.round(Math.log2(Math.max(kbps, MIN_KBPS)) * STEPS_PER_OCTAVE);
const kbpsOf = (step: number): number => 2 ** (step / STEPS_PER_OCTAVE);

/**
 * The distribution's p10/p50/p90 on the quarter-octave scale (2^(k/4) kbit/s), at least one step
 * apart; undefined without samples, where there is nothing to model.
 */
export function throughputBucket(distribution: ThroughputDistribution): ThroughputBucket | undefined {
  if (distribution.samples === 0) return undefined;
  const s50 = stepOf(distribution.p50);
  const s10 = Math.min(stepOf(distribution.p10), s50 - MIN_SPREAD_STEPS);
  const s90 = Math.max(stepOf(distribution.p90), s50 + MIN_SPREAD_STEPS);
  return { p10: kbpsOf(s10), p50: kbpsOf(s50), p90: kbpsOf(s90) };
}

/**
 * Share of the viewer's time under 0.1 Mbit/s (the network class' outage input): 0 when p10 is above
 * it, else read off the distribution by interpolating its CDF linearly in log throughput between
 * (p10, 0.1), (p50, 0.5) and (p90, 0.9).
 */
export function shareBelow100Kbps(bucket: ThroughputBucket): number {
  const at = 100;
  if (bucket.p10 >= at) return 0;
  const between = (lowKbps: number, highKbps: number, lowShare: number, highShare: number) =>
    lowShare + ((highShare - lowShare) * Math.log(at / lowKbps)) / Math.log(highKbps / lowKbps);
  if (bucket.p50 >= at) return between(bucket.p10, bucket.p50, 0.1, 0.5);
  if (bucket.p90 >= at) return between(bucket.p50, bucket.p90, 0.5, 0.9);
  return 0.9;
}

/** A network class whose pooled p10/p50/p90 are the bucket's, moving like streaming viewers' links. */
export function viewerNetworkClass(bucket: ThroughputBucket): NetworkClass {
  if (TRACE_SHAPE === undefined) throw new Error("playback-model lost its 'puffer-2022' network class");
  return {
    ...TRACE_SHAPE,
    id: 'viewer',
    label: `viewer p10/p50/p90 ${bucket.p10.toFixed(0)}/${bucket.p50.toFixed(0)}/${bucket.p90.toFixed(0)} kbit/s`,
    throughputMbps: { p10: bucket.p10 / 1000, p50: bucket.p50 / 1000, p90: bucket.p90 / 1000 },
    shareBelow100Kbps: shareBelow100Kbps(bucket),
  };
}

/** The model's half of a prediction: PREDICTION_RUNS seeded sessions of the ladder in the bucket. */
export function runModel(ladder: Ladder, bucket: ThroughputBucket): ModelPrediction {
  const networkClass = viewerNetworkClass(bucket);
  let stallMs = 0;
  let watchMs = 0;
  let startupSum = 0;
  let started = 0;
  try {
    for (let run = 0; run < PREDICTION_RUNS; run++) {
      // Longer than the horizon: a session that stalls outlives its media time (the trace loops after).
      const trace = generateSyntheticTrace(networkClass, {
        seed: run,
        durationSec: 4 * PREDICTION_HORIZON_SEC,
      });
      const outcome = simulateSession({ ladder, trace, viewport: VIEWPORT, watch: {} });
      stallMs += outcome.rebufferDurationMs;
      watchMs += outcome.watchTimeMs;
      if (outcome.startupTimeMs !== undefined) {
        startupSum += outcome.startupTimeMs;
        started++;
      }
    }
  } catch {
    // A ladder the model refuses (ModelInputError) gets no prediction rather than failing the answer.
    return UNKNOWN_MODEL_PREDICTION;
  }
  return {
    startupMs: started === 0 ? null : Math.round(startupSum / started),
    stallRisk: watchMs > 0 ? Math.min(1, stallMs / watchMs) : null,
  };
}
