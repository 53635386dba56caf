import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { assertReachable, requireService, uniqueName } from '@streamloop/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { FeatureStore } from '../src/feature-store.js';
import { createRedisFeatureStore, redisAddress } from '../src/redis-feature-store.js';

export interface RedisTestRoot {
  /** The Redis host for test names, or why there is none. */
  label: string;
  /** A store on the shared Redis whose keys sit under this file's root plus `keyPrefix`. */
  openStore(keyPrefix: string): Promise<FeatureStore>;
}

/**
 * For a test file on the shared Redis (REDIS_URL): fails loudly when Redis is unreachable, and puts
 * every key the file writes under one run-unique root that afterAll removes, and only those.
 */
export function useRedisTestRoot(): RedisTestRoot {
  const redisUrl = loadConfig(process.env).redisUrl;
  const logger = createLogger({ name: 'feature-store-test', level: 'warn' });
  const root = `${uniqueName('streamloop-test')}:`;
  let admin: Redis | undefined;

  beforeAll(async () => {
    const url = requireService('Redis', 'REDIS_URL', redisUrl);
    admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    admin.on('error', () => {
      // Reported by assertReachable below with the fix to apply.
    });
    await assertReachable('Redis', redisAddress(url), async () => {
      await admin!.connect();
      await admin!.ping();
    });
  });

  afterAll(async () => {
    if (admin?.status !== 'ready') return;
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${root}*`, 'COUNT', 500);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await admin.quit();
  });

  return {
    label: redisUrl === undefined ? 'REDIS_URL not set' : new URL(redisAddress(redisUrl)).host,
    openStore: (keyPrefix) =>
      createRedisFeatureStore({
        url: requireService('Redis', 'REDIS_URL', redisUrl),
        keyPrefix: root + keyPrefix,
        logger,
      }),
  };
}
