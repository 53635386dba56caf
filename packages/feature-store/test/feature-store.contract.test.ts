import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { assertReachable, requireService, uniqueName } from '@streamloop/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createMemoryFeatureStore } from '../src/memory-feature-store.js';
import { createRedisFeatureStore, redisAddress } from '../src/redis-feature-store.js';
import { describeFeatureStoreContract } from './contract.js';

const redisUrl = loadConfig(process.env).redisUrl;
const logger = createLogger({ name: 'feature-store-test', level: 'warn' });
// Every key this file writes sits under one run-unique root, so afterAll can remove exactly those.
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

const redisLabel = redisUrl === undefined ? 'REDIS_URL not set' : new URL(redisAddress(redisUrl)).host;

describeFeatureStoreContract(`FeatureStore contract — Redis (${redisLabel})`, (keyPrefix) =>
  createRedisFeatureStore({
    url: requireService('Redis', 'REDIS_URL', redisUrl),
    keyPrefix: root + keyPrefix,
    logger,
  }),
);

describeFeatureStoreContract('FeatureStore contract — embedded in-memory', async (keyPrefix) =>
  createMemoryFeatureStore({ keyPrefix }),
);
