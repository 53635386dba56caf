/**
 * The feature jobs: each set computed in ClickHouse (feature-queries.ts) and published whole to the
 * feature store as a new version (feature-store's `publishFeatureSet`: written, read back, then made
 * live by one pointer write). Scheduled by the analytics cron jobs (jobs/qoe-jobs.ts) through the
 * fleet-wide job lock, so one replica publishes per period.
 *
 * A set computed from no source data at all is not published: it would replace the live version with
 * empty features (and the store refuses an empty set anyway). The live version stays, and its growing
 * freshness on /metrics and /api/v1/features/status shows the gap.
 */

import { FEATURE_SET_NAMES, type FeatureSetName, type FeatureSetVersion } from '@streamloop/core/features';
import type { Logger } from '@streamloop/core/logger';
import { Counter, Gauge, metricName, type Registry } from '@streamloop/core/metrics';
import {
  type FeatureSetStatus,
  featureSetStatus,
  publishFeatureSet,
} from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import type { AnalyticsTarget } from '../beacons-table.js';
import { type FeatureQueryOptions, queryFeatureSet } from './feature-queries.js';

export type FeatureRunOutcome = 'published' | 'skipped' | 'failed';

export interface FeatureJobDeps {
  analyticsStore: AnalyticsTarget;
  featureStore: FeatureStore;
  logger: Logger;
  /** Runs by set and outcome (`createFeatureJobs` registers it); uncounted when absent. */
  runs?: Counter<'set' | 'outcome'>;
  now?: () => number;
  /** Windows and scope of the queries; feature-queries.ts' defaults (the week, real viewers) otherwise. */
  query?: Omit<FeatureQueryOptions, 'nowMs'>;
}

/** Computes `set` as of now and publishes it; the version made live, or null when there was no source data. */
export async function runFeatureJob(
  deps: FeatureJobDeps,
  set: FeatureSetName,
): Promise<FeatureSetVersion | null> {
  const now = deps.now ?? Date.now;
  const count = (outcome: FeatureRunOutcome) => deps.runs?.inc({ set, outcome });
  try {
    const { rows, newestSourceAt } = await queryFeatureSet(deps.analyticsStore, set, {
      ...deps.query,
      nowMs: now(),
    });
    if (newestSourceAt === null) {
      count('skipped');
      deps.logger.info({ set }, 'feature set not published: no views in its window; the live version stays');
      return null;
    }
    const version = await publishFeatureSet(deps.featureStore, set, rows, { newestSourceAt, now });
    count('published');
    deps.logger.info(
      { set, version: version.version, rows: version.rows, bytes: version.bytes, newestSourceAt },
      'feature set published',
    );
    return version;
  } catch (err) {
    count('failed');
    throw err;
  }
}

export interface FeatureJobs {
  /** One set now. */
  run(set: FeatureSetName): Promise<FeatureSetVersion | null>;
  /**
   * Every set, one after the other; a set that fails does not keep the others from publishing, and
   * the run then fails naming it (the scheduler counts and logs the failure, the next period retries).
   */
  runAll(): Promise<Partial<Record<FeatureSetName, FeatureSetVersion | null>>>;
}

/** The jobs with their run counter and the per-set gauges of /metrics registered in `registry`. */
export function createFeatureJobs(deps: Omit<FeatureJobDeps, 'runs'> & { registry: Registry }): FeatureJobs {
  const runs = new Counter({
    name: metricName('analytics', 'feature_job_runs_total'),
    help: 'Feature set computations, by set and outcome (published; skipped: no source data; failed)',
    labelNames: ['set', 'outcome'],
    registers: [deps.registry],
  });
  registerFeatureSetGauges(deps);
  const jobDeps: FeatureJobDeps = { ...deps, runs };
  return {
    run: (set) => runFeatureJob(jobDeps, set),
    async runAll() {
      const published: Partial<Record<FeatureSetName, FeatureSetVersion | null>> = {};
      const failed: { set: FeatureSetName; err: unknown }[] = [];
      for (const set of FEATURE_SET_NAMES) {
        try {
          published[set] = await runFeatureJob(jobDeps, set);
        } catch (err) {
          deps.logger.error({ err, set }, 'feature set not published; the live version stays');
          failed.push({ set, err });
        }
      }
      if (failed.length > 0) {
        throw new Error(
          `feature sets not published: ${failed.map((f) => f.set).join(', ')} (see the errors logged per set)`,
          { cause: failed[0]?.err },
        );
      }
      return published;
    },
  };
}

/**
 * Gauges per set read from the store at scrape time (what is live, not what this process last
 * published: another replica may have published since): the live version, its rows, and the seconds
 * from its newest source event to now. A set never published has no sample. The three gauges share
 * one read per scrape; a store that does not answer leaves them empty rather than failing /metrics.
 */
function registerFeatureSetGauges(deps: {
  featureStore: FeatureStore;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}): void {
  let inFlight: Promise<FeatureSetStatus[] | null> | undefined;
  const readStatus = (): Promise<FeatureSetStatus[] | null> => {
    inFlight ??= Promise.all(
      FEATURE_SET_NAMES.map((set) => featureSetStatus(deps.featureStore, set, deps.now)),
    )
      .catch((err: unknown) => {
        deps.logger.warn({ err }, 'feature set gauges: the feature store did not answer');
        return null;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  const gauge = (nounAndUnit: string, help: string, value: (status: FeatureSetStatus) => number | null) =>
    new Gauge({
      name: metricName('analytics', nounAndUnit),
      help,
      labelNames: ['set'],
      registers: [deps.registry],
      async collect() {
        const sets = await readStatus();
        this.reset();
        for (const status of sets ?? []) {
          const v = value(status);
          if (v !== null) this.set({ set: status.set }, v);
        }
      },
    });
  gauge('feature_set_live_version', 'The live version of each feature set', (s) => s.live?.version ?? null);
  gauge(
    'feature_set_rows',
    'Rows (entities) of the live version of each feature set',
    (s) => s.live?.rows ?? null,
  );
  gauge(
    'feature_set_freshness_seconds',
    "Seconds from the newest source event of each feature set's live version to now",
    (s) => s.freshnessSeconds,
  );
}
