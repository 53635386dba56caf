/**
 * Ladder experiments for encoding engineers (core's experiments.ts): define one (a draft), edit it
 * while it is a draft, start it, stop it. Every route needs a key with the 'experiments' scope;
 * changing one needs an operator's key (owner 'default'), because an experiment decides what viewers
 * of many videos are served. Starting one makes sure every video in scope has every arm's ladder:
 * encoded arms (and the encoded source of derived arms) are queued as more ladders of the video, and
 * delivery assigns a video's viewers only once all of its arms are ready. Results are analytics'
 * (`GET /api/v1/experiments/:id/results`).
 */

import { type Static, Type } from '@sinclair/typebox';
import type { Catalog } from '@streamloop/catalog/catalog';
import {
  createExperiment,
  listExperiments,
  requireExperiment,
  type StoredExperiment,
  startExperiment,
  stopExperiment,
  updateDraftExperiment,
} from '@streamloop/catalog/experiment-repository';
import { requireLadder } from '@streamloop/catalog/ladder-repository';
import { getVideo } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import {
  Experiment,
  ExperimentDefinition,
  ExperimentStatus,
  parseExperimentDefinition,
} from '@streamloop/core/experiments';
import type { Logger } from '@streamloop/core/logger';
import type { EventLog } from '@streamloop/event-log/event-log';
import { type ApiKeyAuth, DEFAULT_OWNER } from '@streamloop/service-kit/api-key';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type LadderRequest, queueLadderEncodes } from './ladder-requests.js';
import { principalOf } from './video-access.js';

export interface ExperimentRoutesDeps {
  catalog: Catalog;
  auth: ApiKeyAuth;
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
}

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const ListQuery = Type.Object({ status: Type.Optional(ExperimentStatus) });
const StopBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
const StartAnswer = Type.Object({
  experiment: Experiment,
  /** Videos in the scope now, and encodes queued so that each has every arm's ladder. */
  videos: Type.Integer(),
  encodesQueued: Type.Integer(),
});

/**
 * The contract's checker for bodies (one control, shares adding to 100, …) instead of fastify's ajv,
 * which would strip a misspelt field. Params pass through: an id that names nothing is a 404 anyway.
 */
const strictBody =
  ({ httpPart }: { httpPart?: string }) =>
  (data: unknown) => {
    if (httpPart !== 'body') return { value: data };
    try {
      return { value: parseExperimentDefinition(data) };
    } catch (error) {
      return { error: error as Error };
    }
  };

/** The API never shows the salt: knowing it would let anyone pick their arm. */
const shown = ({ salt: _salt, ...experiment }: StoredExperiment): Experiment => experiment;

/**
 * Who may change experiments (and fleet-wide ladders): an operator's key (owner 'default'); its id
 * goes into the history. `what` says what was refused.
 */
export function operatorOf(request: FastifyRequest, what = 'change experiments'): string {
  const principal = principalOf(request);
  if (principal.owner !== DEFAULT_OWNER) {
    throw new AppError(
      'ERR_FORBIDDEN',
      `experiments decide what viewers of many videos get: only the operator's keys (owner '${DEFAULT_OWNER}') ${what}`,
    );
  }
  return principal.keyId;
}

/**
 * Starts a draft experiment and queues, for each video in its scope, the encoded ladders its arms
 * need that the video does not carry yet.
 */
export async function startLadderExperiment(
  deps: ExperimentRoutesDeps,
  id: string,
  actor: string,
): Promise<{ experiment: Experiment; videos: number; encodesQueued: number }> {
  const { catalog, logger } = deps;
  const { experiment, videoIds } = await startExperiment(catalog, id, actor);
  // The encoded ladder each arm is served from (a derived arm: its source), one entry per ladder id.
  const needed = new Map<string, number>();
  for (const arm of experiment.arms) {
    const ladder = await requireLadder(catalog, arm.ladderId, arm.ladderVersion);
    const source = ladder.derivedFrom ?? { ladderId: ladder.id, version: ladder.version };
    needed.set(source.ladderId, source.version);
  }
  const requests: LadderRequest[] = [];
  for (const videoId of videoIds) {
    const video = await getVideo(catalog, videoId);
    if (video?.status !== 'ready' || video.ladder === null || video.sourceKey === null) continue;
    for (const [ladderId, version] of needed) {
      // The primary ladder is there already.
      if (ladderId !== video.ladder.ladderId)
        requests.push({ videoId, sourceKey: video.sourceKey, ladder: { id: ladderId, version } });
    }
  }
  const encodesQueued = (await queueLadderEncodes(deps, requests, actor)).queued;
  logger.info({ experimentId: experiment.id, videos: videoIds.length, encodesQueued }, 'experiment started');
  return { experiment: shown(experiment), videos: videoIds.length, encodesQueued };
}

export function registerExperimentRoutes(app: FastifyInstance, deps: ExperimentRoutesDeps): void {
  const { catalog, logger } = deps;
  const guard = deps.auth.guard('experiments');
  const operator = (request: FastifyRequest) => operatorOf(request);

  app.post<{ Body: ExperimentDefinition }>(
    '/api/v1/experiments',
    {
      preHandler: guard,
      schema: { body: ExperimentDefinition, response: { 201: Experiment } },
      validatorCompiler: strictBody,
    },
    async (request, reply) => {
      const experiment = await createExperiment(catalog, request.body, operator(request));
      return reply.code(201).send(shown(experiment));
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/experiments',
    {
      preHandler: guard,
      schema: {
        querystring: ListQuery,
        response: { 200: Type.Object({ experiments: Type.Array(Experiment) }) },
      },
    },
    async (request) => ({ experiments: (await listExperiments(catalog, request.query.status)).map(shown) }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/experiments/:id',
    { preHandler: guard, schema: { params: IdParams, response: { 200: Experiment } } },
    async (request) => shown(await requireExperiment(catalog, request.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: ExperimentDefinition }>(
    '/api/v1/experiments/:id',
    {
      preHandler: guard,
      schema: { params: IdParams, body: ExperimentDefinition, response: { 200: Experiment } },
      validatorCompiler: strictBody,
    },
    async (request) =>
      shown(await updateDraftExperiment(catalog, request.params.id, request.body, operator(request))),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/experiments/:id/start',
    { preHandler: guard, schema: { params: IdParams, response: { 200: StartAnswer } } },
    async (request) => startLadderExperiment(deps, request.params.id, operator(request)),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof StopBody> | undefined }>(
    '/api/v1/experiments/:id/stop',
    {
      preHandler: guard,
      schema: { params: IdParams, body: Type.Optional(StopBody), response: { 200: Experiment } },
    },
    async (request) => {
      const actor = operator(request);
      const experiment = await stopExperiment(catalog, request.params.id, actor, request.body?.reason);
      logger.info({ experimentId: experiment.id }, 'experiment stopped');
      return shown(experiment);
    },
  );
}
