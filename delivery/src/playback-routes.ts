/**
 * `GET /api/v1/videos/:id/playback`: the signed URL a player starts from. `public` videos hand one to
 * anyone, rate limited per client address; `signed` videos only to a caller with the API key (an
 * app's backend, which passes the URL on to its player). Callers with the key are never limited.
 */

import rateLimit from '@fastify/rate-limit';
import type { Queryable } from '@streamloop/catalog/catalog';
import { getVideo } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import { VideoId } from '@streamloop/core/schemas/video';
import { type ApiKeyAuth, createApiKeyAuth, DEFAULT_OWNER, hasApiKey } from '@streamloop/service-kit/api-key';
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
  apiKey: string | ApiKeyAuth;
  tokenTtlS: number;
  publicRateLimit: PublicRateLimit;
  now: () => Date;
}

export interface PlaybackResponse {
  /** Relative to the origin that served this response. */
  manifestUrl: string;
  /** The DASH MPD over the same segments; absent for videos packaged before DASH existed. */
  dashUrl?: string;
  expiresAt: string;
  /** The encoding-ladder experiment arm this viewer gets; null while no experiment runs. */
  variant: string | null;
}

const playbackSchema = {
  params: { type: 'object', properties: { id: VideoId }, required: ['id'] },
  response: {
    200: {
      type: 'object',
      properties: {
        manifestUrl: { type: 'string' },
        dashUrl: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time' },
        variant: { type: ['string', 'null'] },
      },
      required: ['manifestUrl', 'expiresAt', 'variant'],
    },
  },
} as const;

/** Registers in its own encapsulated scope, so the rate limit applies to this route only. */
export async function playbackRoutes(scope: FastifyInstance, deps: PlaybackRoutesDeps): Promise<void> {
  const auth =
    typeof deps.apiKey === 'string'
      ? createApiKeyAuth({ legacyKey: deps.apiKey, catalog: deps.catalog })
      : deps.apiKey;
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
      const mediaUrl = (file: string) =>
        `/media/${encodeURIComponent(id)}/${file}?token=${encodeURIComponent(token)}`;
      const dash = dashManifestOf(video.ladder);
      return {
        manifestUrl: mediaUrl('master.m3u8'),
        ...(dash === undefined ? {} : { dashUrl: mediaUrl(dash) }),
        expiresAt: expiresAt.toISOString(),
        variant: null,
      };
    },
  );
}

const MANIFEST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.mpd$/;

/** The DASH manifest the transcoder recorded with the ladder (`{ dash: 'manifest.mpd' }`), if any. */
function dashManifestOf(ladder: unknown): string | undefined {
  if (typeof ladder !== 'object' || ladder === null || !('dash' in ladder)) return undefined;
  const { dash } = ladder;
  return typeof dash === 'string' && MANIFEST_NAME.test(dash) ? dash : undefined;
}
