/**
 * The rate limit of an open route (delivery's public playback, analytics' recommendations): per
 * client address, the operator's key never limited, a 429 `ERR_RATE_LIMITED` that says what was
 * limited and when to retry. Registered in the route's own encapsulated scope, so it applies to that
 * route only. In memory, per process: the effective limit scales with the replicas.
 */
import rateLimit from '@fastify/rate-limit';
import { AppError } from '@streamloop/core/errors';
import type { FastifyInstance } from 'fastify';
import { type ApiKeyOption, hasApiKey } from './api-key.js';

export interface PublicRateLimit {
  /** Answers one client address may get per window. */
  max: number;
  timeWindowMs: number;
}

/** A viewer opens a handful of videos a minute; a scraper opens hundreds. */
export const DEFAULT_PUBLIC_RATE_LIMIT: PublicRateLimit = { max: 60, timeWindowMs: 60_000 };

export async function registerPublicRateLimit(
  scope: FastifyInstance,
  options: PublicRateLimit & {
    apiKey: ApiKeyOption;
    /** What the 429 says was asked too often: "playback requests". */
    what: string;
  },
): Promise<void> {
  const legacyKey = typeof options.apiKey === 'string' ? options.apiKey : undefined;
  await scope.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.timeWindowMs,
    // request.ip is the socket peer unless the app trusts a proxy, so a client cannot pick its own key
    // with a forged X-Forwarded-For.
    keyGenerator: (request) => request.ip,
    // The operator's key is never limited; scoped keys have per-key limits of their own.
    allowList: (request) => legacyKey !== undefined && hasApiKey(request, legacyKey),
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'ERR_RATE_LIMITED',
        `too many ${options.what} from this address; retry in ${context.after}`,
      ),
  });
}
