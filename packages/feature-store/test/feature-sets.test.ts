import { createMemoryFeatureStore } from '../src/memory-feature-store.js';
import { describeFeatureSets } from './feature-sets-suite.js';
import { useRedisTestRoot } from './redis-test-root.js';

const redis = useRedisTestRoot();

describeFeatureSets(`feature sets — Redis (${redis.label})`, redis.openStore);

describeFeatureSets('feature sets — embedded in-memory', async (keyPrefix) =>
  createMemoryFeatureStore({ keyPrefix }),
);
