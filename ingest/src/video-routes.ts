/**
 * The catalog API: create a video (to upload into later), list and search videos, read one. Every
 * route needs the API key. Schemas come from the contract (`Video` in core).
 */
import { type Static, Type } from '@sinclair/typebox';
import type { Catalog } from '@streamloop/catalog/catalog';
import { getVideo, insertVideo, listVideos, toVideo } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import { PlaybackPolicy, Video, VideoId } from '@streamloop/core/schemas/video';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// Inline copies without `$id`: fastify's validator refuses the same `$id` registered twice.
const VideoBody = Type.Object(Video.properties, { additionalProperties: false });

const CreateVideoBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 500 }),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    playbackPolicy: Type.Optional(PlaybackPolicy),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

const VideoParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const VideoPage = Type.Object({
  videos: Type.Array(VideoBody),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export interface VideoRoutesDeps {
  catalog: Catalog;
  guard: (request: FastifyRequest) => Promise<void>;
}

export function registerVideoRoutes(app: FastifyInstance, deps: VideoRoutesDeps): void {
  const { catalog, guard } = deps;
  const videoIdPattern = new RegExp(VideoId.pattern as string);

  app.post<{ Body: Static<typeof CreateVideoBody> }>(
    '/api/v1/videos',
    { preHandler: guard, schema: { body: CreateVideoBody, response: { 201: VideoBody } } },
    async (request, reply) => {
      const { title, description, playbackPolicy } = request.body;
      const video = await insertVideo(catalog, {
        title: title.trim(),
        status: 'waiting_upload',
        ...(description === undefined ? {} : { description }),
        ...(playbackPolicy === undefined ? {} : { playbackPolicy }),
      });
      reply.code(201);
      return toVideo(video);
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/videos',
    { preHandler: guard, schema: { querystring: ListQuery, response: { 200: VideoPage } } },
    async (request) => {
      const { q, limit, cursor } = request.query;
      const page = await listVideos(catalog, {
        limit,
        ...(q === undefined ? {} : { q }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return { videos: page.videos.map(toVideo), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof VideoParams> }>(
    '/api/v1/videos/:id',
    { preHandler: guard, schema: { params: VideoParams, response: { 200: VideoBody } } },
    async (request) => {
      const { id } = request.params;
      const video = videoIdPattern.test(id) ? await getVideo(catalog, id) : undefined;
      if (video === undefined) throw new AppError('ERR_NOT_FOUND', `no video ${id}`);
      return toVideo(video);
    },
  );
}
