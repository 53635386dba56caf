/**
 * `GET /api/v1/videos/:id/ladder-plan` (manage scope): the per-title ladder transcode's planner
 * proposes for a ready video, next to its current ladder (issue 13, docs/ladders.md).
 *
 * Three inputs, each named in the answer:
 * - the content probe transcode stored beside the source after the first encode
 *   (`contentProbeKey`): its points make the rate–quality hull;
 * - the audience: the live title feature set's throughput distribution for this video when it has
 *   at least MIN_TITLE_SAMPLES views, else the fleet's (`*`), else REFERENCE_AUDIENCE (no feature
 *   store, or nothing measured yet: a content-only plan). Mobile viewers are assumed present (a
 *   cellular rung is kept): the features do not say who is on a phone yet;
 * - the constraints: the query's, over DEFAULT_PLAN_CONSTRAINTS.
 *
 * `POST` with `{ experiment: true }` (scopes manage and experiments, an operator's key): the same plan
 * made a catalog ladder (`pt-…`, see `proposedLadderDefinition`) and a running experiment on the
 * video, its current ladder as control (50/50); the proposal's encode is queued at once, and delivery
 * assigns viewers when both ladders are encoded. 201 with the plan, the ladder and the experiment.
 *
 * Answers: 404 for a video the key may not see; 409 ERR_CONFLICT for one that is not ready, or that
 * has no content probe (encoded before probes existed, or with TRANSCODE_CONTENT_PROBE=off); 400
 * ERR_VALIDATION naming the constraint for impossible constraints (min above max, no probe point
 * in range, …); 503 when the object store does not answer.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createExperiment } from '@streamloop/catalog/experiment-repository';
import { createLadderVersion } from '@streamloop/catalog/ladder-repository';
import { listVideos } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import type { ExperimentGuardrail } from '@streamloop/core/experiments';
import type { ThroughputDistribution } from '@streamloop/core/features';
import { FLEET_ENTITY } from '@streamloop/core/features';
import type { Logger } from '@streamloop/core/logger';
import { contentProbeKey } from '@streamloop/core/object-layout';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import {
  ContentProbe,
  LadderPlanQuery,
  LadderPlanResponse,
  LadderPlansQuery,
  LadderPlansResponse,
  ProposeLadderBody,
  ProposeLadderResponse,
} from '@streamloop/core/schemas/ladder-plan';
import { createValidator, describeIssues } from '@streamloop/core/validate';
import type { EventLog } from '@streamloop/event-log/event-log';
import { type LiveFeatureSet, openLiveFeatureSet } from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import type { ApiKeyAuth } from '@streamloop/service-kit/api-key';
import { LadderPlanError, type LadderPrediction } from '@streamloop/transcode/per-title/ladder-planner';
import {
  perTitleLadderDefinition,
  planPerTitle,
  REFERENCE_AUDIENCE,
} from '@streamloop/transcode/per-title/per-title-plan';
import { RateQualityInputError } from '@streamloop/transcode/per-title/rate-quality-hull';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { operatorOf, startLadderExperiment } from './experiment-routes.js';
import { ownerScope, principalOf, requireVisibleVideo } from './video-access.js';

export const LADDER_PLAN_PATH = '/api/v1/videos/:id/ladder-plan';
export const LADDER_PLANS_PATH = '/api/v1/ladder-plans';

/** A title's own throughput readings are used from this many views up; fewer: the fleet's. */
export const MIN_TITLE_SAMPLES = 30;

/**
 * The proposal's experiment: QoE score first; the per-title arm may be at most 5 % worse in rebuffer
 * ratio and 10 % in startup time than the current ladder (non-inferiority margins, relative).
 */
export const PER_TITLE_GUARDRAILS: ExperimentGuardrail[] = [
  { metric: 'rebuffer_ratio', marginPercent: 5 },
  { metric: 'startup_time_ms', marginPercent: 10 },
];
/** One title's audience: results are read as more than noise from this many viewers per arm. */
export const PER_TITLE_MINIMUM_VIEWERS_PER_ARM = 1_000;

export interface LadderPlanRoutesDeps {
  catalog: Catalog;
  objectStore: ObjectStore;
  auth: ApiKeyAuth;
  /** Where the proposal's encode is queued. */
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
  /** Absent: every plan uses REFERENCE_AUDIENCE. */
  featureStore?: FeatureStore | undefined;
}

const VideoParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const validateProbe = createValidator(ContentProbe);

export function registerLadderPlanRoutes(app: FastifyInstance, deps: LadderPlanRoutesDeps): void {
  const { catalog, objectStore, featureStore } = deps;
  const manage = deps.auth.guard('manage');

  /** The plan for a video the caller may see: refusals as the top of the file says. */
  const planFor = async (request: FastifyRequest, id: string, query: LadderPlanQuery) => {
    const video = await requireVisibleVideo(catalog, principalOf(request), id);
    if (video.status !== 'ready' || video.ladder === null) {
      throw new AppError(
        'ERR_CONFLICT',
        `video ${video.id} is ${video.status}: a ladder plan needs a ready video (its content probe runs with the first encode)`,
      );
    }
    const probe = await readContentProbe(objectStore, video.id);
    const audience = await readAudience(await openTitleFeatures(featureStore), video.id);
    return { video, plan: planLadderFor(video.id, video.ladder, probe, audience, query) };
  };

  app.get<{ Params: Static<typeof VideoParams>; Querystring: LadderPlanQuery }>(
    LADDER_PLAN_PATH,
    {
      preHandler: manage,
      schema: { params: VideoParams, querystring: LadderPlanQuery, response: { 200: LadderPlanResponse } },
    },
    async (request) => (await planFor(request, request.params.id, request.query)).plan,
  );

  // The fleet view: the newest `scan` ready videos the key may see, each planned with the defaults,
  // the largest saving per hour watched first. Made on the spot (no cache): `scan` bounds the work.
  app.get<{ Querystring: LadderPlansQuery }>(
    LADDER_PLANS_PATH,
    { preHandler: manage, schema: { querystring: LadderPlansQuery, response: { 200: LadderPlansResponse } } },
    async (request): Promise<LadderPlansResponse> => {
      const owner = ownerScope(principalOf(request));
      const { videos } = await listVideos(catalog, {
        status: 'ready',
        limit: request.query.scan,
        ...(owner === undefined ? {} : { owner }),
      });
      // One version of the title features for the whole answer, its pointer read once.
      const features = await openTitleFeatures(featureStore);
      const titles: LadderPlansResponse['titles'] = [];
      const skipped: LadderPlansResponse['skipped'] = [];
      for (const video of videos) {
        if (video.ladder === null) continue;
        try {
          const probe = await readContentProbe(objectStore, video.id);
          const audience = await readAudience(features, video.id);
          const plan = planLadderFor(video.id, video.ladder, probe, audience, {});
          const current = plan.current.totals.expectedBitsPerViewerHour;
          const proposed = plan.proposed.totals.expectedBitsPerViewerHour;
          titles.push({
            videoId: video.id,
            title: video.title,
            audienceSource: plan.audience.source,
            currentLadder: plan.current.id,
            currentBitsPerViewerHour: current,
            proposedBitsPerViewerHour: proposed,
            savedBitsPerViewerHour: current - proposed,
            bitsRatio: plan.comparison.bitsRatio,
            qualityGainDb: plan.comparison.qualityGainDb,
            currentTopKbps: Math.max(...plan.current.rungs.map((r) => r.bitrateKbps)),
            proposedTopKbps: Math.max(...plan.proposed.rungs.map((r) => r.bitrateKbps)),
          });
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          skipped.push({ videoId: video.id, reason: err.message });
        }
      }
      titles.sort(
        (a, b) => b.savedBitsPerViewerHour - a.savedBitsPerViewerHour || (a.videoId < b.videoId ? -1 : 1),
      );
      return {
        titles: titles.slice(0, request.query.limit),
        scanned: videos.length,
        planned: titles.length,
        skipped,
      };
    },
  );

  app.post<{ Params: Static<typeof VideoParams>; Body: ProposeLadderBody }>(
    LADDER_PLAN_PATH,
    {
      preHandler: deps.auth.guard(['manage', 'experiments']),
      schema: {
        params: VideoParams,
        body: ProposeLadderBody,
        response: { 201: ProposeLadderResponse },
      },
    },
    async (request, reply) => {
      const actor = operatorOf(request, 'open a ladder experiment');
      const { experiment: _yes, ...query } = request.body;
      const { video, plan } = await planFor(request, request.params.id, query);
      const current = video.ladder as LadderRecord;
      const { ladder } = await createLadderVersion(
        catalog,
        perTitleLadderDefinition(video.id, plan.proposed.rungs, plan.constraints.cellularRungMaxKbps),
        actor,
      );
      const created = await createExperiment(
        catalog,
        {
          name: `per-title ladder of ${video.id}`,
          hypothesis:
            `The per-title ladder ${ladder.id}@${ladder.version} gives this title's viewers at least the QoE of ` +
            `${current.ladderId}@${current.ladderVersion} at ${formatRatio(plan.comparison.bitsRatio)} of its bits ` +
            `(predicted: ${plan.comparison.qualityGainDb >= 0 ? '+' : ''}${plan.comparison.qualityGainDb.toFixed(2)} dB PSNR, ` +
            `audience: ${plan.audience.source}).`,
          scope: { videoIds: [video.id] },
          arms: [
            {
              name: 'current',
              ladderId: current.ladderId,
              ladderVersion: current.ladderVersion,
              control: true,
              trafficPercent: 50,
            },
            { name: 'per-title', ladderId: ladder.id, ladderVersion: ladder.version, trafficPercent: 50 },
          ],
          primaryMetric: 'qoe_score',
          guardrails: PER_TITLE_GUARDRAILS,
          minimumViewersPerArm: PER_TITLE_MINIMUM_VIEWERS_PER_ARM,
        },
        actor,
      );
      const started = await startLadderExperiment(deps, created.id, actor);
      return reply.code(201).send({
        plan,
        ladder: { id: ladder.id, version: ladder.version },
        experiment: started.experiment,
        encodesQueued: started.encodesQueued,
      });
    },
  );
}

/** The plan's answer: the hull of the probe, the audience, the constraints, both ladders. */
function planLadderFor(
  videoId: string,
  record: LadderRecord,
  probe: ContentProbe,
  audience: Audience,
  query: LadderPlanQuery,
): LadderPlanResponse {
  const current = currentLadderOf(record);
  try {
    const { plan, hull, constraints } = planPerTitle({
      videoId,
      points: probe.points,
      throughputKbps: audience.throughputKbps,
      constraints: query,
      currentLadder: current.ladder,
      audioBitrateKbps: current.audioKbps,
    });
    const onHull = new Set(hull.points.map(pointKey));
    return {
      videoId,
      metric: 'psnr',
      probe: { probedAt: probe.probedAt, settings: probe.settings, cost: probe.cost },
      points: probe.points.map((point) => ({ ...point, onHull: onHull.has(pointKey(point)) })),
      audience: { ...audience, mobileViewers: true },
      constraints,
      proposed: { ...plan.proposed, id: 'per-title' },
      current: plan.current,
      dropped: plan.dropped,
      comparison: compare(plan.proposed, plan.current),
    };
  } catch (err) {
    if (err instanceof LadderPlanError || err instanceof RateQualityInputError) {
      throw new AppError('ERR_VALIDATION', `no ladder can be planned: ${err.message}`);
    }
    throw err;
  }
}

const formatRatio = (ratio: number | null) =>
  ratio === null ? 'an unknown share' : `${Math.round(ratio * 100)} %`;

const pointKey = (point: { width: number; height: number; bitrateKbps: number }) =>
  `${point.width}x${point.height}@${point.bitrateKbps}`;

async function readContentProbe(objectStore: ObjectStore, videoId: string): Promise<ContentProbe> {
  let body: Buffer | null;
  try {
    body = await objectStore.getBuffer(contentProbeKey(videoId));
  } catch (err) {
    throw new AppError(
      'ERR_DEPENDENCY_UNAVAILABLE',
      `the object store did not answer: ${(err as Error).message}`,
    );
  }
  if (body === null) {
    throw new AppError(
      'ERR_CONFLICT',
      `video ${videoId} has no content probe: it was encoded before probes existed or with TRANSCODE_CONTENT_PROBE=off; encode it again (POST /api/v1/videos/${videoId}/ladders) with probes on`,
    );
  }
  const parsed = validateProbe(JSON.parse(body.toString('utf8')));
  if (!parsed.ok) {
    throw new AppError(
      'ERR_CONFLICT',
      `video ${videoId}'s content probe is unreadable (${describeIssues(parsed.issues)}); encode it again`,
    );
  }
  return parsed.value;
}

type Audience = Omit<LadderPlanResponse['audience'], 'mobileViewers'>;

/** The live title feature set; null without a feature store or before the first publish. */
const openTitleFeatures = async (featureStore: FeatureStore | undefined) =>
  featureStore === undefined ? null : openLiveFeatureSet(featureStore, 'title');

/** The title's throughput if measured enough, else the fleet's, else the reference (see the top). */
async function readAudience(set: LiveFeatureSet<'title'> | null, videoId: string): Promise<Audience> {
  const reference: Audience = {
    source: 'reference',
    featureVersion: null,
    samples: 0,
    throughputKbps: REFERENCE_AUDIENCE,
    rungShare: [],
  };
  if (set === null) return reference;
  const [title, fleet] = await set.getMany([videoId, FLEET_ENTITY]);
  const rungShare = title?.rungShare ?? [];
  const version = set.version.version;
  if (title !== null && title !== undefined && title.throughputKbps.samples >= MIN_TITLE_SAMPLES) {
    return { source: 'title', featureVersion: version, ...split(title.throughputKbps), rungShare };
  }
  if (fleet !== null && fleet !== undefined && fleet.throughputKbps.samples > 0) {
    return { source: 'fleet', featureVersion: version, ...split(fleet.throughputKbps), rungShare };
  }
  return { ...reference, rungShare };
}

const split = ({ samples, ...throughputKbps }: ThroughputDistribution) => ({ samples, throughputKbps });

/** The video's current ladder as the planner scores it: each rung's measured average video bitrate. */
function currentLadderOf(record: LadderRecord) {
  return {
    ladder: {
      id: `${record.ladderId}@${record.ladderVersion}`,
      // Heights are short sides, as the probe's and the ladders' are.
      rungs: record.renditions.map((r) => ({
        width: Math.max(r.width, r.height),
        height: r.shortSide,
        bitrateKbps: r.averageBitrate / 1000,
      })),
    },
    audioKbps: record.audio === undefined ? 0 : record.audio.averageBitrate / 1000,
  };
}

function compare(proposed: LadderPrediction, current: LadderPrediction) {
  const currentBits = current.totals.expectedBitsPerViewerHour;
  return {
    bitsRatio: currentBits > 0 ? proposed.totals.expectedBitsPerViewerHour / currentBits : null,
    qualityGainDb: proposed.totals.expectedQuality - current.totals.expectedQuality,
  };
}
