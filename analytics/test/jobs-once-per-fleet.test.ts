/**
 * Two analytics job runners (separate node processes, the real cron jobs on chdb, the catalog's job
 * lock on real PostgreSQL) on the same short schedule: every period that both schedulers ticked
 * for is run by exactly one of them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase } from '@streamloop/catalog/testing';
import { loadConfig } from '@streamloop/core/config';
import { eventually, requireService, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRunnerInput } from './fixtures/job-runner.fixture.js';

const silent = { warn: () => undefined };
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let dir: string;

beforeAll(async () => {
  const url = requireService('PostgreSQL', 'DATABASE_URL', loadConfig(process.env).databaseUrl);
  scratch = await createScratchDatabase(url);
  const catalog = createPgCatalog({ url: scratch.url, logger: silent });
  await catalog.migrate();
  await catalog.close();
  dir = await mkdtemp(join(tmpdir(), 'streamloop-job-runners-'));
});
afterAll(async () => {
  await scratch?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('analytics cron jobs across two processes', () => {
  it('runs each job once per period, whichever process gets it', async () => {
    const runners = [1, 2].map((n) =>
      startRunner({
        databaseUrl: scratch.url,
        chdbPath: join(dir, `chdb-${n}`),
        database: uniqueName('analytics_jobs'),
        // Every 3 s: short enough for a test, long enough for a rollup of empty tables on busy cores.
        schedule: '*/3 * * * * *',
      }),
    );
    try {
      const bothTicked = () => {
        const [a, b] = runners.map((r) => new Set(r.ticks().map((t) => `${t.job} ${t.period}`)));
        return [...a!].filter((key) => b!.has(key));
      };
      // Four periods of each job (rollup and retention share the schedule) seen by both processes.
      await eventually(
        'both processes to tick for four periods',
        () => (bothTicked().length >= 8 ? true : undefined),
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      const ticks = runners.flatMap((r) => r.ticks());
      const runsPerPeriod = new Map<string, number>();
      for (const key of bothTicked()) runsPerPeriod.set(key, 0);
      for (const t of ticks) {
        const key = `${t.job} ${t.period}`;
        if (t.outcome === 'ran' && runsPerPeriod.has(key))
          runsPerPeriod.set(key, runsPerPeriod.get(key)! + 1);
      }
      expect([...runsPerPeriod].filter(([, runs]) => runs !== 1)).toEqual([]);
      expect(runsPerPeriod.size).toBeGreaterThanOrEqual(8);
      // The loser of each period says why it skipped: the winner finished it, or was still running it.
      const skipped = ticks.filter((t) => runsPerPeriod.has(`${t.job} ${t.period}`) && t.outcome !== 'ran');
      expect(skipped).toHaveLength(runsPerPeriod.size);
      for (const t of skipped) expect(['period-done', 'running-elsewhere']).toContain(t.outcome);
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
    }
  });
});

interface Tick {
  job: string;
  period: string;
  outcome: string;
}

/** The fixture in its own node process (vite-node runs the TypeScript). */
function startRunner(input: JobRunnerInput) {
  const viteNode = join(createRequire(import.meta.url).resolve('vite-node'), '..', '..', 'vite-node.mjs');
  const fixture = fileURLToPath(new URL('./fixtures/job-runner.fixture.ts', import.meta.url));
  const child = spawn(process.execPath, [viteNode, fixture, JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (errors += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    ticks(): Tick[] {
      if (child.exitCode !== null) throw new Error(`a job runner exited early:\n${output}${errors}`);
      return [...output.matchAll(/^tick (\S+) (\S+) (\S+)$/gm)].map(([, job, period, outcome]) => ({
        job: job!,
        period: period!,
        outcome: outcome!,
      }));
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
