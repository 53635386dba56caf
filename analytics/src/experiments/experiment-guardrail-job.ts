/**
 * The guardrails' own schedule: a breached guardrail must stop its arm even when nobody opens the
 * results. Every running experiment's results are read (real viewers only: a simulated audience never
 * stops a real experiment from here) and enforced (experiment-guardrails.ts). Run by the analytics
 * cron jobs (jobs/qoe-jobs.ts) through the fleet-wide job lock.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { listExperiments } from '@streamloop/catalog/experiment-repository';
import type { Logger } from '@streamloop/core/logger';
import { DEFAULT_ALPHA } from '@streamloop/experiment-stats/lift';
import type { AnalyticsTarget } from '../beacons-table.js';
import { enforceGuardrails } from './experiment-guardrails.js';
import { DEFAULT_EGRESS_USD_PER_GB, readExperimentResults } from './experiment-results.js';

export interface GuardrailJobDeps {
  analyticsStore: AnalyticsTarget;
  catalog: Catalog;
  logger: Logger;
  now?: () => number;
}

/** The arms this run stopped. */
export async function runGuardrailChecks(
  deps: GuardrailJobDeps,
): Promise<{ experimentId: string; arm: string }[]> {
  const now = deps.now ?? Date.now;
  const stopped: { experimentId: string; arm: string }[] = [];
  for (const experiment of await listExperiments(deps.catalog, 'running')) {
    if (!experiment.guardrails.length) continue;
    const results = await readExperimentResults(deps.analyticsStore, experiment, {
      scope: 'real',
      alpha: DEFAULT_ALPHA,
      egressUsdPerGb: DEFAULT_EGRESS_USD_PER_GB,
      rungShare: false,
      nowMs: now(),
    });
    for (const arm of await enforceGuardrails(deps.catalog, results)) {
      deps.logger.warn({ experimentId: experiment.id, arm }, 'guardrail breached: arm stopped');
      stopped.push({ experimentId: experiment.id, arm });
    }
  }
  return stopped;
}
