import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@streamloop/core/errors';
import type { FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * A fastify preHandler that admits only `Authorization: Bearer <apiKey>`. Keys are compared as
 * SHA-256 digests with timingSafeEqual, so neither length nor content leaks through timing.
 */
export function createApiKeyGuard(apiKey: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(apiKey);
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) {
      throw new AppError('ERR_UNAUTHORIZED', 'this route needs `Authorization: Bearer <api key>` (STREAMLOOP_API_KEY)');
    }
    if (!timingSafeEqual(digest(header.slice('Bearer '.length).trim()), expected)) {
      throw new AppError('ERR_UNAUTHORIZED', 'the API key is not valid');
    }
  };
}

/** True when the request carries the right key; for routes that are open but do more for a key holder. */
export function hasApiKey(request: FastifyRequest, apiKey: string): boolean {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(header.slice('Bearer '.length).trim()), digest(apiKey));
}
