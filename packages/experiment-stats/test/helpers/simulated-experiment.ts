/**
 * Simulated experiments (synthetic viewers, never real data) driven by the audience simulator's fast
 * mode: `planSessions` draws the audience, `createFastSessionRunner` (simulator/fast-mode) plays each
 * session on the playback model's virtual clock — the same per-session path `npm run simulate` uses,
 * minus the HTTP sink. This adapter does what the simulator does not export yet: it assigns each
 * viewer to an arm by a stable hash (as the playback API will), orders viewers' arrival, and sums
 * each viewer's sessions into the per-viewer aggregates the statistics take.
 */
import { createHash } from 'node:crypto';
import { type Audience, planSessions, type SessionPlan } from '@streamloop/playback-model/audience';
import type { Ladder } from '@streamloop/playback-model/ladder';
import { createFastSessionRunner, type FastTitle } from '@streamloop/simulator/fast-mode';

export interface SimulatedArm {
  name: string;
  ladder: Ladder;
  /** Traffic share; arms' shares add up to 1. */
  share: number;
}

/** One synthetic viewer's totals over all of their sessions. */
export interface SimulatedViewer {
  viewerId: string;
  arm: number;
  synthetic: true;
  views: number;
  /** Views that reached a first frame. */
  startedViews: number;
  watchMs: number;
  rebufferMs: number;
  bitsDownloaded: number;
  startupMs: number[];
}

const BUCKETS = 10_000;

/**
 * Bucket of (salt, viewer) in [0, 10 000), then the arm whose cumulative share covers it. SHA-256,
 * not FNV-1a: FNV's low bits follow the last characters of sequential ids ("3g-17", "3g-18"), which
 * balanced the arms better than chance within a cohort and made every A/A look too quiet.
 */
export function assignArm(salt: string, viewerId: string, shares: readonly number[]): number {
  const bucket = createHash('sha256').update(`${salt}:${viewerId}`).digest().readUInt32BE(0) % BUCKETS;
  let edge = 0;
  for (let arm = 0; arm < shares.length; arm++) {
    edge += (shares[arm] ?? 0) * BUCKETS;
    if (bucket < edge) return arm;
  }
  return shares.length - 1;
}

/**
 * Every viewer of the audience (seeded by `seed`), in arrival order, with their arm and totals.
 * All of a viewer's sessions are played when they arrive (a simplification: looks then see whole
 * viewers, which is what a per-viewer metric computes at any time anyway).
 */
export function simulateExperiment(options: {
  audience: Audience;
  seed: number;
  arms: readonly SimulatedArm[];
}) {
  const { audience, seed, arms } = options;
  const shares = arms.map((arm) => arm.share);
  const titles: FastTitle[] = arms.map((arm, i) => ({
    videoId: `synthetic-arm-${i}`,
    ladder: arm.ladder,
    playback: { ladderId: arm.name, variant: undefined },
  }));
  const salt = `experiment-${seed}`;
  const viewers = new Map<string, SimulatedViewer>();
  const armOf = (plan: SessionPlan): number => {
    let viewer = viewers.get(plan.viewerId);
    if (!viewer) {
      viewer = {
        viewerId: plan.viewerId,
        arm: assignArm(salt, plan.viewerId, shares),
        synthetic: true,
        views: 0,
        startedViews: 0,
        watchMs: 0,
        rebufferMs: 0,
        bitsDownloaded: 0,
        startupMs: [],
      };
      viewers.set(plan.viewerId, viewer);
    }
    return viewer.arm;
  };
  const run = createFastSessionRunner({
    runKey: `synthetic-${seed}`,
    titleOf: (plan) => titles[armOf(plan)] as FastTitle,
    traces: {},
    nowMs: 0,
    windowMs: 1,
  });
  for (const plan of planSessions(audience, seed)) {
    const { record } = run(plan);
    const viewer = viewers.get(plan.viewerId) as SimulatedViewer;
    viewer.views++;
    viewer.watchMs += record.watchTimeMs;
    viewer.rebufferMs += record.rebufferDurationMs;
    viewer.bitsDownloaded += record.bytesDownloaded * 8;
    if (record.startupTimeMs !== undefined) {
      viewer.startedViews++;
      viewer.startupMs.push(record.startupTimeMs);
    }
  }
  const arrivalOf = new Map(
    [...viewers.keys()].map((id) => [
      id,
      createHash('sha256').update(`arrival-${seed}:${id}`).digest().readUInt32BE(0),
    ]),
  );
  const arrival = (viewer: SimulatedViewer): number => arrivalOf.get(viewer.viewerId) ?? 0;
  return [...viewers.values()].sort((a, b) => arrival(a) - arrival(b));
}

/** A ladder of 4 s segments of constant size per rung (bytes = actual kbit/s × 500 per 4 s). */
export function constantLadder(
  rungs: readonly { height: number; declaredKbps: number; actualKbps: number }[],
  titleSec = 60,
): Ladder {
  const segmentSec = 4;
  const count = Math.ceil(titleSec / segmentSec);
  return {
    rungs: rungs.map((rung) => ({
      bandwidth: rung.declaredKbps * 1000,
      width: Math.round((rung.height * 16) / 9),
      height: rung.height,
      segments: Array.from({ length: count }, () => ({
        durationSec: segmentSec,
        bytes: Math.round((rung.actualKbps * 1000 * segmentSec) / 8),
      })),
    })),
  };
}
