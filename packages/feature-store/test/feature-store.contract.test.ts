import { createMemoryFeatureStore } from '../src/memory-feature-store.js';
import { describeFeatureStoreContract } from './contract.js';
import { useRedisTestRoot } from './redis-test-root.js';

const redis = useRedisTestRoot();

describeFeatureStoreContract(`FeatureStore contract — Redis (${redis.label})`, redis.openStore);

describeFeatureStoreContract('FeatureStore contract — embedded in-memory', async (keyPrefix) =>
  createMemoryFeatureStore({ keyPrefix }),
);
