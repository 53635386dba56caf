/**
 * The composition root as a real process (dist/main.js, built first) on the embedded defaults:
 * it refuses to start without the shared secrets, and serves the delivery routes with them.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from '@streamloop/core/testing';
import { runToExit, startProcess } from '@streamloop/service-kit/child-process';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const env = (overrides: Record<string, string | undefined> = {}) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  PORT: '0',
  LOG_LEVEL: 'warn',
  STREAMLOOP_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'streamloop-delivery-main-')),
  ...overrides,
});

const SECRETS = {
  STREAMLOOP_SIGNING_SECRET: 'main-test-signing-secret-0123456789abcdef',
  STREAMLOOP_API_KEY: 'main-test-api-key-0123456789',
};

describe('delivery as its own process', () => {
  it('will not start without the shared secrets, and says which in one line', async () => {
    const result = await runToExit(entry, env());
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('STREAMLOOP_SIGNING_SECRET and STREAMLOOP_API_KEY must be set');
  });

  it('serves the playback API and the token-guarded origin with them', async () => {
    const running = await startProcess(entry, env(SECRETS));
    try {
      const ready = await fetch(`${running.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      // Media needs the object store and the catalog; the event log (CMCD beacons, buffered) is not
      // required; the feature store is not opened at all.
      const { dependencies } = (await ready.json()) as {
        dependencies: { port: string; required: boolean }[];
      };
      expect(dependencies.map((d) => [d.port, d.required])).toEqual([
        ['object-store', true],
        ['catalog', true],
        ['event-log', false],
      ]);
      const playback = await fetch(`${running.baseUrl}/api/v1/videos/unknown_video_1234/playback`);
      expect(playback.status).toBe(404);
      expect(((await playback.json()) as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND');
      const media = await fetch(`${running.baseUrl}/media/unknown_video_1234/master.m3u8`);
      expect(media.status).toBe(403);
      const metrics = await (await fetch(`${running.baseUrl}/metrics`)).text();
      expect(metrics).toContain('streamloop_delivery_requests_total');
      expect(metrics).toContain('streamloop_delivery_cmcd_beacons_dropped_total{reason="buffer_full"} 0');
    } finally {
      expect(await running.stop()).toBe(0);
    }
  });

  it('starts and plays with REDIS_URL naming a port nobody listens on, saying once that start-rung hints are off', async () => {
    const redisUrl = `redis://127.0.0.1:${await freePort()}`;
    const running = await startProcess(entry, env({ ...SECRETS, REDIS_URL: redisUrl }));
    try {
      expect((await fetch(`${running.baseUrl}/readyz`)).status).toBe(200);
      const playback = await fetch(
        `${running.baseUrl}/api/v1/videos/unknown_video_1234/playback?viewerId=viewer-1`,
      );
      expect(playback.status).toBe(404);
      const said = await eventually('the warning that hints are off', () =>
        running.output().includes('start-rung hints off until restart') ? running.output() : undefined,
      );
      expect(said.split('start-rung hints off').length - 1).toBe(1);
    } finally {
      expect(await running.stop()).toBe(0);
    }
  });
});
