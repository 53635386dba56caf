/**
 * `GET /media/<videoId>/thumbnail.jpg?time=<seconds>&token=…`: a still of the video at a time, like
 * Mux's `thumbnail.jpg?time=12`. Access is the origin's own decision (checkMediaAccess: path, token
 * for this video, video ready); `time` is just another query parameter beside the token.
 *
 * The answer is a 302 to the stored image (`default/thumbs/t_00006.jpg?token=…`), not the image itself: the
 * edge caches media under its path WITHOUT the query (infra/nginx), so an image answered here would
 * be cached once for every `time`. The redirect is `private` (no shared cache keeps it); the image it
 * names is an ordinary immutable media object, cached once at the edge for every viewer and time.
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { getVideo } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import { THUMBNAIL_STILL_FILE, videoRelativePath } from '@streamloop/core/object-layout';
import type { FastifyInstance } from 'fastify';
import { checkMediaAccess, type MediaAccessDeps } from './media-access.js';
import { chooseThumbnail, parseThumbnailTime } from './thumbnail-choice.js';

export interface ThumbnailRoutesDeps extends MediaAccessDeps {
  catalog: Queryable;
}

/** Per viewer URL (it carries their token) and short: a re-transcoded video's stills show up soon. */
const REDIRECT_CACHE_CONTROL = 'private, max-age=60';

export function registerThumbnailRoutes(app: FastifyInstance, deps: ThumbnailRoutesDeps): void {
  // A static last segment: find-my-way matches it before the origin's `/media/:id/*`.
  app.get(`/media/:id/${THUMBNAIL_STILL_FILE}`, async (request, reply) => {
    const access = await checkMediaAccess(request.url, deps);
    if (access.kind === 'denied') throw access.error;
    const { videoId } = access.media;
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const timeSec = parseThumbnailTime(new URLSearchParams(query).getAll('time'));
    const video = await getVideo(deps.catalog, videoId);
    if (video?.ladder == null) throw new AppError('ERR_NOT_FOUND', `no video with id ${videoId}`);
    const durationSec = video.durationMs ? video.durationMs / 1000 : undefined;
    const file = videoRelativePath(videoId, chooseThumbnail(video.ladder, durationSec, timeSec));
    return (
      reply
        .code(302)
        .header('access-control-allow-origin', '*')
        .header('cache-control', REDIRECT_CACHE_CONTROL)
        // Relative, so it resolves below whatever host and prefix the viewer reached us through.
        .header('location', `${file}?token=${encodeURIComponent(access.token)}`)
        .send()
    );
  });
}
