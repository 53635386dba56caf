/**
 * Named, versioned ladders (core's ladders.ts) for encoding engineers: list them, read one (the
 * newest version, or `?version=N`) and its history, and define a new version. Ladders are fleet-wide
 * encoding configuration, not one owner's data: any key with the 'manage' scope reads them, and only
 * the operator's keys (the default owner) define them, so one tenant cannot change what another's
 * videos are encoded with. A POST of the newest version's definition answers 200 with it (a retry
 * mints nothing); a new definition answers 201 with the next version.
 *
 * A ready video carries its primary ladder and any number of others: `POST /api/v1/videos/:id/ladders`
 * queues an encode of the video's source with a stored ladder (202; 200 with the row when that version
 * is already queued, encoding or ready), published beside the primary one under its own folder.
 */

import { type Static, Type } from '@sinclair/typebox';
import type { Catalog } from '@streamloop/catalog/catalog';
import {
  createLadderVersion,
  listLadders,
  listLadderVersions,
  requireLadder,
  seedLadders,
} from '@streamloop/catalog/ladder-repository';
import { listVideoLadders } from '@streamloop/catalog/video-ladder-repository';
import { AppError } from '@streamloop/core/errors';
import {
  DEFAULT_LADDER,
  DerivedLadderDefinition,
  isDerivedDefinition,
  LadderDefinition,
  LadderList,
  ladderStorageBytes,
  parseDerivedLadderDefinition,
  parseLadderDefinition,
  StoredLadder,
  VideoLadder,
  VideoLadderList,
} from '@streamloop/core/ladders';
import type { Logger } from '@streamloop/core/logger';
import { LadderId } from '@streamloop/core/schemas/ladder';
import type { EventLog } from '@streamloop/event-log/event-log';
import { type ApiKeyAuth, DEFAULT_OWNER } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { queueLadderEncodes } from './ladder-requests.js';
import { principalOf, requireVisibleVideo } from './video-access.js';

const LadderParams = Type.Object({ id: LadderId });
const VersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) });

/** The contract's own checker (strict, with per-codec reasons) instead of fastify's ajv. */
const strictBody = () => (body: unknown) => {
  try {
    return {
      value: isDerivedDefinition(body) ? parseDerivedLadderDefinition(body) : parseLadderDefinition(body),
    };
  } catch (error) {
    return { error: error as Error };
  }
};

const VideoParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const AddLadderBody = Type.Object(
  { ladderId: LadderId, version: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);

export interface LadderRoutesDeps {
  catalog: Catalog;
  auth: ApiKeyAuth;
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
}

export function registerLadderRoutes(
  app: FastifyInstance,
  deps: Pick<LadderRoutesDeps, 'catalog' | 'auth'>,
): void {
  const { catalog } = deps;
  const manage = deps.auth.guard('manage');

  // The default ladder is a row like any other, so experiments and videos can name `default@2`.
  app.addHook('onReady', async () => seedLadders(catalog, [DEFAULT_LADDER]));

  app.get('/api/v1/ladders', { preHandler: manage, schema: { response: { 200: LadderList } } }, async () => ({
    ladders: await listLadders(catalog),
  }));

  app.get<{ Params: Static<typeof LadderParams>; Querystring: Static<typeof VersionQuery> }>(
    '/api/v1/ladders/:id',
    {
      preHandler: manage,
      schema: { params: LadderParams, querystring: VersionQuery, response: { 200: StoredLadder } },
    },
    async (request) => requireLadder(catalog, request.params.id, request.query.version),
  );

  app.get<{ Params: Static<typeof LadderParams> }>(
    '/api/v1/ladders/:id/versions',
    {
      preHandler: manage,
      schema: {
        params: LadderParams,
        response: { 200: Type.Object({ versions: Type.Array(StoredLadder) }) },
      },
    },
    async (request) => {
      const versions = await listLadderVersions(catalog, request.params.id);
      if (versions.length === 0) throw new AppError('ERR_NOT_FOUND', `no ladder '${request.params.id}'`);
      return { versions };
    },
  );

  app.post<{ Body: LadderDefinition | DerivedLadderDefinition }>(
    '/api/v1/ladders',
    {
      preHandler: manage,
      schema: {
        body: Type.Union([LadderDefinition, DerivedLadderDefinition]),
        response: { 200: StoredLadder, 201: StoredLadder },
      },
      validatorCompiler: strictBody,
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.owner !== DEFAULT_OWNER) {
        throw new AppError(
          'ERR_FORBIDDEN',
          `ladders are fleet-wide: only the operator's keys (owner '${DEFAULT_OWNER}') define them; this key's owner is '${principal.owner}'`,
        );
      }
      const { ladder, created } = await createLadderVersion(catalog, request.body, principal.keyId);
      return reply.code(created ? 201 : 200).send(ladder);
    },
  );
}

/** The ladders a video carries: its primary one and every other, with what each stores. */
export function registerVideoLadderRoutes(app: FastifyInstance, deps: LadderRoutesDeps): void {
  const { catalog } = deps;
  const manage = deps.auth.guard('manage');

  app.get<{ Params: Static<typeof VideoParams> }>(
    '/api/v1/videos/:id/ladders',
    { preHandler: manage, schema: { params: VideoParams, response: { 200: VideoLadderList } } },
    async (request) => {
      const video = await requireVisibleVideo(catalog, principalOf(request), request.params.id);
      const primary = video.ladder && {
        ladderId: video.ladder.ladderId,
        ladderVersion: video.ladder.ladderVersion,
        storageBytes: ladderStorageBytes(video.ladder),
      };
      return { primary, ladders: await listVideoLadders(catalog, video.id) };
    },
  );

  app.post<{ Params: Static<typeof VideoParams>; Body: Static<typeof AddLadderBody> }>(
    '/api/v1/videos/:id/ladders',
    {
      preHandler: manage,
      schema: { params: VideoParams, body: AddLadderBody, response: { 200: VideoLadder, 202: VideoLadder } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const video = await requireVisibleVideo(catalog, principal, request.params.id);
      const { ladderId, version } = request.body;
      if (video.status !== 'ready' || video.ladder === null || video.sourceKey === null) {
        throw new AppError(
          'ERR_CONFLICT',
          `video ${video.id} is ${video.status}: other ladders can be added once it is ready`,
        );
      }
      if (ladderId === video.ladder.ladderId) {
        throw new AppError(
          'ERR_CONFLICT',
          `'${ladderId}' is video ${video.id}'s primary ladder; add a ladder with another id`,
        );
      }
      const ladder = await requireLadder(catalog, ladderId, version);
      if (ladder.derivedFrom !== undefined) {
        throw new AppError(
          'ERR_CONFLICT',
          `'${ladderId}' is derived from '${ladder.derivedFrom.ladderId}': it is served from that ladder's encode, never encoded itself`,
        );
      }
      const { videoLadders, queued } = await queueLadderEncodes(
        deps,
        [
          {
            videoId: video.id,
            sourceKey: video.sourceKey,
            ladder: { id: ladder.id, version: ladder.version },
          },
        ],
        principal.keyId,
      );
      const videoLadder = videoLadders[0] as VideoLadder;
      if (queued === 0) return reply.code(200).send(videoLadder);
      return reply.code(202).send(videoLadder);
    },
  );
}
