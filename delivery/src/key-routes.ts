/**
 * The HLS AES-128 key server: `GET /media/<videoId>/aes-128.key?token=…` answers the video's 16-byte
 * content key from the catalog (transcode's encrypt step names this URI in every `#EXT-X-KEY`).
 * Same rules as the media beside it — a valid playback token for THIS video, the video `ready` —
 * because the origin's playlist rewrite gives the key URI the viewer's token like any other child.
 * Keys never live in the object store, and the answer is never cached by anyone (`no-store`).
 */

import type { Queryable } from '@streamloop/catalog/catalog';
import { getVideoKey } from '@streamloop/catalog/key-repository';
import { AppError } from '@streamloop/core/errors';
import { isVideoId } from '@streamloop/core/ids';
import { AES_KEY_FILE } from '@streamloop/core/object-layout';
import type { FastifyInstance } from 'fastify';
import { checkTokenForVideo } from './playback-token.js';
import type { VideoAvailability } from './video-availability.js';

/** The key's path below `/media/<videoId>/` (core's object layout; transcode's playlists name it). */
export const KEY_FILE = AES_KEY_FILE;

export interface KeyRoutesDeps {
  catalog: Queryable;
  availability: VideoAvailability;
  signingSecret: string;
  now: () => Date;
}

export function registerKeyRoutes(app: FastifyInstance, deps: KeyRoutesDeps): void {
  // A static last segment: find-my-way matches it before the origin's `/media/:id/*`.
  app.get<{ Params: { id: string }; Querystring: Record<string, string | string[] | undefined> }>(
    `/media/:id/${KEY_FILE}`,
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { id } = request.params;
      if (!isVideoId(id)) throw new AppError('ERR_NOT_FOUND', 'no such media');
      const given = request.query.token;
      // Two tokens are ambiguous, exactly as for media (media-path.ts).
      const token = typeof given === 'string' ? given : undefined;
      const check = checkTokenForVideo(token, id, deps.signingSecret, deps.now());
      if (check.kind === 'expired') {
        throw new AppError(
          'ERR_TOKEN_EXPIRED',
          'the playback token has expired; get a new URL from the playback API',
        );
      }
      if (check.kind === 'invalid') {
        throw new AppError(
          'ERR_TOKEN_INVALID',
          token === undefined
            ? 'the key needs a playback token (?token=) from the playback API'
            : 'the playback token is not valid for this video',
        );
      }
      const availability = await deps.availability.check(id);
      if (availability === 'unknown') throw new AppError('ERR_NOT_FOUND', `no video with id ${id}`);
      if (availability === 'not_ready')
        throw new AppError('ERR_VIDEO_NOT_READY', `video ${id} is not ready to play`);
      const key = await getVideoKey(deps.catalog, id);
      if (key === undefined) throw new AppError('ERR_NOT_FOUND', `video ${id} is not encrypted`);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('access-control-allow-origin', '*')
        .send(key.key);
    },
  );
}
