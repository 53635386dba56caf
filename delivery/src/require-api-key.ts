/**
 * `Authorization: Bearer <api key>` for management routes. Both sides are hashed before the
 * constant-time comparison so neither the key's content nor its length leaks through timing.
 * (Local copy until one lives in service-kit.)
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@streamloop/core/errors';
import type { FastifyRequest } from 'fastify';

export function hasApiKey(request: Pick<FastifyRequest, 'headers'>, apiKey: string): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match?.[1]) return false;
  return timingSafeEqual(digest(match[1]), digest(apiKey));
}

export function requireApiKey(request: Pick<FastifyRequest, 'headers'>, apiKey: string): void {
  if (!hasApiKey(request, apiKey)) {
    throw new AppError('ERR_UNAUTHORIZED', 'this needs `Authorization: Bearer <api key>` with a valid key');
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
