import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { AdapterInfo } from '@streamloop/core/port';
import { Redis } from 'ioredis';
import {
  checkIncrement,
  checkScore,
  checkTtlMs,
  DEFAULT_KEY_PREFIX,
  type FeatureStore,
  type RankedMember,
  type TtlOptions,
} from './feature-store.js';
import { compareRanked } from './ranking.js';

export interface RedisFeatureStoreOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  keyPrefix?: string;
  logger: Logger;
  /** Upper bound for the first connection; the stack fails the start after it (~10 s by rule). */
  startupTimeoutMs?: number;
}

// Reconnect attempts while starting (100, 200, 400, 800 ms apart): a refused port fails in under 2 s instead of retrying forever.
const STARTUP_RETRIES = 4;
// A command waits through at most this many reconnects, then fails instead of queueing indefinitely.
const MAX_RETRIES_PER_REQUEST = 3;
const PING_TIMEOUT_MS = 3_000;

/**
 * ZREVRANGE breaks score ties by member descending; we promise ascending. The script returns every
 * member above the cut-off score plus the first tied members in ascending byte order, atomically,
 * and the caller sorts that small set.
 */
const ZTOP_SCRIPT = `
local limit = tonumber(ARGV[1])
local top = redis.call('ZREVRANGE', KEYS[1], 0, limit - 1, 'WITHSCORES')
if #top < limit * 2 then return top end
local cutoff = top[#top]
local result = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. cutoff, '+inf', 'WITHSCORES')
local tied = redis.call('ZRANGEBYSCORE', KEYS[1], cutoff, cutoff, 'WITHSCORES', 'LIMIT', 0, limit - #result / 2)
for i = 1, #tied do result[#result + 1] = tied[i] end
return result
`;

/** The address to print or log: host, port and db, never the credentials. */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

/** Redis writes scores as %.17g, and infinities as 'inf' / '-inf'. */
function parseScore(raw: string): number {
  if (raw === 'inf' || raw === '+inf') return Number.POSITIVE_INFINITY;
  if (raw === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

function scoreArg(score: number): string {
  if (score === Number.POSITIVE_INFINITY) return '+inf';
  if (score === Number.NEGATIVE_INFINITY) return '-inf';
  return String(score);
}

/** Connects (bounded), checks the server answers, and returns the store; rejects with the reason otherwise. */
export async function createRedisFeatureStore(options: RedisFeatureStoreOptions): Promise<FeatureStore> {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const { logger } = options;
  let starting = true;
  let lastError: unknown;
  let reportedOutage = false;

  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    retryStrategy: (attempt) => {
      if (starting) return attempt > STARTUP_RETRIES ? null : 100 * 2 ** (attempt - 1);
      return Math.min(attempt * 200, 2_000);
    },
  });
  // Without a listener ioredis prints every connection error with its stack to stderr.
  redis.on('error', (err: unknown) => {
    lastError = err;
    if (starting || reportedOutage) return;
    reportedOutage = true;
    logger.warn(
      { redis: redisAddress(options.url), reason: reasonOf(err) },
      'feature store lost Redis; retrying',
    );
  });
  redis.on('ready', () => {
    if (reportedOutage)
      logger.info({ redis: redisAddress(options.url) }, 'feature store reconnected to Redis');
    reportedOutage = false;
  });

  try {
    redis.connect().catch(() => {
      // The ping below waits through reconnects and reports the failure with its real cause.
    });
    await withTimeout(redis.ping(), options.startupTimeoutMs ?? 10_000, () => new Error('timed out'));
  } catch (err) {
    redis.disconnect();
    throw new Error(reasonOf(lastError ?? err));
  } finally {
    starting = false;
  }

  const k = (key: string): string => prefix + key;
  const target = new URL(redisAddress(options.url));
  const adapter: AdapterInfo = {
    port: 'feature-store',
    kind: 'real',
    service: 'Redis',
    target: `${target.host}${target.pathname.length > 1 ? target.pathname : ''}`,
  };
  let closed = false;

  const execOrThrow = async (results: Promise<[Error | null, unknown][] | null>): Promise<void> => {
    const replies = await results;
    if (replies === null) throw new Error('Redis transaction was aborted');
    for (const [err] of replies) if (err) throw err;
  };

  return {
    adapter,

    async get(key) {
      return redis.get(k(key));
    },

    async set(key, value, options?: TtlOptions) {
      if (options?.ttlMs === undefined) await redis.set(k(key), value);
      else await redis.set(k(key), value, 'PX', checkTtlMs(options.ttlMs));
    },

    async del(...keys) {
      if (keys.length === 0) return 0;
      return redis.del(...keys.map(k));
    },

    async ttlMs(key) {
      const ms = await redis.pttl(k(key));
      return ms < 0 ? null : ms;
    },

    async hset(key, fields, options?: TtlOptions) {
      const ttlMs = options?.ttlMs === undefined ? undefined : checkTtlMs(options.ttlMs);
      const hasFields = Object.keys(fields).length > 0;
      if (ttlMs === undefined) {
        if (hasFields) await redis.hset(k(key), fields);
        return;
      }
      if (!hasFields) {
        await redis.pexpire(k(key), ttlMs);
        return;
      }
      // One transaction, so no reader ever sees the hash without its expiry (a key that would live forever).
      await execOrThrow(redis.multi().hset(k(key), fields).pexpire(k(key), ttlMs).exec());
    },

    async hgetall(key) {
      return redis.hgetall(k(key));
    },

    async hget(key, field) {
      return redis.hget(k(key), field);
    },

    async hmget(key, fields) {
      // HMGET without fields is a syntax error in Redis; no fields asked, no answers.
      if (fields.length === 0) return [];
      return redis.hmget(k(key), ...fields);
    },

    async hlen(key) {
      return redis.hlen(k(key));
    },

    async hdel(key, ...fields) {
      if (fields.length === 0) return 0;
      return redis.hdel(k(key), ...fields);
    },

    async hincrBy(key, field, by) {
      return redis.hincrby(k(key), field, checkIncrement(by));
    },

    async zincrBy(key, member, by) {
      return parseScore(await redis.zincrby(k(key), scoreArg(checkScore(by, 'zincrBy increment')), member));
    },

    async zadd(key, entries: RankedMember[]) {
      for (const { score } of entries) checkScore(score, 'zadd score');
      if (entries.length === 0) return;
      await redis.zadd(k(key), ...entries.flatMap(({ member, score }) => [scoreArg(score), member]));
    },

    async ztop(key, limit) {
      if (limit < 1) return [];
      const flat = (await redis.eval(ZTOP_SCRIPT, 1, k(key), Math.floor(limit))) as string[];
      const ranked: RankedMember[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        ranked.push({ member: flat[i]!, score: parseScore(flat[i + 1]!) });
      }
      return ranked.sort(compareRanked).slice(0, Math.floor(limit));
    },

    async expire(key, ttlMs) {
      return (await redis.pexpire(k(key), checkTtlMs(ttlMs))) === 1;
    },

    async persist(key) {
      return (await redis.persist(k(key))) === 1;
    },

    async ping() {
      await withTimeout(
        redis.ping(),
        PING_TIMEOUT_MS,
        () => new Error(`Redis did not answer PING within ${PING_TIMEOUT_MS} ms`),
      );
    },

    async close() {
      if (closed) return;
      closed = true;
      if (redis.status !== 'ready') {
        redis.disconnect();
        return;
      }
      try {
        await withTimeout(redis.quit(), 2_000, () => new Error('QUIT timed out'));
      } catch {
        redis.disconnect();
      }
    },
  };
}
