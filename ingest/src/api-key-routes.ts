/**
 * Key management over HTTP (the CLI `streamloop-keys` does the same against the catalog directly):
 * create a scoped key (its secret is in this one answer only), list keys, revoke one. Needs the
 * 'manage' scope. A key can hand out only scopes it holds, and only the default owner can create
 * keys for another owner or touch another owner's keys, so no key can mint a stronger one.
 */
import { type Static, Type } from '@sinclair/typebox';
import {
  API_KEY_SCOPES,
  createApiKey,
  findApiKey,
  listApiKeys,
  revokeApiKey,
} from '@streamloop/catalog/api-key-repository';
import type { Catalog } from '@streamloop/catalog/catalog';
import { AppError } from '@streamloop/core/errors';
import type { ApiKeyAuth } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { ownerScope, principalOf } from './video-access.js';

const ScopeSchema = Type.Union(API_KEY_SCOPES.map((s) => Type.Literal(s)));

const CreateKeyBody = Type.Object(
  {
    scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: API_KEY_SCOPES.length, uniqueItems: true }),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._@-]+$' })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

const KeyBody = Type.Object({
  id: Type.String(),
  owner: Type.String(),
  name: Type.String(),
  scopes: Type.Array(ScopeSchema),
  rateLimitPerMinute: Type.Integer(),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

const KeyParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export function registerApiKeyRoutes(
  app: FastifyInstance,
  deps: { catalog: Catalog; auth: ApiKeyAuth },
): void {
  const { catalog } = deps;
  const manage = deps.auth.guard('manage');

  app.post<{ Body: Static<typeof CreateKeyBody> }>(
    '/api/v1/keys',
    {
      preHandler: manage,
      schema: {
        body: CreateKeyBody,
        response: { 201: Type.Composite([KeyBody, Type.Object({ key: Type.String() })]) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const confined = ownerScope(principal);
      const owner = request.body.owner ?? principal.owner;
      if (confined !== undefined && owner !== confined) {
        throw new AppError(
          'ERR_FORBIDDEN',
          `a key of owner '${confined}' can create keys for that owner only`,
        );
      }
      const stronger = request.body.scopes.filter((s) => !principal.scopes.includes(s));
      if (stronger.length > 0) {
        throw new AppError('ERR_FORBIDDEN', `this key cannot grant scopes it lacks: ${stronger.join(', ')}`);
      }
      const { key, record } = await createApiKey(catalog, {
        owner,
        scopes: request.body.scopes,
        ...(request.body.name === undefined ? {} : { name: request.body.name }),
        ...(request.body.rateLimitPerMinute === undefined
          ? {}
          : { rateLimitPerMinute: request.body.rateLimitPerMinute }),
      });
      reply.code(201);
      return { ...record, key };
    },
  );

  app.get(
    '/api/v1/keys',
    { preHandler: manage, schema: { response: { 200: Type.Object({ keys: Type.Array(KeyBody) }) } } },
    async (request) => ({ keys: await listApiKeys(catalog, ownerScope(principalOf(request))) }),
  );

  // Idempotent like video DELETE: revoking a revoked key answers 204 again.
  app.delete<{ Params: Static<typeof KeyParams> }>(
    '/api/v1/keys/:id',
    { preHandler: manage, schema: { params: KeyParams } },
    async (request, reply) => {
      const confined = ownerScope(principalOf(request));
      const key = await findApiKey(catalog, request.params.id);
      if (key === undefined || (confined !== undefined && key.owner !== confined)) {
        throw new AppError('ERR_NOT_FOUND', `no API key ${request.params.id}`);
      }
      await revokeApiKey(catalog, key.id);
      return reply.code(204).send();
    },
  );
}
