/**
 * Named, versioned ladders (core's ladders.ts) for encoding engineers: list them, read one (the
 * newest version, or `?version=N`) and its history, and define a new version. Ladders are fleet-wide
 * encoding configuration, not one owner's data: any key with the 'manage' scope reads them, and only
 * the operator's keys (the default owner) define them, so one tenant cannot change what another's
 * videos are encoded with. A POST of the newest version's definition answers 200 with it (a retry
 * mints nothing); a new definition answers 201 with the next version.
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
import { AppError } from '@streamloop/core/errors';
import {
  DEFAULT_LADDER,
  LadderDefinition,
  LadderList,
  parseLadderDefinition,
  StoredLadder,
} from '@streamloop/core/ladders';
import { LadderId } from '@streamloop/core/schemas/ladder';
import { type ApiKeyAuth, DEFAULT_OWNER } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { principalOf } from './video-access.js';

const LadderParams = Type.Object({ id: LadderId });
const VersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) });

/** The contract's own checker (strict, with per-codec reasons) instead of fastify's ajv. */
const strictBody = () => (body: unknown) => {
  try {
    return { value: parseLadderDefinition(body) };
  } catch (error) {
    return { error: error as Error };
  }
};

export function registerLadderRoutes(
  app: FastifyInstance,
  deps: { catalog: Catalog; auth: ApiKeyAuth },
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

  app.post<{ Body: LadderDefinition }>(
    '/api/v1/ladders',
    {
      preHandler: manage,
      schema: { body: LadderDefinition, response: { 200: StoredLadder, 201: StoredLadder } },
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
