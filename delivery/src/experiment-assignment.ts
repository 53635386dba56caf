/**
 * Which arm of a running ladder experiment a viewer gets for a video. The viewer (the SDK's
 * `viewerId`) is hashed with the experiment's salt into one of 10,000 buckets —
 * SHA-256(salt ‖ 0 ‖ viewerId), first 32 bits, mod 10,000 — so the same viewer gets the same arm on
 * every call, in every process, after every restart, and two experiments split viewers independently.
 * The bucket's arm is served unless it was stopped (a breached guardrail): then control is.
 *
 * A video takes part only once every arm's ladder is ready for it (encoded arms, and the source of
 * derived arms); until then its viewers all get the primary ladder and no arm, so no arm is fed the
 * viewers another could not take. Running experiments are read from the catalog at most every
 * `refreshMs` (5 s), and each arm's ladder per video is remembered once servable, so assignment
 * costs a hash, a few comparisons and map lookups per playback request.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '@streamloop/catalog/catalog';
import { listExperiments, type StoredExperiment } from '@streamloop/catalog/experiment-repository';
import type { VideoRecord } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import {
  armServesStartHint,
  EXPERIMENT_BUCKETS,
  type Experiment,
  experimentVariant,
} from '@streamloop/core/experiments';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import { choosePlaybackLadder, type PlaybackLadder } from './playback-ladder.js';

/** The viewer's bucket in [0, 10,000) for an experiment's salt. */
export function bucketOf(salt: string, viewerId: string): number {
  const digest = createHash('sha256').update(salt).update('\0').update(viewerId).digest();
  return digest.readUInt32BE(0) % EXPERIMENT_BUCKETS;
}

type Arm = Experiment['arms'][number];

/** The arm served for `bucket`: the bucket's own arm, or control when that arm was stopped. */
export function armFor(experiment: Pick<Experiment, 'arms'>, bucket: number): Arm {
  const own = experiment.arms.find((arm) => bucket >= arm.buckets.from && bucket < arm.buckets.to);
  const control = experiment.arms.find((arm) => arm.control);
  if (own === undefined || control === undefined) throw new Error('experiment arms do not tile the buckets');
  return own.stopped === null ? own : control;
}

/** Whether the experiment's scope takes in this video (its ids, its tags, or a new upload since it started). */
export function coversVideo(
  experiment: Experiment,
  video: Pick<VideoRecord, 'id' | 'tags' | 'createdAt'>,
): boolean {
  const { scope } = experiment;
  if (scope.videoIds?.includes(video.id)) return true;
  if (scope.tags?.some((tag) => video.tags.includes(tag))) return true;
  return (
    scope.newUploads === true && experiment.startedAt !== null && video.createdAt >= experiment.startedAt
  );
}

export interface Assignment {
  experimentId: string;
  arm: string;
  /** `<experimentId>.<arm>`: in the token and on every beacon of the view. */
  variant: string;
  ladder: PlaybackLadder;
  /** Whether the arm's viewers get their start-rung hint (`startHint`, default on). */
  startHint: boolean;
}

export interface ExperimentAssigner {
  assign(video: VideoRecord & { ladder: LadderRecord }, viewerId: string): Promise<Assignment | undefined>;
}

export function createExperimentAssigner(deps: {
  catalog: Queryable;
  refreshMs?: number;
  now?: () => number;
}): ExperimentAssigner {
  const refreshMs = deps.refreshMs ?? 5_000;
  const now = deps.now ?? Date.now;
  let cached: { at: number; running: Promise<StoredExperiment[]> } | undefined;
  // Each arm's ladder per video, once servable: ladder versions never change, and the video's own
  // record is keyed by its updatedAt, so a re-encoded video is resolved again. Bounded: cleared when full.
  const resolved = new Map<string, PlaybackLadder>();
  const MAX_RESOLVED = 50_000;

  const running = (): Promise<StoredExperiment[]> => {
    if (cached === undefined || now() - cached.at >= refreshMs) {
      const loading = listExperiments(deps.catalog, 'running');
      cached = { at: now(), running: loading };
      // A failed read is not kept: the next request tries again.
      loading.catch(() => {
        if (cached?.running === loading) cached = undefined;
      });
    }
    return cached.running;
  };

  /** The arm's ladder for this video, or undefined while it is not servable (not encoded yet). */
  const ladderOf = async (
    experimentId: string,
    video: VideoRecord & { ladder: LadderRecord },
    arm: Arm,
  ): Promise<PlaybackLadder | undefined> => {
    const key = `${experimentId}/${arm.name}/${video.id}/${video.updatedAt}`;
    const known = resolved.get(key);
    if (known !== undefined) return known;
    try {
      const ladder = await choosePlaybackLadder(deps.catalog, video, arm.ladderId, arm.ladderVersion);
      if (resolved.size >= MAX_RESOLVED) resolved.clear();
      resolved.set(key, ladder);
      return ladder;
    } catch (err) {
      if (err instanceof AppError && (err.code === 'ERR_NOT_FOUND' || err.code === 'ERR_CONFLICT'))
        return undefined;
      throw err;
    }
  };

  return {
    async assign(video, viewerId) {
      const experiment = (await running()).find((e) => coversVideo(e, video));
      if (experiment === undefined) return undefined;
      for (const arm of experiment.arms) {
        if ((await ladderOf(experiment.id, video, arm)) === undefined) return undefined;
      }
      const arm = armFor(experiment, bucketOf(experiment.salt, viewerId));
      const ladder = await ladderOf(experiment.id, video, arm);
      if (ladder === undefined) return undefined;
      return {
        experimentId: experiment.id,
        arm: arm.name,
        variant: experimentVariant(experiment.id, arm.name),
        ladder,
        startHint: armServesStartHint(arm),
      };
    },
  };
}
