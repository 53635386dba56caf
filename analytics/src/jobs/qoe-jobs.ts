/**
 * The analytics cron jobs (node-cron): rollup maintenance every minute, retention once a day,
 * experiment guardrails every 5 minutes, the feature sets every 15 minutes and the QoE alert rules
 * every minute (each when given). Each
 * scheduled run goes through the catalog's job lock, so N analytics replicas run each job once per
 * period; the others skip it (counted as outcome `skipped`). All are safe to repeat anyway (rollup-job.ts,
 * retention-job.ts; a stopped arm is never stopped again; a feature set is recomputed whole and goes
 * live only once written and verified): a run repeated after a crash changes nothing.
 */
import type { JobLock } from '@streamloop/catalog/job-lock';
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
  /** Shared by every replica: one run per job and period across the fleet. */
  lock: Pick<JobLock, 'runOnce'>;
  now?: () => number;
  /** Cron expressions; defaults: rollups every minute, retention at 03:17 UTC. */
  rollupSchedule?: string;
  retentionSchedule?: string;
  /** Stops experiment arms whose guardrail is breached (experiments/experiment-guardrail-job.ts); every 5 minutes when given. */
  experimentGuardrails?: () => Promise<unknown>;
  guardrailSchedule?: string;
  /**
   * Computes and publishes the feature sets (features/feature-jobs.ts `runAll`); every 15 minutes when
   * given, i.e. when a feature store is configured.
   */
  featureJobs?: () => Promise<unknown>;
  featureSchedule?: string;
  /** Checks the QoE alert rules and sends their events (alerts/alert-job.ts); every minute when given. */
  alertChecks?: () => Promise<unknown>;
  alertSchedule?: string;
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
    help: 'Scheduled runs of the QoE cron jobs, by job and outcome (ok, failed, skipped: another replica had it)',
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
    'experiment-guardrails': async () => deps.experimentGuardrails?.(),
    features: async () => deps.featureJobs?.(),
    alerts: async () => deps.alertChecks?.(),
  };
  const tasks: ScheduledTask[] = [];
  const scheduled = (job: keyof typeof jobs, expression: string): ScheduledTask =>
    createTask(
      expression,
      async (context) => {
        try {
          const work: () => Promise<unknown> = jobs[job];
          const outcome = await deps.lock.runOnce(`analytics-${job}`, context.date, work);
          if (!outcome.ran) {
            runs.inc({ job, outcome: 'skipped' });
            deps.logger.debug({ job, period: context.date, reason: outcome.reason }, 'QoE job skipped here');
            return;
          }
          runs.inc({ job, outcome: 'ok' });
          deps.logger.debug({ job, result: outcome.result }, 'QoE job done');
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
      if (deps.experimentGuardrails !== undefined)
        tasks.push(scheduled('experiment-guardrails', deps.guardrailSchedule ?? '*/5 * * * *'));
      if (deps.featureJobs !== undefined)
        tasks.push(scheduled('features', deps.featureSchedule ?? '*/15 * * * *'));
      if (deps.alertChecks !== undefined) tasks.push(scheduled('alerts', deps.alertSchedule ?? '* * * * *'));
      for (const task of tasks) void task.start();
    },
    async stop() {
      await Promise.all(tasks.splice(0).map((task) => task.destroy()));
    },
    runRollup: jobs.rollup,
    runRetention: jobs.retention,
  };
}
