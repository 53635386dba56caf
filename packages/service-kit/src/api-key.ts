/**
 * `Authorization: Bearer <api key>` with scopes. Two kinds of key are accepted:
 * - scoped keys `sl_<id>_<secret>` from the catalog's api_keys table (owner, scopes, rate limit,
 *   revocable), checked by comparing sha256(secret) with the stored digest;
 * - the operator's legacy key (STREAMLOOP_API_KEY): every scope, owner 'default', no rate limit.
 * A guard sets `request.principal` for the handler. No key or a bad/revoked key → 401; a key
 * without the route's scope → 403; a key over its per-minute budget → 429.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  findApiKey,
  parseApiKey,
  sha256Hex,
} from '@streamloop/catalog/api-key-repository';
import type { Queryable } from '@streamloop/catalog/catalog';
import { AppError } from '@streamloop/core/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Scope = ApiKeyScope;

export interface Principal {
  keyId: string;
  owner: string;
  scopes: Scope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by an API-key guard; absent on open routes. */
    principal?: Principal;
  }
}

/** The owner of the legacy key and of videos recorded before keys had owners; sees every video. */
export const DEFAULT_OWNER = 'default';
export const LEGACY_KEY_ID = 'legacy';

export interface ApiKeyAuthOptions {
  /** STREAMLOOP_API_KEY; unset: only scoped keys are accepted. */
  legacyKey?: string | undefined;
  /** Where scoped keys live; unset: only the legacy key is accepted. */
  catalog?: Queryable | undefined;
  /** Clock for the rate limiter (tests). */
  nowMs?: () => number;
}

export type PreHandler = (request: FastifyRequest, reply?: FastifyReply) => Promise<void>;

export interface ApiKeyAuth {
  /** The caller's principal; throws 401 (missing, unknown, revoked) or 429 (over its rate limit). */
  authenticate(request: FastifyRequest, reply?: FastifyReply): Promise<Principal>;
  /** A preHandler admitting principals that hold `scope`, or any one of `scope` when a list (403 otherwise). */
  guard(scope: Scope | readonly Scope[]): PreHandler;
  /** The principal when the request carries a valid key, undefined otherwise; never throws 401. */
  identify(request: FastifyRequest): Promise<Principal | undefined>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
const sameDigest = (a: Buffer, b: Buffer) => timingSafeEqual(a, b);

function bearerOf(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

export function createApiKeyAuth(options: ApiKeyAuthOptions): ApiKeyAuth {
  const legacy = options.legacyKey === undefined ? undefined : digest(options.legacyKey);
  const nowMs = options.nowMs ?? Date.now;
  const limiter = createKeyRateLimiter(nowMs);

  async function identify(
    request: FastifyRequest,
  ): Promise<(Principal & { ratePerMinute?: number }) | undefined> {
    const presented = bearerOf(request);
    if (presented === undefined) return undefined;
    const parsed = parseApiKey(presented);
    if (parsed !== undefined && options.catalog !== undefined) {
      const stored = await findApiKey(options.catalog, parsed.id);
      if (stored === undefined || stored.revokedAt !== null) return undefined;
      if (
        !sameDigest(Buffer.from(sha256Hex(parsed.secret), 'hex'), Buffer.from(stored.secretSha256, 'hex'))
      ) {
        return undefined;
      }
      return {
        keyId: stored.id,
        owner: stored.owner,
        scopes: stored.scopes,
        ratePerMinute: stored.rateLimitPerMinute,
      };
    }
    if (legacy !== undefined && sameDigest(digest(presented), legacy)) {
      return { keyId: LEGACY_KEY_ID, owner: DEFAULT_OWNER, scopes: [...API_KEY_SCOPES] };
    }
    return undefined;
  }

  async function authenticate(request: FastifyRequest, reply?: FastifyReply): Promise<Principal> {
    if (bearerOf(request) === undefined) {
      throw new AppError('ERR_UNAUTHORIZED', 'this route needs `Authorization: Bearer <api key>`');
    }
    const found = await identify(request);
    if (found === undefined)
      throw new AppError('ERR_UNAUTHORIZED', 'the API key is not valid (unknown or revoked)');
    const { ratePerMinute, ...principal } = found;
    if (ratePerMinute !== undefined) {
      const waitMs = limiter.take(principal.keyId, ratePerMinute);
      if (waitMs > 0) {
        reply?.header('retry-after', String(Math.ceil(waitMs / 1000)));
        throw new AppError(
          'ERR_RATE_LIMITED',
          `API key ${principal.keyId} is over its ${ratePerMinute} requests per minute`,
        );
      }
    }
    return principal;
  }

  return {
    authenticate,
    identify: async (request) => {
      const found = await identify(request);
      return found && { keyId: found.keyId, owner: found.owner, scopes: found.scopes };
    },
    guard: (scope) => async (request, reply) => {
      const principal = await authenticate(request, reply);
      const needed: readonly Scope[] = typeof scope === 'string' ? [scope] : scope;
      if (!needed.some((s) => principal.scopes.includes(s))) {
        throw new AppError(
          'ERR_FORBIDDEN',
          `API key ${principal.keyId} lacks the ${needed.map((s) => `'${s}'`).join(' or ')} scope this route needs; an operator makes a key that holds it with \`npm run keys -w stack -- create --scopes ${needed[0]}\``,
        );
      }
      request.principal = principal;
    },
  };
}

/**
 * A token bucket per key: `perMinute` requests of burst, refilled continuously. In memory, so the
 * budget is per process; N ingest processes admit up to N× a key's limit (a shared Redis counter
 * would be the next step if that matters).
 */
function createKeyRateLimiter(nowMs: () => number) {
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  return {
    /** 0 when admitted; otherwise milliseconds until one request would be. */
    take(keyId: string, perMinute: number): number {
      const now = nowMs();
      const bucket = buckets.get(keyId) ?? { tokens: perMinute, atMs: now };
      bucket.tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.atMs) * perMinute) / 60_000);
      bucket.atMs = now;
      buckets.set(keyId, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - bucket.tokens) * 60_000) / perMinute);
    },
  };
}

/**
 * How every service is told to check keys: the process's ApiKeyAuth (scoped keys from the catalog
 * beside the operator's key), or a bare operator key string (every scope), which tests and processes
 * without a catalog pass. One type, so no service re-invents the choice.
 */
export type ApiKeyOption = string | ApiKeyAuth;

/** The ApiKeyAuth behind an option; a bare key string also accepts scoped keys when a catalog is given. */
export function toApiKeyAuth(option: ApiKeyOption, catalog?: Queryable): ApiKeyAuth {
  return typeof option === 'string' ? createApiKeyAuth({ legacyKey: option, catalog }) : option;
}

/** A preHandler for one scope. */
export function createApiKeyGuard(auth: ApiKeyOption, scope: Scope = 'manage'): PreHandler {
  return toApiKeyAuth(auth).guard(scope);
}

/** True when the request carries the right legacy key; for open routes that do more for a key holder. */
export function hasApiKey(request: FastifyRequest, apiKey: string): boolean {
  const presented = bearerOf(request);
  return presented !== undefined && sameDigest(digest(presented), digest(apiKey));
}
