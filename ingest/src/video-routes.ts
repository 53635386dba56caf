/**
 * The catalog API: create a video (metadata first, upload later with its `videoId`, like Mux direct
 * uploads), list and full-text search videos, read, edit and delete one. Writes need the 'manage'
 * scope; reads 'manage' or 'upload' (an uploader polls its video's status). A key sees its owner's
 * videos (the default owner sees all). Schemas come from the contract (`Video` in core).
 */
import { type Static, Type } from '@sinclair/typebox';
import type { Catalog } from '@streamloop/catalog/catalog';
import { insertVideo, listVideos, patchVideo, toVideo } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import { PlaybackPolicy, Video, VideoStatus } from '@streamloop/core/schemas/video';
import type { ApiKeyAuth } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { findVisibleVideo, ownerScope, principalOf, requireVisibleVideo } from './video-access.js';
import type { VideoDeleter } from './video-deleter.js';

// Inline copies without `$id`: fastify's validator refuses the same `$id` registered twice.
const VideoBody = Type.Object(Video.properties, { additionalProperties: false });
const Status = Type.Union(VideoStatus.anyOf);
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }), { maxItems: 32 });

const EditableFields = {
  title: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }),
  description: Type.String({ maxLength: 5000 }),
  tags: Tags,
  playbackPolicy: PlaybackPolicy,
};

const CreateVideoBody = Type.Object(
  {
    title: EditableFields.title,
    description: Type.Optional(EditableFields.description),
    tags: Type.Optional(EditableFields.tags),
    playbackPolicy: Type.Optional(EditableFields.playbackPolicy),
  },
  { additionalProperties: false },
);

const PatchVideoBody = Type.Partial(Type.Object(EditableFields), {
  additionalProperties: false,
  minProperties: 1,
});

const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(Status),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

const VideoParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const VideoPage = Type.Object({
  videos: Type.Array(VideoBody),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export interface VideoRoutesDeps {
  catalog: Catalog;
  auth: ApiKeyAuth;
  deleteVideo: VideoDeleter;
}

/** Trimmed, duplicates dropped (case-insensitively), order kept. */
function normalizeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  return tags
    .map((t) => t.trim())
    .filter((t) => {
      const key = t.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

export function registerVideoRoutes(app: FastifyInstance, deps: VideoRoutesDeps): void {
  const { catalog, auth } = deps;
  const manage = auth.guard('manage');
  const read = auth.guard(['manage', 'upload'] as const);

  app.post<{ Body: Static<typeof CreateVideoBody> }>(
    '/api/v1/videos',
    { preHandler: manage, schema: { body: CreateVideoBody, response: { 201: VideoBody } } },
    async (request, reply) => {
      const { title, description, tags, playbackPolicy } = request.body;
      const video = await insertVideo(catalog, {
        title: title.trim(),
        status: 'waiting_upload',
        owner: principalOf(request).owner,
        ...(description === undefined ? {} : { description }),
        ...(tags === undefined ? {} : { tags: normalizeTags(tags) }),
        ...(playbackPolicy === undefined ? {} : { playbackPolicy }),
      });
      reply.code(201);
      return toVideo(video);
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/videos',
    { preHandler: read, schema: { querystring: ListQuery, response: { 200: VideoPage } } },
    async (request) => {
      const { q, status, limit, cursor } = request.query;
      const owner = ownerScope(principalOf(request));
      const page = await listVideos(catalog, {
        limit,
        ...(q === undefined ? {} : { q }),
        ...(status === undefined ? {} : { status }),
        ...(owner === undefined ? {} : { owner }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return { videos: page.videos.map(toVideo), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof VideoParams> }>(
    '/api/v1/videos/:id',
    { preHandler: read, schema: { params: VideoParams, response: { 200: VideoBody } } },
    async (request) => toVideo(await requireVisibleVideo(catalog, principalOf(request), request.params.id)),
  );

  app.patch<{ Params: Static<typeof VideoParams>; Body: Static<typeof PatchVideoBody> }>(
    '/api/v1/videos/:id',
    {
      preHandler: manage,
      schema: { params: VideoParams, body: PatchVideoBody, response: { 200: VideoBody } },
    },
    async (request) => {
      const { id } = request.params;
      await requireVisibleVideo(catalog, principalOf(request), id);
      const { title, tags, ...rest } = request.body;
      const updated = await patchVideo(catalog, id, {
        ...rest,
        ...(title === undefined ? {} : { title: title.trim() }),
        ...(tags === undefined ? {} : { tags: normalizeTags(tags) }),
      });
      // Deleted between the check and the update.
      if (updated === undefined) throw new AppError('ERR_NOT_FOUND', `no video ${id}`);
      return toVideo(updated);
    },
  );

  // Idempotent: deleting a video that is already gone (or never was) answers 204 as well.
  app.delete<{ Params: Static<typeof VideoParams> }>(
    '/api/v1/videos/:id',
    { preHandler: manage, schema: { params: VideoParams } },
    async (request, reply) => {
      const video = await findVisibleVideo(catalog, principalOf(request), request.params.id);
      if (video !== undefined) await deps.deleteVideo(video);
      return reply.code(204).send();
    },
  );
}
