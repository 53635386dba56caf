import type { Queryable } from '@streamloop/catalog/catalog';
import { getVideo, type VideoRecord } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import { VideoId } from '@streamloop/core/schemas/video';
import { DEFAULT_OWNER, type Principal } from '@streamloop/service-kit/api-key';
import type { FastifyRequest } from 'fastify';

const VIDEO_ID = new RegExp(VideoId.pattern as string);

/**
 * Whose videos a caller may see: the default owner (the operator's key, the stack's first key) sees
 * all, including videos recorded before keys had owners; any other owner only its own.
 */
export function ownerScope(principal: Principal | undefined): string | undefined {
  return principal === undefined || principal.owner === DEFAULT_OWNER ? undefined : principal.owner;
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new Error('route registered without an API-key guard');
  return request.principal;
}

/** The video if it exists and the caller may see it; someone else's video is as missing as none. */
export async function findVisibleVideo(
  db: Queryable,
  principal: Principal,
  id: string,
): Promise<VideoRecord | undefined> {
  if (!VIDEO_ID.test(id)) return undefined;
  const video = await getVideo(db, id);
  const owner = ownerScope(principal);
  return video !== undefined && (owner === undefined || video.owner === owner) ? video : undefined;
}

export async function requireVisibleVideo(
  db: Queryable,
  principal: Principal,
  id: string,
): Promise<VideoRecord> {
  const video = await findVisibleVideo(db, principal, id);
  if (video === undefined) throw new AppError('ERR_NOT_FOUND', `no video ${id}`);
  return video;
}
