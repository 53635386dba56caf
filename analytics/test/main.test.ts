/**
 * The analytics process as services mode runs it (built dist/main.js, embedded defaults): it
 * migrates, subscribes and serves the QoE API, and it drains on SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningProcess, runToExit, startProcess } from '@streamloop/service-kit/child-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('analytics process on embedded defaults', () => {
  let dataDir: string;
  let running: RunningProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'streamloop-analytics-main-'));
    running = await startProcess(entry, {
      PATH: process.env.PATH,
      PORT: '0',
      LOG_LEVEL: 'warn',
      STREAMLOOP_DATA_DIR: dataDir,
      STREAMLOOP_API_KEY: 'main-test-api-key-0123',
    });
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the QoE API on its migrated table and exposes the consumer metrics', async () => {
    const res = await fetch(`${running.baseUrl}/api/v1/qoe/overview?videoId=nothing-yet`, {
      headers: { authorization: 'Bearer main-test-api-key-0123' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ plays: 0, startupTimeMs: { p50: null, p95: null } });
    const metrics = await (await fetch(`${running.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^streamloop_analytics_beacons_inserted_total 0$/m);
    expect(metrics).toMatch(/^streamloop_analytics_beacons_dropped_total\{reason="invalid_json"\} 0$/m);
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await running.stop()).toBe(0);
  });
});

describe('analytics process without STREAMLOOP_API_KEY', () => {
  it('refuses to start with one line naming the variable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'streamloop-analytics-main-'));
    try {
      const result = await runToExit(entry, {
        PATH: process.env.PATH,
        PORT: '0',
        LOG_LEVEL: 'warn',
        STREAMLOOP_DATA_DIR: dataDir,
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(/STREAMLOOP_API_KEY must be set/),
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
