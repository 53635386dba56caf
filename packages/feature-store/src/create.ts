import type { Config } from '@streamloop/core/config';
import { DependencyUnavailableError, reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { FeatureStore } from './feature-store.js';
import { createMemoryFeatureStore } from './memory-feature-store.js';
import { createRedisFeatureStore, redisAddress } from './redis-feature-store.js';

export interface FeatureStoreDeps {
  logger: Logger;
  /** Namespace for every key; defaults to 'streamloop:'. */
  keyPrefix?: string;
}

/**
 * REDIS_URL unset: the in-memory store. Set: Redis, verified within ~10 s, or a
 * DependencyUnavailableError the stack prints as one line.
 */
export async function createFeatureStore(
  config: Pick<Config, 'redisUrl'>,
  deps: FeatureStoreDeps,
): Promise<FeatureStore> {
  const { keyPrefix, logger } = deps;
  if (config.redisUrl === undefined) return createMemoryFeatureStore({ keyPrefix });
  try {
    return await createRedisFeatureStore({
      url: config.redisUrl,
      keyPrefix,
      logger,
      startupTimeoutMs: 10_000,
    });
  } catch (err) {
    throw new DependencyUnavailableError('Redis', 'REDIS_URL', redisAddress(config.redisUrl), reasonOf(err));
  }
}
