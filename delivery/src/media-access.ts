/**
 * The one decision "may this URI be served?", shared by the origin and the edge's token check so the
 * two can never disagree. Order matters: the path first (refuse traversal outright), the token next
 * (so nobody without a token learns whether a video exists), the catalog last.
 */
import { AppError } from '@streamloop/core/errors';
import { scopeAllows } from './ladder-scope.js';
import { type MediaRequest, parseMediaUri } from './media-path.js';
import { checkTokenForVideo, type PlaybackClaims } from './playback-token.js';
import type { VideoAvailability } from './video-availability.js';

export interface MediaAccessDeps {
  availability: VideoAvailability;
  signingSecret: string;
  now: () => Date;
}

export type MediaAccess =
  | { kind: 'ok'; media: MediaRequest; token: string; claims: PlaybackClaims }
  | { kind: 'denied'; error: AppError };

export async function checkMediaAccess(rawUri: string, deps: MediaAccessDeps): Promise<MediaAccess> {
  const parsed = parseMediaUri(rawUri);
  if (parsed.kind === 'bad') return denied('ERR_BAD_REQUEST', `invalid media path (${parsed.reason})`);
  if (parsed.kind === 'not_found') return denied('ERR_NOT_FOUND', 'no such media');
  const { request: media } = parsed;

  const check = checkTokenForVideo(media.token, media.videoId, deps.signingSecret, deps.now());
  if (check.kind === 'expired') {
    return denied('ERR_TOKEN_EXPIRED', 'the playback token has expired; get a new URL from the playback API');
  }
  if (check.kind === 'invalid' || media.token === undefined) {
    return denied(
      'ERR_TOKEN_INVALID',
      media.token === undefined
        ? 'media needs a playback token (?token=) from the playback API'
        : 'the playback token is not valid for this video',
    );
  }

  const scope = check.claims.ladder;
  if (scope !== undefined && !scopeAllows(scope, media.path)) {
    return denied(
      'ERR_TOKEN_INVALID',
      `this playback token opens ladder '${scope.folder}'${scope.renditions === undefined ? '' : ` (${scope.renditions.join(', ')})`} of the video, not ${media.path}`,
    );
  }

  const availability = await deps.availability.check(media.videoId);
  if (availability === 'unknown') return denied('ERR_NOT_FOUND', `no video with id ${media.videoId}`);
  if (availability === 'not_ready')
    return denied('ERR_VIDEO_NOT_READY', `video ${media.videoId} is not ready to play`);
  return { kind: 'ok', media, token: media.token, claims: check.claims };
}

function denied(code: ConstructorParameters<typeof AppError>[0], message: string): MediaAccess {
  return { kind: 'denied', error: new AppError(code, message) };
}
