/**
 * Fast mode: every session on the model's virtual clock, no segment bytes moved. Per title the
 * ladder the stack published (playback-source.ts); per plan a trace, `simulateSession`, and the
 * beacons the SDK would have sent (session-beacons.ts), which still go through the real collector
 * (or to a file) so analytics sees them. Sessions end at times spread over a window ending now, so
 * the dashboards' recent ranges show them.
 */

import type { Beacon } from '@streamloop/core/schemas/beacon';
import { planSessions, type SessionPlan, traceForPlan } from '@streamloop/playback-model/audience';
import { checkLadder, type Ladder, ladderDurationSec } from '@streamloop/playback-model/ladder';
import {
  type SegmentRequest,
  type SessionOutcome,
  simulateSession,
} from '@streamloop/playback-model/player-model';
import { hashSeed } from '@streamloop/playback-model/random';
import type { NetworkTrace } from '@streamloop/playback-model/trace';
import { networkClassOf } from './audience-file.js';
import { fetchPlayback, fetchPublishedLadder, PlaybackError } from './playback-source.js';
import type { RunContext, RunResult } from './run-context.js';
import { sessionBeacons, sessionIds } from './session-beacons.js';
import type { SessionRecord } from './summary.js';

export interface FastTitle {
  videoId: string;
  ladder: Ladder;
  playback: { ladderId: string | undefined; variant: string | undefined };
}

export interface FastSessionOptions {
  /** Names the run in every id (see runKeyOf). */
  runKey: string;
  titleOf(plan: SessionPlan): FastTitle;
  traces: Readonly<Record<string, NetworkTrace>>;
  /** Sessions end within [nowMs − windowMs, nowMs]. */
  nowMs: number;
  windowMs: number;
  heartbeatIntervalMs?: number;
}

export interface FastSession {
  beacons: Beacon[];
  record: SessionRecord;
  /** What the model says happened, for callers that check the beacons against it. */
  outcome: SessionOutcome;
}

/** The whole per-session path, pure: plan → trace → model → beacons (what the benchmark times). */
export function createFastSessionRunner(options: FastSessionOptions): (plan: SessionPlan) => FastSession {
  const checked = new WeakSet<Ladder>();
  return (plan) => {
    const title = options.titleOf(plan);
    if (!checked.has(title.ladder)) {
      checkLadder(title.ladder);
      checked.add(title.ladder);
    }
    const durationSec = ladderDurationSec(title.ladder);
    const trace = traceForPlan(plan, options.traces, Math.max(60, durationSec));
    const segmentRequests: SegmentRequest[] = [];
    const outcome = simulateSession({
      ladder: title.ladder,
      trace,
      viewport: plan.viewport,
      watch: plan.watch,
      ladderChecked: true,
      onSegmentRequest: (request) => segmentRequests.push(request),
    });
    const ids = sessionIds(options.runKey, plan);
    // Where in the window this session ends: fixed by its id, so a re-run places it the same way.
    const endsAgoMs = (hashSeed(ids.sessionId) / 2 ** 32) * options.windowMs;
    const startMs = Math.round(options.nowMs - endsAgoMs - outcome.sessionDurationMs);
    const networkClass = networkClassOf(plan);
    const beacons = sessionBeacons({
      outcome,
      plan,
      ladder: title.ladder,
      ids,
      videoId: title.videoId,
      startMs,
      playback: title.playback,
      networkClass,
      mediaDurationMs: Math.round(durationSec * 1000),
      segmentRequests,
      ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
    });
    return {
      beacons,
      outcome,
      record: {
        cohort: plan.cohort,
        networkClass,
        startupTimeMs: outcome.startupTimeMs,
        watchTimeMs: outcome.watchTimeMs,
        playTimeMs: outcome.playTimeMs,
        rebufferDurationMs: outcome.rebufferDurationMs,
        meanBitrateKbps: outcome.meanBitrateKbps,
        bytesDownloaded: outcome.bytesDownloaded,
      },
    };
  };
}

/**
 * `sim-` and 8 hex digits from the seed, the audience and the video mapping: the same run gives the
 * same ids (analytics deduplicates on beaconId, so a re-run is counted once), another audience or
 * seed gives others.
 */
export function runKeyOf(seed: number, audience: unknown, videos: readonly string[]): string {
  const hash = hashSeed(`${seed}\n${JSON.stringify(audience)}\n${videos.join(',')}`);
  return `sim-${hash.toString(16).padStart(8, '0')}`;
}

export async function runFastMode(context: RunContext): Promise<RunResult> {
  const { loaded, options } = context;
  const target = { target: options.target, apiKey: options.apiKey, fetch: context.fetch };
  const titles = new Map<string, FastTitle>();
  for (const title of loaded.audience.titles) {
    const videoId = context.videoOf(title);
    const known = [...titles.values()].find((t) => t.videoId === videoId);
    if (known) {
      titles.set(title, known);
      continue;
    }
    const playback = await fetchPlayback(target, videoId);
    const ladder = await fetchPublishedLadder(target, playback);
    try {
      checkLadder(ladder);
    } catch (error) {
      throw new PlaybackError(
        videoId,
        0,
        `the published ladder cannot be simulated: ${(error as Error).message}`,
      );
    }
    titles.set(title, {
      videoId,
      ladder,
      playback: { ladderId: playback.ladderId, variant: playback.variant },
    });
  }
  const plans = [...planSessions(loaded.audience, options.seed)];
  context.setTotal(plans.length);
  const run = createFastSessionRunner({
    runKey: runKeyOf(options.seed, loaded.audience, options.videos),
    titleOf: (plan) => titles.get(plan.titleId) as FastTitle,
    traces: loaded.traces,
    nowMs: Date.now(),
    windowMs: options.windowMs,
  });
  let sessions = 0;
  for (const plan of plans) {
    if (context.signal.aborted) break;
    let session: FastSession;
    try {
      session = run(plan);
    } catch (error) {
      context.sessionFailed(`${plan.viewerId} session ${plan.sessionIndex}: ${(error as Error).message}`);
      continue;
    }
    await context.sink.write(session.beacons);
    context.summary.add(session.record);
    context.sessionDone();
    sessions++;
  }
  return { sessions };
}
