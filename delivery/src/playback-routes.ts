/**
 * `GET /api/v1/videos/:id/playback`: the signed URL a player starts from. `public` videos hand one to
 * anyone, rate limited per client address; `signed` videos only to a caller with the API key (an
 * app's backend, which passes the URL on to its player). Callers with the key are never limited.
 */

import rateLimit from '@fastify/rate-limit';
import type { Queryable } from '@streamloop/catalog/catalog';
import { getVideo } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import { mediaUrlPath, videoRelativePath } from '@streamloop/core/object-layout';
import { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { VideoId } from '@streamloop/core/schemas/video';
import { type ApiKeyOption, DEFAULT_OWNER, hasApiKey, toApiKeyAuth } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { createPlaybackToken } from './playback-token.js';

export interface PublicRateLimit {
  /** Playback URLs one client address may get per window. */
  max: number;
  timeWindowMs: number;
}

/** A viewer opens a handful of videos a minute; a scraper minting tokens opens hundreds. */
export const DEFAULT_PUBLIC_RATE_LIMIT: PublicRateLimit = { max: 60, timeWindowMs: 60_000 };

export interface PlaybackRoutesDeps {
  catalog: Queryable;
  signingSecret: string;
  /** The operator's key, or the process's key check (scoped keys from the catalog beside it). */
  apiKey: ApiKeyOption;
  tokenTtlS: number;
  publicRateLimit: PublicRateLimit;
  now: () => Date;
}

const playbackSchema = {
  params: { type: 'object', properties: { id: VideoId }, required: ['id'] },
  response: { 200: PlaybackResponse },
} as const;

/** Registers in its own encapsulated scope, so the rate limit applies to this route only. */
export async function playbackRoutes(scope: FastifyInstance, deps: PlaybackRoutesDeps): Promise<void> {
  const auth = toApiKeyAuth(deps.apiKey, deps.catalog);
  const legacyKey = typeof deps.apiKey === 'string' ? deps.apiKey : undefined;
  await scope.register(rateLimit, {
    global: true,
    max: deps.publicRateLimit.max,
    timeWindow: deps.publicRateLimit.timeWindowMs,
    // request.ip is the socket peer unless the app trusts a proxy, so a client cannot pick its own key
    // with a forged X-Forwarded-For.
    keyGenerator: (request) => request.ip,
    // The operator's key is never limited; scoped keys have per-key limits of their own.
    allowList: (request) => legacyKey !== undefined && hasApiKey(request, legacyKey),
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'ERR_RATE_LIMITED',
        `too many playback requests from this address; retry in ${context.after}`,
      ),
  });

  scope.get<{ Params: { id: string } }>(
    '/api/v1/videos/:id/playback',
    { schema: playbackSchema },
    async (request, reply): Promise<PlaybackResponse> => {
      const { id } = request.params;
      const video = await getVideo(deps.catalog, id);
      if (video === undefined) throw new AppError('ERR_NOT_FOUND', `no video with id ${id}`);
      if (video.playbackPolicy === 'signed') {
        // Any valid key of the video's owner (the operator's owner sees every video); another
        // owner's key learns nothing more than a viewer's would.
        const principal = await auth.authenticate(request, reply);
        if (principal.owner !== DEFAULT_OWNER && principal.owner !== video.owner) {
          throw new AppError('ERR_NOT_FOUND', `no video with id ${id}`);
        }
      }
      if (video.status !== 'ready') {
        throw new AppError(
          'ERR_VIDEO_NOT_READY',
          `video ${id} is ${video.status.replace('_', ' ')}, not ready to play`,
        );
      }
      // Whole seconds: the token carries seconds, and the response must state the same instant.
      const expiresAt = new Date((Math.floor(deps.now().getTime() / 1000) + deps.tokenTtlS) * 1000);
      const token = createPlaybackToken({ videoId: id, expiresAt }, deps.signingSecret);
      // The body is a credential for this caller: no cache may keep or share it.
      reply.header('cache-control', 'no-store');
      const ladder = video.ladder;
      if (ladder === null) throw new AppError('ERR_VIDEO_NOT_READY', `video ${id} has no published ladder`);
      // Record paths are relative to the video's folder, which the token opens as a whole.
      const mediaUrl = (recordPath: string) =>
        `${mediaUrlPath(id, videoRelativePath(id, recordPath))}?token=${encodeURIComponent(token)}`;
      return {
        manifestUrl: mediaUrl(ladder.master),
        ...(ladder.dash === undefined ? {} : { dashUrl: mediaUrl(ladder.dash) }),
        expiresAt: expiresAt.toISOString(),
        variant: null,
        ladderId: ladder.ladderId,
        ladderVersion: ladder.ladderVersion,
      };
    },
  );
}
