/**
 * Guardrails that act: every treatment arm of a running experiment with a breached guardrail is
 * stopped (its viewers get control from then on), with the metric, lift, interval and margin as the
 * reason — on real viewers' results only: a breach among simulated viewers is reported, not acted on. The catalog's `stopArm` locks the experiment's row and refuses an arm already stopped, so
 * however many results requests race, each arm is stopped once.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { stopArm } from '@streamloop/catalog/experiment-repository';
import type { ExperimentResults } from '@streamloop/core/experiments';

/** Who the history names for a guardrail's stop. */
export const GUARDRAIL_ACTOR = 'guardrail';

const pct = (value: number | null): string => (value === null ? '?' : `${(value * 100).toFixed(1)} %`);

/** Whether results read like these may stop arms (ExperimentResults' `guardrailsEnforced`). */
export const guardrailsEnforced = (results: Pick<ExperimentResults, 'status' | 'synthetic'>): boolean =>
  results.status === 'running' && results.synthetic === 'real';

/** Stops each arm a guardrail breached; returns the arms this call stopped. */
export async function enforceGuardrails(
  catalog: Catalog,
  results: Pick<ExperimentResults, 'experimentId' | 'status' | 'arms' | 'synthetic'>,
): Promise<string[]> {
  if (!guardrailsEnforced(results)) return [];
  const stopped: string[] = [];
  for (const arm of results.arms) {
    if (arm.control || arm.stopped !== null) continue;
    const breached = arm.guardrails.filter((g) => g.status === 'breached');
    if (breached.length === 0) continue;
    const reason = breached
      .map((g) => {
        const lift = arm.comparisons.find((c) => c.metric === g.metric);
        return `guardrail ${g.metric} breached: lift ${pct(lift?.relativeLift ?? null)}, always-valid interval [${pct(lift?.alwaysValid.lower ?? null)}, ${pct(lift?.alwaysValid.upper ?? null)}], margin ${g.marginPercent} %`;
      })
      .join('; ')
      .concat(` (${results.synthetic} viewers)`);
    if (await stopArm(catalog, results.experimentId, arm.name, reason, GUARDRAIL_ACTOR))
      stopped.push(arm.name);
  }
  return stopped;
}
