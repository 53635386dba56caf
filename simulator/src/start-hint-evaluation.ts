/**
 * Does the start-rung hint help? (issue 14) A pure, seeded experiment on the playback model, no
 * browser: SIMULATED (synthetic) viewers, not real audience data.
 *
 * Per viewer of a group (network classes taken round-robin):
 * 1. History: `priorSessions` sessions played with VHS' default start, each measured as the SDK
 *    measures it — per heartbeat interval, the bytes of the main segment requests that ended in it
 *    over their summed round trips (player-sdk network-controller `throughputKbps`).
 * 2. The viewer's distribution over every such interval of every prior view, pooled — as analytics'
 *    viewer feature set pools a viewer's measurements (feature-queries `viewerSql`) — and the hint
 *    from it through core's `startBitrateHintKbps`: the one function the playback API serves it with.
 * 3. The next session, played twice on the same trace: VHS' default initial bandwidth, and the hint
 *    as VHS' `bandwidth` option (kbit/s × 1000, as the SDK seeds it). No hint (too few views
 *    measured) means the option is off: both runs are the default.
 *
 * What the model leaves out, said here: synthetic traces draw a new session level every session,
 * so a viewer's history tells the class, not a line of their own; heartbeats are taken every 10 s
 * from the first frame (the SDK also beats on a rendition switch); audio segment requests are not
 * in the measurement (the SDK counts them too).
 */
import { startBitrateHintKbps, type ThroughputDistribution } from '@streamloop/core/features';
import type { Ladder as LadderDefinition } from '@streamloop/core/schemas/ladder';
import type { Viewport } from '@streamloop/playback-model/abr-policy';
import { INITIAL_BANDWIDTH } from '@streamloop/playback-model/bandwidth-estimator';
import { checkLadder, type Ladder, type MediaSegment } from '@streamloop/playback-model/ladder';
import { findNetworkClass, type NetworkClass } from '@streamloop/playback-model/network-classes';
import {
  type SegmentRequest,
  type SessionOutcome,
  simulateSession,
} from '@streamloop/playback-model/player-model';
import { generateSyntheticTrace } from '@streamloop/playback-model/synthetic-trace';
import { SDK_HEARTBEAT_INTERVAL_MS } from './session-beacons.js';
import { percentile } from './summary.js';

/** transcode's CMAF segment length (encode-and-package.ts): a ladder definition does not state it. */
export const DEFINITION_SEGMENT_SEC = 6;
/** "Early": the first 30 s after the first frame, where a stall most often makes a viewer leave. */
export const EARLY_WINDOW_MS = 30_000;

export interface ViewerGroup {
  name: string;
  /** Network class ids (packages/playback-model network-classes-data.ts). */
  classIds: readonly string[];
}

export interface StartHintEvaluationOptions {
  seed: string | number;
  ladder: Ladder;
  viewport: Viewport;
  groups: readonly ViewerGroup[];
  viewersPerGroup: number;
  /** Views in each viewer's history (START_HINT_MIN_SAMPLES or more for a hint). */
  priorSessions: number;
  /** Seconds of the title each session plays (history and next session alike). */
  sessionPlaySec: number;
  /**
   * Chromium with VHS' default `useNetworkInformationApi`: the browser's downlink replaces VHS'
   * bandwidth below 10 Mbit/s, the hint included (see the model's `networkInformation`). Absent:
   * a browser without the API (Safari, Firefox) or the option off.
   */
  networkInformation?: { downlinkMultiplier?: number };
}

export interface Compared<T> {
  without: T;
  with: T;
}

export interface GroupEvaluation {
  name: string;
  classes: { id: string; label: string }[];
  /** Paired next sessions (one per viewer). */
  sessions: number;
  /** Of them, viewers who had a hint (the others played the default twice). */
  hintedSessions: number;
  hintKbps: { p10: number; median: number; p90: number } | null;
  /** Sessions that never showed a frame (none expected: nobody abandons). */
  startFailures: Compared<number>;
  startupTimeMs: Compared<{ median: number; p90: number }> & {
    pairedDifference: { median: number; mean: number };
  };
  /** Stall ms in the early window, per session. */
  earlyStallMs: Compared<{ mean: number; p90: number }> & { pairedDifference: { mean: number } };
  /** Share of sessions with any stall in the early window. */
  earlyStallShare: Compared<number> & { difference: number };
  /**
   * Startup plus early stall ms: all the waiting before 30 s of watching. A sooner start can meet an
   * outage as a stall that a later start would have sat out as part of its startup.
   */
  startupPlusEarlyStallMs: Compared<{ median: number; mean: number }> & {
    pairedDifference: { median: number; mean: number };
  };
  /** BANDWIDTH of the rung VHS asked the first segment of, kbit/s. */
  initialBitrateKbps: Compared<{ median: number }> & {
    ratioOfMedians: number;
    pairedDifference: { median: number; mean: number };
  };
  /** BANDWIDTH of the rung of the first segment that arrived (after any early abort): the first picture. */
  firstPictureBitrateKbps: Compared<{ median: number }> & {
    ratioOfMedians: number;
    pairedDifference: { median: number; mean: number };
  };
}

export interface StartHintEvaluation {
  synthetic: true;
  seed: string | number;
  viewport: Viewport;
  priorSessions: number;
  sessionPlaySec: number;
  networkInformation: boolean;
  defaultInitialBandwidth: number;
  groups: GroupEvaluation[];
}

/**
 * The model's ladder for a ladder definition before anything was encoded with it: BANDWIDTH as the
 * packager declares it (the rendition's peak, here the definition's maxrate, plus the audio's),
 * 16:9 pictures, segments of DEFINITION_SEGMENT_SEC at the average video bitrate, and the shared
 * audio as its own rendition (VHS' audio loader).
 */
export function modelLadderOfDefinition(definition: LadderDefinition, durationSec: number): Ladder {
  const count = Math.ceil(durationSec / DEFINITION_SEGMENT_SEC);
  const segmentsAt = (kbps: number): MediaSegment[] =>
    Array.from({ length: count }, () => ({
      durationSec: DEFINITION_SEGMENT_SEC,
      bytes: Math.round((kbps * 1000 * DEFINITION_SEGMENT_SEC) / 8),
    }));
  const ladder: Ladder = {
    rungs: definition.rungs
      .map((rung) => ({
        bandwidth: (rung.maxrateKbps + definition.audioBitrateKbps) * 1000,
        // Even widths, as the encoder's scale filter rounds them.
        width: Math.round((rung.height * 16) / 9 / 2) * 2,
        height: rung.height,
        segments: segmentsAt(rung.videoBitrateKbps),
      }))
      .sort((a, b) => a.bandwidth - b.bandwidth),
    targetDurationSec: DEFINITION_SEGMENT_SEC,
    audio: { segments: segmentsAt(definition.audioBitrateKbps) },
  };
  checkLadder(ladder);
  return ladder;
}

/**
 * One view's throughput measurements as the SDK reports them: the `throughputKbps` of each heartbeat
 * interval (every SDK_HEARTBEAT_INTERVAL_MS from the first frame, and the rest at the view's end),
 * Σ bits / Σ round-trip ms of the segment requests that ended in it. Empty when no interval measured
 * anything.
 */
export function viewThroughputSamplesKbps(
  requests: readonly SegmentRequest[],
  firstFrameMs: number | undefined,
  endMs: number,
): number[] {
  const samples: number[] = [];
  let bits = 0;
  let roundTripMs = 0;
  let beatAtMs =
    firstFrameMs === undefined ? Number.POSITIVE_INFINITY : firstFrameMs + SDK_HEARTBEAT_INTERVAL_MS;
  const take = (): void => {
    if (roundTripMs > 0) samples.push(Math.round(bits / roundTripMs));
    bits = 0;
    roundTripMs = 0;
  };
  for (const request of requests) {
    while (request.endMs > beatAtMs && beatAtMs < endMs) {
      take();
      beatAtMs += SDK_HEARTBEAT_INTERVAL_MS;
    }
    bits += request.bytes * 8;
    roundTripMs += request.endMs - request.sentMs;
  }
  take();
  return samples;
}

/**
 * A viewer's throughput distribution over all their measurements pooled, as the contract's
 * ThroughputDistribution (analytics' viewer set: `quantilesExactInclusive` over every sample).
 */
export function viewerThroughput(samplesKbps: readonly number[]): ThroughputDistribution {
  const sorted = [...samplesKbps].sort(byValue);
  const at = (p: number): number => (sorted.length === 0 ? 0 : quantileExactInclusive(sorted, p));
  return { samples: sorted.length, p10: at(0.1), p25: at(0.25), p50: at(0.5), p75: at(0.75), p90: at(0.9) };
}

/** ClickHouse's quantileExactInclusive (linear between ranks, R-7), which analytics' feature jobs use. */
function quantileExactInclusive(sorted: readonly number[], p: number): number {
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const low = sorted[below] ?? 0;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (position - below);
}

const byValue = (a: number, b: number): number => a - b;

interface SessionMeasures {
  startupTimeMs: number | undefined;
  earlyStallMs: number;
  initialBitrateKbps: number;
  firstPictureBitrateKbps: number | undefined;
}

export function evaluateStartHint(options: StartHintEvaluationOptions): StartHintEvaluation {
  const { ladder, viewport } = options;
  checkLadder(ladder);
  // Traces outlast a session's wall time (startup and stalls included); longer ones loop.
  const traceSec = options.sessionPlaySec * 2 + 60;
  const play = (
    networkClass: NetworkClass,
    traceSeed: string,
    initialBandwidth: number | undefined,
  ): { outcome: SessionOutcome; requests: SegmentRequest[] } => {
    const requests: SegmentRequest[] = [];
    const outcome = simulateSession({
      ladder,
      trace: generateSyntheticTrace(networkClass, { seed: traceSeed, durationSec: traceSec }),
      viewport,
      watch: { playSec: options.sessionPlaySec },
      ladderChecked: true,
      ...(initialBandwidth === undefined ? {} : { initialBandwidth }),
      ...(options.networkInformation === undefined ? {} : { networkInformation: options.networkInformation }),
      onSegmentRequest: (request) => requests.push(request),
    });
    return { outcome, requests };
  };

  const groups = options.groups.map((group): GroupEvaluation => {
    const classes = group.classIds.map((id) => {
      const found = findNetworkClass(id);
      if (!found) throw new RangeError(`group ${group.name}: unknown network class "${id}"`);
      return found;
    });
    const without: SessionMeasures[] = [];
    const hinted: SessionMeasures[] = [];
    const hints: number[] = [];
    for (let v = 0; v < options.viewersPerGroup; v++) {
      const networkClass = classes[v % classes.length] as NetworkClass;
      const viewerSeed = `${options.seed}:${group.name}:${v}`;
      const measured: number[] = [];
      for (let s = 0; s < options.priorSessions; s++) {
        const { outcome, requests } = play(networkClass, `${viewerSeed}:${s}`, undefined);
        measured.push(
          ...viewThroughputSamplesKbps(requests, outcome.startupTimeMs, outcome.sessionDurationMs),
        );
      }
      const hintKbps = startBitrateHintKbps(viewerThroughput(measured));
      const nextSeed = `${viewerSeed}:${options.priorSessions}`;
      const base = play(networkClass, nextSeed, undefined);
      without.push(measure(base));
      if (hintKbps === null) {
        hinted.push(measure(base));
      } else {
        hints.push(hintKbps);
        hinted.push(measure(play(networkClass, nextSeed, hintKbps * 1000)));
      }
    }
    return summarise(group, classes, without, hinted, hints);
  });
  return {
    synthetic: true,
    seed: options.seed,
    viewport,
    priorSessions: options.priorSessions,
    sessionPlaySec: options.sessionPlaySec,
    networkInformation: options.networkInformation !== undefined,
    defaultInitialBandwidth: INITIAL_BANDWIDTH,
    groups,
  };

  function measure({
    outcome,
    requests,
  }: {
    outcome: SessionOutcome;
    requests: SegmentRequest[];
  }): SessionMeasures {
    const firstFrameMs = outcome.startupTimeMs;
    let earlyStallMs = 0;
    if (firstFrameMs !== undefined) {
      const windowEndMs = firstFrameMs + EARLY_WINDOW_MS;
      let stallStartMs: number | undefined;
      for (const event of outcome.events) {
        if (event.type === 'rebufferstart') stallStartMs = event.atMs;
        else if (event.type === 'rebufferend' && stallStartMs !== undefined) {
          earlyStallMs += Math.max(0, Math.min(event.atMs, windowEndMs) - stallStartMs);
          stallStartMs = undefined;
        }
      }
    }
    const initial = outcome.events.find((event) => event.type === 'renditionchange');
    const firstArrived = requests.find((request) => !request.aborted);
    const firstPictureRung = firstArrived === undefined ? undefined : ladder.rungs[firstArrived.rung];
    return {
      startupTimeMs: firstFrameMs,
      earlyStallMs,
      initialBitrateKbps: initial?.type === 'renditionchange' ? initial.bitrateKbps : 0,
      firstPictureBitrateKbps: firstPictureRung === undefined ? undefined : firstPictureRung.bandwidth / 1000,
    };
  }
}

function summarise(
  group: ViewerGroup,
  classes: readonly NetworkClass[],
  without: readonly SessionMeasures[],
  hinted: readonly SessionMeasures[],
  hints: readonly number[],
): GroupEvaluation {
  const column = (runs: readonly SessionMeasures[], pick: (m: SessionMeasures) => number | undefined) =>
    runs.map(pick).filter((value): value is number => value !== undefined);
  const sortedOf = (values: readonly number[]) => [...values].sort(byValue);
  const median = (values: readonly number[]) => percentile(sortedOf(values), 0.5) ?? 0;
  const p90 = (values: readonly number[]) => percentile(sortedOf(values), 0.9) ?? 0;
  const mean = (values: readonly number[]) =>
    values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
  // Paired: the same viewer's next session on the same trace, hint minus default.
  const differences = (pick: (m: SessionMeasures) => number | undefined): number[] => {
    const out: number[] = [];
    without.forEach((base, i) => {
      const a = pick(base);
      const b = hinted[i] === undefined ? undefined : pick(hinted[i] as SessionMeasures);
      if (a !== undefined && b !== undefined) out.push(b - a);
    });
    return out;
  };
  const startup = (m: SessionMeasures) => m.startupTimeMs;
  const stall = (m: SessionMeasures) => (m.startupTimeMs === undefined ? undefined : m.earlyStallMs);
  const stalledShare = (runs: readonly SessionMeasures[]) => {
    const started = column(runs, stall);
    return started.length === 0 ? 0 : started.filter((ms) => ms > 0).length / started.length;
  };
  const bitrate = (pick: (m: SessionMeasures) => number | undefined) => {
    const withoutMedian = median(column(without, pick));
    const withMedian = median(column(hinted, pick));
    const paired = differences(pick);
    return {
      without: { median: withoutMedian },
      with: { median: withMedian },
      ratioOfMedians: withoutMedian > 0 ? withMedian / withoutMedian : 0,
      pairedDifference: { median: median(paired), mean: mean(paired) },
    };
  };
  const shareWithout = stalledShare(without);
  const shareWith = stalledShare(hinted);
  const startupDifferences = differences(startup);
  const wait = (m: SessionMeasures) =>
    m.startupTimeMs === undefined ? undefined : m.startupTimeMs + m.earlyStallMs;
  const waitDifferences = differences(wait);
  return {
    name: group.name,
    classes: classes.map((networkClass) => ({ id: networkClass.id, label: networkClass.label })),
    sessions: without.length,
    hintedSessions: hints.length,
    hintKbps:
      hints.length === 0
        ? null
        : { p10: percentile(sortedOf(hints), 0.1) ?? 0, median: median(hints), p90: p90(hints) },
    startFailures: {
      without: without.filter((m) => m.startupTimeMs === undefined).length,
      with: hinted.filter((m) => m.startupTimeMs === undefined).length,
    },
    startupTimeMs: {
      without: { median: median(column(without, startup)), p90: p90(column(without, startup)) },
      with: { median: median(column(hinted, startup)), p90: p90(column(hinted, startup)) },
      pairedDifference: { median: median(startupDifferences), mean: mean(startupDifferences) },
    },
    earlyStallMs: {
      without: { mean: mean(column(without, stall)), p90: p90(column(without, stall)) },
      with: { mean: mean(column(hinted, stall)), p90: p90(column(hinted, stall)) },
      pairedDifference: { mean: mean(differences(stall)) },
    },
    earlyStallShare: { without: shareWithout, with: shareWith, difference: shareWith - shareWithout },
    startupPlusEarlyStallMs: {
      without: { median: median(column(without, wait)), mean: mean(column(without, wait)) },
      with: { median: median(column(hinted, wait)), mean: mean(column(hinted, wait)) },
      pairedDifference: { median: median(waitDifferences), mean: mean(waitDifferences) },
    },
    initialBitrateKbps: bitrate((m) => m.initialBitrateKbps),
    firstPictureBitrateKbps: bitrate((m) => m.firstPictureBitrateKbps),
  };
}
