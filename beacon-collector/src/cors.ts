/**
 * CORS for the player SDK. Beacons carry no credentials, so any origin may send them unless the
 * operator lists the allowed ones. The SDK posts `text/plain` (a simple request, no preflight); a
 * preflight only happens for `application/json` senders.
 */
import { AppError } from '@streamloop/core/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CorsPolicy {
  /** Sets the response headers; throws ERR_FORBIDDEN for an origin outside the allowed list. */
  apply(request: FastifyRequest, reply: FastifyReply): void;
}

export function createCorsPolicy(allowedOrigins: readonly string[] | undefined): CorsPolicy {
  const allowed =
    allowedOrigins === undefined ? undefined : new Set(allowedOrigins.map((o) => o.replace(/\/+$/, '')));
  return {
    apply(request, reply) {
      const origin = request.headers.origin;
      // The SDK honours Retry-After on 503; a cross-origin page can only read it when exposed.
      reply.header('access-control-expose-headers', 'Retry-After');
      if (allowed === undefined) {
        reply.header('access-control-allow-origin', '*');
        return;
      }
      reply.header('vary', 'Origin');
      // No Origin header: not a browser cross-origin request (curl, a server-side relay).
      if (origin === undefined) return;
      if (!allowed.has(origin))
        throw new AppError('ERR_FORBIDDEN', `origin ${origin} may not send beacons here`);
      reply.header('access-control-allow-origin', origin);
    },
  };
}
