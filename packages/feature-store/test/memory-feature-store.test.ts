import { describe, expect, it } from 'vitest';
import { createMemoryFeatureStore } from '../src/memory-feature-store.js';

/** A clock the test moves by hand, so expiry is checked without waiting. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('in-memory feature store expiry (injected clock)', () => {
  it('keeps a key until its TTL has fully elapsed, then forgets it', async () => {
    const clock = manualClock();
    const store = createMemoryFeatureStore({ now: clock.now });
    await store.set('k', 'v', { ttlMs: 1_000 });
    clock.advance(999);
    expect(await store.get('k')).toBe('v');
    expect(await store.ttlMs('k')).toBe(1);
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
    expect(await store.ttlMs('k')).toBeNull();
    await store.close();
  });

  it('sweeps expired keys nobody reads again, so memory does not grow without bound', async () => {
    const clock = manualClock();
    const store = createMemoryFeatureStore({ now: clock.now });
    for (let i = 0; i < 10; i++) await store.set(`short:${i}`, 'v', { ttlMs: 100 });
    await store.set('long', 'v', { ttlMs: 10_000 });
    await store.set('forever', 'v');
    clock.advance(100);
    expect(store.sweep()).toBe(10);
    expect(store.size).toBe(2);
    await store.close();
  });

  it('applies an expiry to a hash counter written before', async () => {
    const clock = manualClock();
    const store = createMemoryFeatureStore({ now: clock.now });
    await store.hincrBy('title:1', 'plays', 3);
    expect(await store.expire('title:1', 500)).toBe(true);
    clock.advance(500);
    expect(await store.hgetall('title:1')).toEqual({});
    expect(await store.hincrBy('title:1', 'plays', 1)).toBe(1);
    await store.close();
  });

  it('refuses work after close', async () => {
    const store = createMemoryFeatureStore();
    await store.close();
    await store.close();
    await expect(store.get('k')).rejects.toThrow(/closed/);
    await expect(store.ping()).rejects.toThrow(/closed/);
  });
});
