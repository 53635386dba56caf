import { describe, expect, it } from 'vitest';
import { openLiveFeatureSet, publishFeatureSet } from '../src/feature-sets.js';
import type { FeatureStore } from '../src/feature-store.js';
import { createMemoryFeatureStore } from '../src/memory-feature-store.js';
import { VersionCache } from '../src/version-cache.js';
import { makeTitleFeatures } from './feature-rows.js';

/** The store's reads, counted by method: what a reader costs the store. */
function countingStore(store: FeatureStore): { store: FeatureStore; reads: Record<string, number> } {
  const reads: Record<string, number> = {};
  const counted = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        reads[String(name)] = (reads[String(name)] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  return { store: counted, reads };
}

describe('readers remember a live version', () => {
  it('reads only the pointer for rows it read a moment ago, and a new version afresh', async () => {
    const { store, reads } = countingStore(createMemoryFeatureStore({ keyPrefix: 'cache-test:' }));
    await publishFeatureSet(
      store,
      'title',
      [makeTitleFeatures({ videoId: 'a' }), makeTitleFeatures({ videoId: 'b' })],
      { newestSourceAt: null },
    );
    const first = await openLiveFeatureSet(store, 'title');
    expect((await first!.getMany(['a', 'b', 'nobody'])).map((row) => row?.videoId ?? null)).toEqual([
      'a',
      'b',
      null,
    ]);
    for (const key of Object.keys(reads)) delete reads[key];

    const again = await openLiveFeatureSet(store, 'title');
    expect((await again!.getMany(['b', 'nobody', 'a'])).map((row) => row?.videoId ?? null)).toEqual([
      'b',
      null,
      'a',
    ]);
    expect(reads).toEqual({ get: 1 }); // the pointer, nothing else

    await publishFeatureSet(store, 'title', [makeTitleFeatures({ videoId: 'a', completionRate: 0.9 })], {
      newestSourceAt: null,
    });
    const next = await openLiveFeatureSet(store, 'title');
    expect(next!.version.version).toBe(again!.version.version + 1);
    const [a, b] = await next!.getMany(['a', 'b']);
    expect(a?.completionRate).toBe(0.9);
    expect(b).toBeNull();
  });
});

describe('VersionCache', () => {
  it('remembers a null as found, forgets after its time, and drops the oldest beyond its size', () => {
    let now = 0;
    const cache = new VersionCache<string | null>({ ttlMs: 1000, maxEntries: 2, now: () => now });
    cache.set('none', null);
    expect(cache.get('none')).toEqual({ found: true, value: null });
    now = 1000;
    expect(cache.get('none')).toEqual({ found: false });
    cache.set('x', '1');
    cache.set('y', '2');
    cache.set('z', '3');
    expect([cache.get('x').found, cache.get('y').found, cache.get('z').found]).toEqual([false, true, true]);
  });
});
