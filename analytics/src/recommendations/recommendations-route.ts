/**
 * `GET /api/v1/recommendations?viewerId=&videoId=&limit=&qoeAware=`: what to watch next.
 *
 * Open to anyone, like a public video's playback: a player page on any site asks it, so it needs no
 * key, answers with CORS (`*`: it reads no credentials and names only public titles), and is rate
 * limited per client address with the plugin and policy of delivery's public playback route.
 *
 * One request reads ONE version of each feature set: the title and viewer pointers are resolved once
 * (`openLiveFeatureSet`) and every row comes from those versions, named in `featureVersions`.
 * 1. The viewer's row (`viewerId`): recent titles and throughput. Unknown viewer, or no viewerId:
 *    the cold-start path (popular titles, the fleet's throughput), not an error.
 * 2. Candidates (recommendation-candidates.ts): co-watch neighbours of the video on screen and of the
 *    recent titles, then the fleet's popular list; the video on screen and the recent titles never.
 * 3. The catalog (recommendable-titles.ts, remembered 30 s): only `ready` and `public` titles stay.
 * 4. Whether each title's lowest rung fits the viewer's p10 (playback-prediction.ts `fit`).
 * 5. The order (recommendation-ranking.ts `rankCandidates`), cut to `limit`; only the titles that can
 *    reach the answer are built, and the playback model (cached per ladder and throughput bucket)
 *    predicts startup and stall risk only for them, its stall risk breaking ties. It runs on a worker
 *    thread: a pair not yet cached is answered without them (null) while the worker computes them
 *    for the next request. `qoeAware=false` skips 4 and the model (predicted all null).
 *
 * Answers:
 * - 404 ERR_NOT_FOUND for a `videoId` that is unknown, not ready or not public: the three are one
 *   answer, so the route tells nobody that a signed or unfinished video exists;
 * - 400 ERR_VALIDATION for a malformed parameter, naming its rule (`limit` 1..50; `viewerId` the
 *   beacon's viewer id rule, at most 128 characters; `videoId` a catalog id);
 * - 503 ERR_DEPENDENCY_UNAVAILABLE when the feature store or the catalog does not answer;
 * - nothing published yet: 200 with no items and both versions null (there is nothing to rank).
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { AppError } from '@streamloop/core/errors';
import { FLEET_ENTITY, type ThroughputDistribution, type TitleFeatures } from '@streamloop/core/features';
import {
  RecommendationsQuery,
  RecommendationsResponse,
  type RecommendedTitle,
} from '@streamloop/core/schemas/recommendations';
import { openLiveFeatureSet } from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import type { ApiKeyOption } from '@streamloop/service-kit/api-key';
import {
  DEFAULT_PUBLIC_RATE_LIMIT,
  type PublicRateLimit,
  registerPublicRateLimit,
} from '@streamloop/service-kit/public-rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { fromDependency } from '../from-dependency.js';
import { createWorkerModelRunner } from './model-worker.js';
import { createPlaybackPredictor, type PlaybackPredictor } from './playback-prediction.js';
import { createRecommendableTitles, type RecommendableTitles } from './recommendable-titles.js';
import {
  type Candidate,
  coWatchCandidates,
  popularCandidates,
  popularTitles,
  type ScoredTitle,
  type SeedTitle,
} from './recommendation-candidates.js';
import { NO_PREDICTION, rankCandidates } from './recommendation-ranking.js';

export const RECOMMENDATIONS_PATH = '/api/v1/recommendations';

/** A page asks once per video opened, as it asks for playback: the playback route's budget. */
export const DEFAULT_RECOMMENDATIONS_RATE_LIMIT: PublicRateLimit = DEFAULT_PUBLIC_RATE_LIMIT;

export interface RecommendationsRouteDeps {
  featureStore: FeatureStore;
  catalog: Queryable;
  /** The operator's key (a bare string) is never rate limited, as on the playback route. */
  apiKey: ApiKeyOption;
  rateLimit?: PublicRateLimit;
  /** Default: the catalog, remembered 30 s. */
  titles?: RecommendableTitles;
  /** Default: a predictor of its own, its model on a worker thread (the first answer of a ladder and
   * throughput bucket comes without startupMs and stallRisk; the next ones with them). */
  predictor?: PlaybackPredictor;
}

/** Co-watch candidates looked up in the catalog at most: enough for any page after filtering. */
const CO_WATCH_POOL = 100;
/** Popular titles looked up per title asked for, so a page fills although some are signed or gone. */
const POPULAR_POOL_PER_ITEM = 4;

/**
 * A plugin: `app.register(recommendationsRoutes, deps)` gives it a scope of its own, so the rate
 * limit applies to this route only (as delivery registers `playbackRoutes`).
 */
export async function recommendationsRoutes(
  scope: FastifyInstance,
  deps: RecommendationsRouteDeps,
): Promise<void> {
  let predictor = deps.predictor;
  if (predictor === undefined) {
    // The model on a worker thread, ended with the app (model-worker.ts).
    const runner = createWorkerModelRunner();
    scope.addHook('onClose', async () => runner.close());
    predictor = createPlaybackPredictor({ runner });
  }
  const recommend = createRecommender({
    featureStore: deps.featureStore,
    titles: deps.titles ?? createRecommendableTitles({ catalog: deps.catalog }),
    predictor,
  });
  const limits = deps.rateLimit ?? DEFAULT_RECOMMENDATIONS_RATE_LIMIT;

  // Before the rate limit's hook, so a 429 can be read by the page that asked too.
  scope.addHook('onRequest', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
  });
  await registerPublicRateLimit(scope, { ...limits, apiKey: deps.apiKey, what: 'recommendation requests' });

  scope.get<{ Querystring: RecommendationsQuery; Reply: RecommendationsResponse }>(
    RECOMMENDATIONS_PATH,
    {
      schema: { querystring: RecommendationsQuery, response: { 200: RecommendationsResponse } },
      schemaErrorFormatter: describeQueryErrors,
    },
    async (request, reply) => {
      const answer = await recommend(request.query, request.log);
      reply.header('cache-control', 'private, no-store');
      return answer;
    },
  );
}

interface RecommenderDeps {
  featureStore: FeatureStore;
  titles: RecommendableTitles;
  predictor: PlaybackPredictor;
}

/** One request's answer, in the steps at the top of the file. */
function createRecommender(deps: RecommenderDeps) {
  const { featureStore, titles, predictor } = deps;
  return async (query: RecommendationsQuery, log: FastifyBaseLogger): Promise<RecommendationsResponse> => {
    const { viewerId, videoId, limit, qoeAware } = query;
    // The video on screen is checked while the features are read: neither waits for the other.
    const [current, features] = await Promise.all([
      videoId === undefined ? undefined : fromDependency(log, 'catalog', () => titles.lookup([videoId])),
      fromDependency(log, 'feature store', () => readFeatures(featureStore, viewerId, videoId)),
    ]);
    if (videoId !== undefined && !current?.has(videoId)) {
      throw new AppError(
        'ERR_NOT_FOUND',
        `no ready, public video with id ${videoId}; recommendations follow public videos only (leave videoId out to recommend for the viewer alone)`,
      );
    }
    const candidates = gatherCandidates(features, limit);
    const found = await fromDependency(log, 'catalog', () =>
      titles.lookup([...candidates.coWatch, ...candidates.popular].map((c) => c.videoId)),
    );
    const coWatch = candidates.coWatch.filter((c) => found.has(c.videoId));
    const popular = popularCandidates(
      candidates.popular.filter((c) => found.has(c.videoId)).slice(0, limit),
      candidates.topPopularScore,
      coWatch,
    );
    const ladderOf = (candidate: Candidate) => found.get(candidate.videoId)!.ladder;
    return {
      viewerId: viewerId ?? null,
      videoId: videoId ?? null,
      featureVersions: features.versions,
      // Only the titles that can reach the answer are built, and the model runs only for them (its
      // stall risk breaks ties): recommendation-ranking.ts `rankCandidates`.
      items: rankCandidates([...coWatch, ...popular], {
        qoeAware,
        limit,
        fitsOf: (candidate) => predictor.fit(ladderOf(candidate), features.throughput).fits,
        build: (candidate): RecommendedTitle => ({
          ...candidate,
          title: found.get(candidate.videoId)!.title,
          predicted: qoeAware ? predictor.predict(ladderOf(candidate), features.throughput) : NO_PREDICTION,
        }),
      }),
    };
  };
}

interface RequestFeatures {
  /** The version each row was read from; null for a set never published, or not read (no viewerId). */
  versions: { title: number | null; viewer: number | null };
  /** The video on screen, then the viewer's recent titles, each with its co-watch row (empty without one). */
  seeds: SeedTitle[];
  /** The fleet's popular list, empty before it was first computed. */
  popular: ScoredTitle[];
  /** The viewer's throughput, else the fleet's; undefined when neither has a reading. */
  throughput: ThroughputDistribution | undefined;
}

/** Every row from the one version of each set resolved here; the viewer set only when a viewer is named. */
async function readFeatures(
  store: FeatureStore,
  viewerId: string | undefined,
  videoId: string | undefined,
): Promise<RequestFeatures> {
  const [titleSet, viewerSet] = await Promise.all([
    openLiveFeatureSet(store, 'title'),
    viewerId === undefined ? null : openLiveFeatureSet(store, 'viewer'),
  ]);
  const viewer = viewerId === undefined || viewerSet === null ? null : await viewerSet.get(viewerId);
  const seedIds = [
    ...new Set([...(videoId === undefined ? [] : [videoId]), ...(viewer?.recentVideoIds ?? [])]),
  ];
  const [fleet, ...seedRows]: (TitleFeatures | null)[] =
    titleSet === null ? [] : await titleSet.getMany([FLEET_ENTITY, ...seedIds]);
  return {
    versions: { title: titleSet?.version.version ?? null, viewer: viewerSet?.version.version ?? null },
    seeds: seedIds.map((id, i) => ({ videoId: id, coWatch: seedRows[i]?.coWatch ?? [] })),
    popular: fleet?.popular ?? [],
    throughput: withReadings(viewer?.throughputKbps) ?? withReadings(fleet?.throughputKbps),
  };
}

const withReadings = (distribution: ThroughputDistribution | undefined) =>
  distribution !== undefined && distribution.samples > 0 ? distribution : undefined;

/** The candidates to look up in the catalog, best first within each kind. */
function gatherCandidates(
  features: RequestFeatures,
  limit: number,
): { coWatch: Candidate[]; popular: ScoredTitle[]; topPopularScore: number } {
  const seen = new Set(features.seeds.map((seed) => seed.videoId));
  const coWatch = coWatchCandidates(features.seeds, seen, CO_WATCH_POOL);
  const taken = new Set([...seen, ...coWatch.map((c) => c.videoId)]);
  return {
    coWatch,
    popular: popularTitles(features.popular, taken, POPULAR_POOL_PER_ITEM * limit),
    topPopularScore: features.popular[0]?.score ?? 0,
  };
}

const { viewerId: ViewerIdRule, videoId: VideoIdRule, limit: LimitRule } = RecommendationsQuery.properties;

/** What each parameter must be, from the schema itself, for messages that say how to fix the request. */
const PARAMETER_RULES: Record<keyof RecommendationsQuery, string> = {
  viewerId: `the player SDK's viewer id: ${ViewerIdRule.minLength} to ${ViewerIdRule.maxLength} letters, digits, '_', '.', ':' or '-'`,
  videoId: `a catalog video id (${VideoIdRule.pattern})`,
  limit: `an integer from ${LimitRule.minimum} to ${LimitRule.maximum} (default ${LimitRule.default})`,
  qoeAware: 'true or false (default true)',
};

/** ajv's errors as one 400 naming each bad parameter and its rule. */
function describeQueryErrors(errors: FastifySchemaValidationError[]): Error {
  const names = [...new Set(errors.map((e) => e.instancePath.replace(/^\//, '')))];
  const described = names.map((name) => {
    const rule = PARAMETER_RULES[name as keyof RecommendationsQuery];
    return rule === undefined
      ? `query: ${errors[0]?.message ?? 'invalid'}`
      : `query parameter "${name}" must be ${rule}`;
  });
  return new AppError('ERR_VALIDATION', described.join('; '));
}
