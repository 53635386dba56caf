/**
 * The analytics cron jobs (node-cron): rollup maintenance every minute, retention once a day. Both
 * jobs are idempotent (rollup-job.ts, retention-job.ts), so an overlapping or repeated run — another
 * analytics process, a restart mid-run — changes nothing; `noOverlap` only saves the work.
 */
import type { Logger } from '@streamloop/core/logger';
import { Counter, metricName, type Registry } from '@streamloop/core/metrics';
import { createTask, type ScheduledTask } from 'node-cron';
import type { AnalyticsTarget } from '../beacons-table.js';
import { DEFAULT_RAW_RETENTION_DAYS, DEFAULT_ROLLUP_RETENTION_DAYS, runRetention } from './retention-job.js';
import { runRollup } from './rollup-job.js';

export interface QoeJobsDeps {
  analyticsStore: AnalyticsTarget;
  logger: Logger;
  registry: Registry;
  now?: () => number;
  /** Cron expressions; defaults: rollups every minute, retention at 03:17 UTC. */
  rollupSchedule?: string;
  retentionSchedule?: string;
  rawRetentionDays?: number;
  rollupRetentionDays?: number;
  settleMs?: number;
}

export interface QoeJobs {
  start(): void;
  stop(): Promise<void>;
  /** One run now, outside the schedule (tests, an operator). */
  runRollup(): ReturnType<typeof runRollup>;
  runRetention(): ReturnType<typeof runRetention>;
}

export function createQoeJobs(deps: QoeJobsDeps): QoeJobs {
  const now = deps.now ?? Date.now;
  const runs = new Counter({
    name: metricName('analytics', 'qoe_job_runs_total'),
    help: 'Runs of the QoE cron jobs, by job and outcome (ok, failed)',
    labelNames: ['job', 'outcome'],
    registers: [deps.registry],
  });
  const jobs = {
    rollup: () =>
      runRollup(deps.analyticsStore, {
        nowMs: now(),
        ...(deps.settleMs === undefined ? {} : { settleMs: deps.settleMs }),
      }),
    retention: () =>
      runRetention(deps.analyticsStore, {
        nowMs: now(),
        rawDays: deps.rawRetentionDays ?? DEFAULT_RAW_RETENTION_DAYS,
        rollupDays: deps.rollupRetentionDays ?? DEFAULT_ROLLUP_RETENTION_DAYS,
      }),
  };
  const tasks: ScheduledTask[] = [];
  const scheduled = (job: keyof typeof jobs, expression: string): ScheduledTask =>
    createTask(
      expression,
      async () => {
        try {
          const result = await jobs[job]();
          runs.inc({ job, outcome: 'ok' });
          deps.logger.debug({ job, result }, 'QoE job done');
        } catch (err) {
          // The next run redoes the same work: nothing is lost by failing here.
          runs.inc({ job, outcome: 'failed' });
          deps.logger.error({ err, job }, 'QoE job failed; the next run retries');
        }
      },
      { name: `analytics-${job}`, noOverlap: true, timezone: 'UTC' },
    );

  return {
    start() {
      if (tasks.length > 0) return;
      tasks.push(scheduled('rollup', deps.rollupSchedule ?? '* * * * *'));
      tasks.push(scheduled('retention', deps.retentionSchedule ?? '17 3 * * *'));
      for (const task of tasks) void task.start();
    },
    async stop() {
      await Promise.all(tasks.splice(0).map((task) => task.destroy()));
    },
    runRollup: jobs.rollup,
    runRetention: jobs.retention,
  };
}
