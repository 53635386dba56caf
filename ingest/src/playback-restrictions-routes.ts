/**
 * Playback restrictions of the calling key's owner (core's PlaybackRestrictions): the sites allowed
 * to play its public videos; delivery enforces them on the playback API and the embed page. Needs
 * the 'manage' scope. No restrictions (404 on GET, after DELETE) = playable from any site.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import {
  deletePlaybackRestrictions,
  getPlaybackRestrictions,
  putPlaybackRestrictions,
} from '@streamloop/catalog/playback-restrictions-repository';
import { AppError } from '@streamloop/core/errors';
import { PlaybackRestrictions, parsePlaybackRestrictions } from '@streamloop/core/playback-restrictions';
import type { ApiKeyAuth } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { principalOf } from './video-access.js';

const PATH = '/api/v1/playback-restrictions';

/**
 * The contract's own checker instead of fastify's ajv, which would strip an unknown field (a typo
 * like `allowedOrigins`) and store restrictions the owner did not mean: here it is a 400 naming it.
 */
const strictBody = () => (body: unknown) => {
  try {
    return { value: parsePlaybackRestrictions(body) };
  } catch (error) {
    return { error: error as Error };
  }
};

export function registerPlaybackRestrictionsRoutes(
  app: FastifyInstance,
  deps: { catalog: Catalog; auth: ApiKeyAuth },
): void {
  const { catalog } = deps;
  const manage = deps.auth.guard('manage');

  app.get(
    PATH,
    { preHandler: manage, schema: { response: { 200: PlaybackRestrictions } } },
    async (request) => {
      const { owner } = principalOf(request);
      const restrictions = await getPlaybackRestrictions(catalog, owner);
      if (restrictions === undefined) {
        throw new AppError(
          'ERR_NOT_FOUND',
          `owner '${owner}' has no playback restrictions: its public videos play from any site`,
        );
      }
      return restrictions;
    },
  );

  app.put<{ Body: PlaybackRestrictions }>(
    PATH,
    {
      preHandler: manage,
      schema: { body: PlaybackRestrictions, response: { 200: PlaybackRestrictions } },
      validatorCompiler: strictBody,
    },
    async (request) => {
      const { owner } = principalOf(request);
      await putPlaybackRestrictions(catalog, owner, request.body);
      return request.body;
    },
  );

  // Idempotent: lifting restrictions that are not there answers 204 again.
  app.delete(PATH, { preHandler: manage }, async (request, reply) => {
    await deletePlaybackRestrictions(catalog, principalOf(request).owner);
    return reply.code(204).send();
  });
}
