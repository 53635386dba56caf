import { loadConfig } from '@streamloop/core/config';
import { DependencyUnavailableError } from '@streamloop/core/errors';
import { createCapturingLogger, requireService } from '@streamloop/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFeatureStore } from '../src/create.js';

/** Everything written to stdout, stderr or the console while the spies are active. */
function captureOutput() {
  const written: string[] = [];
  const record = (...args: unknown[]) => {
    written.push(args.map(String).join(' '));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(record);
  vi.spyOn(process.stderr, 'write').mockImplementation(record);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation(record);
  }
  return written;
}

/** Lets pending timers and socket callbacks from the failed client run, so late output would show up. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createFeatureStore', () => {
  it('uses the in-memory store when REDIS_URL is unset', async () => {
    const { logger } = createCapturingLogger();
    const store = await createFeatureStore({ redisUrl: undefined }, { logger });
    expect(store.adapter).toEqual({
      port: 'feature-store',
      kind: 'embedded',
      service: 'in-memory',
      target: 'in-process',
    });
    await store.close();
  });

  it('rejects an unreachable REDIS_URL with one actionable error and prints nothing', async () => {
    const { logger, lines } = createCapturingLogger();
    const written = captureOutput();
    const error = await createFeatureStore({ redisUrl: 'redis://127.0.0.1:1' }, { logger }).catch(
      (err: unknown) => err,
    );
    await settle();
    vi.restoreAllMocks();

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).message).toMatch(
      /^cannot reach Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED/,
    );
    expect((error as Error).message).not.toContain('\n');
    expect(written).toEqual([]);
    expect(lines).toEqual([]);
  }, 10_000);

  it('never puts the Redis password in the error', async () => {
    const { logger } = createCapturingLogger();
    const error = await createFeatureStore(
      { redisUrl: 'redis://admin:hunter2@127.0.0.1:1/2' },
      { logger },
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).address).toBe('redis://127.0.0.1:1/2');
    expect((error as Error).message).not.toContain('hunter2');
  }, 10_000);

  it('connects to the configured Redis and names it in the adapter info', async () => {
    const redisUrl = requireService('Redis', 'REDIS_URL', loadConfig(process.env).redisUrl);
    const { logger } = createCapturingLogger();
    const store = await createFeatureStore({ redisUrl }, { logger, keyPrefix: 'streamloop-test-create:' });
    expect(store.adapter).toMatchObject({ port: 'feature-store', kind: 'real', service: 'Redis' });
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });
});
